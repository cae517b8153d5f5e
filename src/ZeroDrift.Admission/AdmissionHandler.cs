using System.Text.Json;
using System.Text.Json.Nodes;
using ZeroDrift.Artifacts;
using ZeroDrift.Supply;
using ZeroDrift.Supply.Policy;

namespace ZeroDrift.Admission;

/// <summary>How the webhook behaves beyond the policy itself.</summary>
public sealed record AdmissionOptions
{
    /// <summary>Largest AdmissionReview accepted; the API server's own request limit is 3 MiB.</summary>
    public int MaxRequestBytes { get; init; } = 3 << 20;

    /// <summary>Longest a verification may take before the request is denied (the API server's default webhook timeout is 10 s).</summary>
    public TimeSpan VerificationTimeout { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>Mutation: add <c>allowPrivilegeEscalation: false</c> and a RuntimeDefault seccomp profile where the spec has none.</summary>
    public bool AddSecurityContextDefaults { get; init; } = true;
}

/// <summary>Something that wants to know which images passed through admission (the asset inventory).</summary>
public interface IAdmissionObserver
{
    void Observed(Workload workload, string? @namespace, PolicyDecision decision);
}

/// <summary>
/// Answers Kubernetes AdmissionReview v1 requests (https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/)
/// with the policy engine: validating (allowed, a status naming the failed rule, warnings) and mutating (a JSONPatch that
/// pins verified tags to digests and adds missing securityContext defaults). Pure bytes in, bytes out: hosting is elsewhere.
/// A malformed or oversized review is answered with a deny that says why, never an exception.
/// </summary>
public sealed class AdmissionHandler(PolicyEngine engine, AdmissionOptions options, IAdmissionObserver? observer = null)
{
    private const int MaxWarnings = 10;
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    [ThreadStatic] private static System.Buffers.ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    public AdmissionOptions Options => options;
    public PolicyEngine Engine => engine;

    public Task<byte[]> ValidateAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken) => HandleAsync(body, mutate: false, cancellationToken);

