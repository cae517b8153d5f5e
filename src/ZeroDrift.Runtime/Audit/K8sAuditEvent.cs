using System.Text.Json;

namespace ZeroDrift.Runtime.Audit;

/// <summary>
/// One Kubernetes audit event (<c>audit.k8s.io/v1</c> Event), as the API server's webhook or log backend writes it.
/// The fields most rules test first (stage, verb, user, objectRef, response code) are read once when the event is
/// made; the rest are read from <see cref="Root"/> when a rule asks, and kept. <see cref="Root"/> belongs to the
/// document the event came from: the event lives as long as that document.
/// </summary>
public sealed class K8sAuditEvent
{
    private IReadOnlyList<string>?[]? _lists;
    private string? _compact;

    public JsonElement Root { get; }
    /// <summary>The event's position in its input (Falco's evt.num), from 1.</summary>
    public long Number { get; }
    /// <summary>The event's time in Unix nanoseconds: stageTimestamp, else requestReceivedTimestamp, else when it was read.</summary>
    public long TimeNs { get; }

    public string AuditId { get; }
    public string? Stage { get; }
    public string? Verb { get; }
    public string? Uri { get; }
    public string? UserName { get; }
    public string? Resource { get; }
    public string? Subresource { get; }
    public string? Namespace { get; }
    public string? Name { get; }
    public string? ResponseCode { get; }
    public string? AuthDecision { get; }
    public string? AuthReason { get; }

    private K8sAuditEvent(JsonElement root, long number, long timeNs, string auditId)
    {
        Root = root;
        Number = number;
        TimeNs = timeNs;
        AuditId = auditId;
        Stage = JsonValues.AsText(JsonValues.Get(root, "stage"));
        Verb = JsonValues.AsText(JsonValues.Get(root, "verb"));
        Uri = JsonValues.AsText(JsonValues.Get(root, "requestURI"));
        UserName = JsonValues.AsText(JsonValues.Get(root, "user", "username"));
        if (root.TryGetProperty("objectRef", out var o) && o.ValueKind == JsonValueKind.Object)
        {
            Resource = JsonValues.AsText(JsonValues.Get(o, "resource"));
            Subresource = JsonValues.AsText(JsonValues.Get(o, "subresource"));
            Namespace = JsonValues.AsText(JsonValues.Get(o, "namespace"));
            Name = JsonValues.AsText(JsonValues.Get(o, "name"));
        }
        ResponseCode = JsonValues.AsText(JsonValues.Get(root, "responseStatus", "code"));
        AuthDecision = JsonValues.AsText(JsonValues.Get(root, "annotations", "authorization.k8s.io/decision"));
        AuthReason = JsonValues.AsText(JsonValues.Get(root, "annotations", "authorization.k8s.io/reason"));
    }

    /// <summary>
    /// The event, or null with why when <paramref name="root"/> is not one: the k8saudit plugin extracts nothing from
    /// a JSON object without <c>auditID</c>, so such an object is reported and skipped rather than judged.
    /// </summary>
    public static K8sAuditEvent? From(JsonElement root, long number, long fallbackTimeNs, out string? problem)
    {
        problem = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            problem = $"an audit event must be a JSON object, not {root.ValueKind.ToString().ToLowerInvariant()}";
            return null;
        }
        if (JsonValues.Get(root, "auditID") is not { } id || JsonValues.AsText(id) is not { Length: > 0 } auditId)
        {
            problem = "not an audit.k8s.io event: no \"auditID\"";
            return null;
        }
        var time = Timestamp(root, "stageTimestamp") ?? Timestamp(root, "requestReceivedTimestamp") ?? fallbackTimeNs;
        return new K8sAuditEvent(root, number, time, auditId);
    }

    private static long? Timestamp(JsonElement root, string key) =>
        JsonValues.GetString(root, key) is { } text && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal, out var t)
            ? (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100
            : null;

    /// <summary>The whole event as compact JSON (jevt.obj).</summary>
    public string Json => _compact ??= JsonValues.Compact(Root);

    /// <summary>A list field, read once per event (the field's slot is its index in <see cref="K8sAuditFields"/>).</summary>
    internal IReadOnlyList<string>? List(int slot, Func<K8sAuditEvent, IReadOnlyList<string>?> read)
    {
        _lists ??= new IReadOnlyList<string>?[K8sAuditFields.ListSlots];
        // A list that cannot be read is kept as the empty marker so it is not read again.
        var cached = _lists[slot];
        if (cached is not null) return ReferenceEquals(cached, NotAvailable) ? null : cached;
        var value = read(this);
        _lists[slot] = value ?? NotAvailable;
        return value;
    }

    private static readonly IReadOnlyList<string> NotAvailable = new List<string>(0).AsReadOnly();
}
