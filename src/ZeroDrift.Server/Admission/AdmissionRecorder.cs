using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using ZeroDrift.Server.Hosting;
using ZeroDrift.Server.Storage;
using ZeroDrift.Supply.Policy;

namespace ZeroDrift.Server.Admission;

/// <summary>
/// Records every decision of the hosted validating webhook (<c>POST /admission/validate</c>) in the store: what was
/// asked (kind, namespace, name, operation, images, dry run) and the answer (allowed, the reasons). A refused,
/// non-dry-run request is a risk stopped before deployment (docs/server.md). It wraps the library's endpoint rather
/// than its observer because only the HTTP exchange knows the operation, the dry-run flag and the final answer
/// (malformed and oversized reviews included), and because the mutating call would otherwise count every request twice.
/// </summary>
internal sealed class AdmissionRecorder(IServerStore store, LiveFeed live, TimeProvider clock, ILogger<AdmissionRecorder> log)
{
    public const string ValidatePath = "/admission/validate";

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        // The webhook reads at most its limit (3 MiB by default): that is all the buffer ever holds.
        context.Request.EnableBuffering();
        var original = context.Response.Body;
        using var answer = new MemoryStream();
        context.Response.Body = answer;
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            context.Response.Body = original;
        }
        // Recorded before it is answered, so whoever sees the answer finds the record (one insert: well inside the
        // API server's timeout). A store that fails costs the record, never the answer.
        if (context.Response.StatusCode == StatusCodes.Status200OK)
        {
            context.Request.Body.Position = 0;
            var request = new byte[Math.Min(context.Request.Body.Length, 64L << 20)];
            await context.Request.Body.ReadExactlyAsync(request, context.RequestAborted).ConfigureAwait(false);
            if (Describe(request, answer.ToArray(), clock.GetUtcNow().ToUnixTimeMilliseconds()) is { } row)
            {
                try
                {
                    await store.RecordAdmissionAsync(row, context.RequestAborted).ConfigureAwait(false);
                    live.Publish("risks");
                }
                catch (Exception e) when (e is System.Data.Common.DbException or StoreException or IOException)
                {
                    log.LogWarning("admission decision {Uid} not recorded: {Message}", row.Uid, e.Message);
                }
            }
        }
        answer.Position = 0;
        await answer.CopyToAsync(original, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// The record of one validating exchange; null for calls that decide nothing (DELETE, CONNECT, kinds without a
    /// pod spec), which the webhook allows without looking.
    /// </summary>
    internal static AdmissionRow? Describe(ReadOnlySpan<byte> requestJson, ReadOnlySpan<byte> answerJson, long now)
    {
        bool allowed;
        string uid, reason;
        try
        {
            var response = JsonNode.Parse(answerJson)?["response"] as JsonObject;
            if (response is null) return null;
            allowed = response["allowed"] is JsonValue a && a.TryGetValue<bool>(out var yes) && yes;
            uid = Workload.Str(response["uid"]) ?? "";
            reason = Workload.Str(response["status"]?["message"]) ?? "";
            var warnings = response["warnings"] is JsonArray w ? w.Select(Workload.Str).OfType<string>().ToList() : [];
            var (kind, ns, name, operation, dryRun, images) = Request(requestJson);
            if (allowed && (operation is not ("CREATE" or "UPDATE") || !Workload.PodSpecPaths.ContainsKey(kind))) return null;
            var reasons = (reason.Length > 0 ? new[] { reason } : []).Concat(warnings).Select(r => r.Length > 1000 ? r[..1000] : r).Take(20).ToList();
            return new AdmissionRow(now, Cap(uid), Cap(kind), Cap(ns), Cap(name), Cap(operation), allowed, dryRun,
                JsonSerializer.Serialize(images.Take(50).Select(Cap)), JsonSerializer.Serialize(reasons));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>What the request names; a review too broken to read still has its (deny) answer recorded, with blanks.</summary>
    private static (string Kind, string Namespace, string Name, string Operation, bool DryRun, List<string> Images) Request(ReadOnlySpan<byte> json)
    {
        try
        {
            if (JsonNode.Parse(json)?["request"] is not JsonObject request) return ("", "", "", "", false, []);
            var obj = request["object"] as JsonObject;
            var kind = Workload.Str(request["kind"]?["kind"]) ?? Workload.Str(obj?["kind"]) ?? "";
            var ns = Workload.Str(request["namespace"]) ?? Workload.Str(obj?["metadata"]?["namespace"]) ?? "";
            var name = Workload.Str(request["name"]) is { Length: > 0 } n ? n : Workload.Str(obj?["metadata"]?["name"]) ?? Workload.Str(obj?["metadata"]?["generateName"]) ?? "";
            var dryRun = request["dryRun"] is JsonValue d && d.TryGetValue<bool>(out var dry) && dry;
            List<string> images = [];
            try
            {
                if (obj is not null && Workload.From(obj) is { } workload)
                    images = workload.Containers().Select(c => c.Image).Where(i => i.Length > 0).Distinct(StringComparer.Ordinal).ToList();
            }
            catch (Supply.SupplyException) { }
            return (kind, ns, name, Workload.Str(request["operation"]) ?? "", dryRun, images);
        }
        catch (JsonException)
        {
            return ("", "", "", "", false, []);
        }
    }

    private static string Cap(string s) => s.Length <= 300 ? s : s[..300];
}