    public Task<byte[]> MutateAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken) => HandleAsync(body, mutate: true, cancellationToken);

    /// <summary>The answer to a body over <see cref="AdmissionOptions.MaxRequestBytes"/>: a deny, with the uid when it came early enough to read.</summary>
    public static byte[] TooLarge(ReadOnlySpan<byte> prefix, int limit) =>
        Response(FindUid(prefix) ?? "", false, $"zerodrift: AdmissionReview larger than {limit} bytes; denied", 413, [], null);

    private async Task<byte[]> HandleAsync(ReadOnlyMemory<byte> body, bool mutate, CancellationToken cancellationToken)
    {
        JsonObject request;
        string uid;
        try
        {
            (request, uid) = ParseReview(body);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or SupplyException)
        {
            return Response(FindUid(body.Span) ?? "", false, $"zerodrift: malformed AdmissionReview: {OneLine(e.Message)}", 400, [], null);
        }

        var operation = Workload.Str(request["operation"]) ?? "";
        if (operation is not ("CREATE" or "UPDATE"))
            return Response(uid, true, null, 200, [], null);
        if (request["object"] is not JsonObject obj)
            return Response(uid, false, "zerodrift: malformed AdmissionReview: request.object is missing", 400, [], null);

        Workload? workload;
        try
        {
            workload = Workload.From(obj);
        }
        catch (SupplyException e)
        {
            return Response(uid, false, $"zerodrift: {e.Message}", 400, [], null);
        }
        if (workload is null) return Response(uid, true, null, 200, [], null);

        PolicyDecision decision;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.VerificationTimeout);
        try
        {
            decision = await engine.CheckWorkloadAsync(workload, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Response(uid, false, $"zerodrift: verification did not finish within {options.VerificationTimeout.TotalSeconds:0.#} s; denied", 504, [], null);
        }
        catch (Exception e) when (e is ArtifactException or IOException or HttpRequestException)
        {
            return Response(uid, false, $"zerodrift: verification failed: {OneLine(e.Message)}", 500, [], null);
        }
        var ns = Workload.Str(request["namespace"]) ?? workload.Namespace;
        observer?.Observed(workload, ns, decision);

        var subject = $"{workload.Kind} {(ns is null ? "" : ns + "/")}{workload.Name}".TrimEnd();
        var failures = decision.Verdicts.Where(v => !v.Passed).ToList();
        if (!mutate && failures.Count > 0)
        {
            var first = failures[0];
            var more = failures.Count > 1 ? $" (and {failures.Count - 1} more rule(s) failed; see warnings)" : "";
            var warnings = failures.Skip(1).Take(MaxWarnings).Select(f => $"{f.Rule}: {f.Subject}: {f.Reason}").ToList();
            return Response(uid, false, $"zerodrift denied {subject}: rule '{first.Rule}' failed for {first.Subject}: {first.Reason}{more}", 403, warnings, null);
        }
        if (!mutate)
        {
            var unpinned = workload.Containers().Where(c => !c.Image.Contains('@', StringComparison.Ordinal)).Select(c => c.Image).Distinct().ToList();
            var warnings = unpinned.Take(MaxWarnings).Select(i => $"image {i} is referenced by tag; the mutating webhook pins it to its verified digest").ToList();
            return Response(uid, true, null, 200, warnings, null);
        }
        var patch = Patch(workload, decision);
        return Response(uid, true, null, 200, [], patch.Count == 0 ? null : patch);
    }

    /// <summary>JSONPatch operations: pinned images, then missing securityContext defaults.</summary>
    private JsonArray Patch(Workload workload, PolicyDecision decision)
    {
        var ops = new JsonArray();
        foreach (var c in workload.Containers())
            if (!c.Image.Contains('@', StringComparison.Ordinal) && decision.Pins.TryGetValue(c.Image, out var pinned))
                ops.Add(new JsonObject { ["op"] = "replace", ["path"] = c.Pointer + "/image", ["value"] = pinned });
        if (!options.AddSecurityContextDefaults) return ops;
        var spec = workload.PodSpec;
        if (spec["securityContext"] is not JsonObject podContext)
            ops.Add(new JsonObject { ["op"] = "add", ["path"] = workload.SpecPointer + "/securityContext", ["value"] = new JsonObject { ["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault" } } });
        else if (!podContext.ContainsKey("seccompProfile"))
            ops.Add(new JsonObject { ["op"] = "add", ["path"] = workload.SpecPointer + "/securityContext/seccompProfile", ["value"] = new JsonObject { ["type"] = "RuntimeDefault" } });
        foreach (var c in workload.Containers())
        {
            // A privileged container escalates by definition: setting the field would make the API server reject the pod.
            if (c.Spec["securityContext"] is not JsonObject context)
                ops.Add(new JsonObject { ["op"] = "add", ["path"] = c.Pointer + "/securityContext", ["value"] = new JsonObject { ["allowPrivilegeEscalation"] = false } });
            else if (!context.ContainsKey("allowPrivilegeEscalation") && !(context["privileged"] is JsonValue p && p.TryGetValue<bool>(out var priv) && priv)
                     && !(context["capabilities"]?["add"] is JsonArray add && add.Any(a => Workload.Str(a) == "SYS_ADMIN")))
                ops.Add(new JsonObject { ["op"] = "add", ["path"] = c.Pointer + "/securityContext/allowPrivilegeEscalation", ["value"] = false });
        }
        return ops;
    }

    private (JsonObject Request, string Uid) ParseReview(ReadOnlyMemory<byte> body)
    {
        if (body.Length > options.MaxRequestBytes) throw new SupplyException($"larger than {options.MaxRequestBytes} bytes");
        var root = JsonNode.Parse(body.Span, documentOptions: new JsonDocumentOptions { MaxDepth = 128 }) as JsonObject
            ?? throw new SupplyException("the body is not a JSON object");
        var apiVersion = Workload.Str(root["apiVersion"]);
        var kind = Workload.Str(root["kind"]);
        if (kind != "AdmissionReview" || apiVersion != "admission.k8s.io/v1")
            throw new SupplyException($"expected kind AdmissionReview, apiVersion admission.k8s.io/v1 (got {kind ?? "none"}, {apiVersion ?? "none"})");
        var request = root["request"] as JsonObject ?? throw new SupplyException("no request");
        var uid = Workload.Str(request["uid"]);
        if (string.IsNullOrEmpty(uid)) throw new SupplyException("request.uid is missing");
        return (request, uid);
    }

    /// <summary>The AdmissionReview answer, written straight to UTF-8 (no DOM: this runs on every request, cached or not).</summary>
    private static byte[] Response(string uid, bool allowed, string? message, int code, IReadOnlyList<string> warnings, JsonArray? patch)
    {
        // One buffer and writer per thread, reset for each answer: Utf8JsonWriter asks its buffer for 4 KiB at a time,
        // which would otherwise be a fresh 4 KiB array per request.
        var buffer = t_buffer ??= new System.Buffers.ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        var w = t_writer ??= new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = Relaxed.Encoder });
        w.Reset(buffer);
        {
            w.WriteStartObject();
            w.WriteString("apiVersion"u8, "admission.k8s.io/v1"u8);
            w.WriteString("kind"u8, "AdmissionReview"u8);
            w.WriteStartObject("response"u8);
            w.WriteString("uid"u8, uid);
            w.WriteBoolean("allowed"u8, allowed);
            if (message is not null)
            {
                w.WriteStartObject("status"u8);
                w.WriteNumber("code"u8, code);
                w.WriteString("message"u8, message);
                if (allowed) w.WriteNull("reason"u8);
                else w.WriteString("reason"u8, "Forbidden"u8);
                w.WriteEndObject();
            }
            if (warnings.Count > 0)
            {
                w.WriteStartArray("warnings"u8);
                foreach (var warning in warnings) w.WriteStringValue(Truncate(warning, 256));
                w.WriteEndArray();
            }
            if (patch is not null)
            {
                w.WriteString("patchType"u8, "JSONPatch"u8);
                w.WriteBase64String("patch"u8, JsonSerializer.SerializeToUtf8Bytes(patch, Relaxed));
            }
            w.WriteEndObject();
            w.WriteEndObject();
            w.Flush();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>request.uid read token by token from whatever part of the body is at hand (it may be cut off or malformed).</summary>
    internal static string? FindUid(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, isFinalBlock: false, new JsonReaderState(new JsonReaderOptions { MaxDepth = 256 }));
        var inRequest = false;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName) continue;
                if (reader.CurrentDepth == 1 && reader.ValueTextEquals("request"u8)) inRequest = true;
                else if (reader.CurrentDepth == 1) inRequest = false;
                else if (inRequest && reader.CurrentDepth == 2 && reader.ValueTextEquals("uid"u8))
                {
                    if (!reader.Read()) return null;
                    return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
            }
        }
        catch (JsonException) { }
        return null;
    }

    private static string OneLine(string s) => Truncate(string.Join(' ', s.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)), 500);
    private static string Truncate(string s, int max) => s.Length > max ? s[..max] + "…" : s;
}
