using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace ZeroDrift.Server.Client;

/// <summary>Which thing a scan describes, so later scans of the same workload show what was fixed.</summary>
/// <param name="Workload">Stable name of what the target becomes (namespace/name, a service); defaults to the target's name on the server.</param>
/// <param name="Stage">build, registry or runtime: where in the lifecycle the scan ran (docs/server.md).</param>
public sealed record ScanIdentity(string? Workload = null, string Stage = "build");

public sealed record ScanUploadResult(long ScanId, int Findings, int New, int Fixed)
{
    /// <summary>Secrets, PII and misconfigurations stored, new and fixed since the workload's last scan of the same kind.</summary>
    public int ContentFindings { get; init; }
    public int ContentNew { get; init; }
    public int ContentFixed { get; init; }
}

/// <summary>Uploads a <c>zerodrift scan</c> JSON report (docs/formats.md) to <c>POST /api/v1/scans</c>.</summary>
public static class ScanUploader
{
    public static async Task<ScanUploadResult> UploadAsync(ServerConnection connection, ReadOnlyMemory<byte> reportJson, ScanIdentity identity, CancellationToken cancellationToken)
    {
        using var http = connection.CreateHttpClient();
        var query = $"api/v1/scans?stage={Uri.EscapeDataString(identity.Stage)}";
        if (!string.IsNullOrWhiteSpace(identity.Workload)) query += $"&workload={Uri.EscapeDataString(identity.Workload)}";
        using var content = new ReadOnlyMemoryContent(reportJson);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        HttpResponseMessage response;
        try
        {
            response = await http.PostAsync(query, content, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new ServerClientException($"cannot reach the server at {connection.BaseAddress}: {e.Message}", e);
        }
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) throw new ServerClientException($"the server refused the scan: {Describe(response.StatusCode, body)}");
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            int Optional(string name) => root.TryGetProperty(name, out var v) && v.TryGetInt32(out var n) ? n : 0;
            return new ScanUploadResult(root.GetProperty("scanId").GetInt64(), root.GetProperty("findings").GetInt32(), root.GetProperty("new").GetInt32(), root.GetProperty("fixed").GetInt32())
            {
                ContentFindings = Optional("contentFindings"), ContentNew = Optional("contentNew"), ContentFixed = Optional("contentFixed"),
            };
        }
    }

    internal static string Describe(HttpStatusCode status, string body)
    {
        var detail = body;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var error)) detail = error.GetString() ?? body;
        }
        catch (JsonException) { }
        if (detail.Length > 300) detail = detail[..300];
        return $"{(int)status} {status}: {detail.ReplaceLineEndings(" ")}";
    }
}
