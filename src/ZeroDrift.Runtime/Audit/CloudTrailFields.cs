using System.Text.Json;
using ZeroDrift.Runtime.Rules;

namespace ZeroDrift.Runtime.Audit;

/// <summary>
/// The cloudtrail plugin's fields over <see cref="CloudTrailEvent"/> (falcosecurity/plugins,
/// plugins/cloudtrail/pkg/cloudtrail/extract.go): each a string read at fixed keys of the record, absent when the key
/// is missing or not a string; <c>ct.user</c> chosen by identity type; <c>s3.bytes</c> summed from
/// additionalEventData; plus the json plugin's fields (<see cref="JsonFields"/>).
/// </summary>
public static class CloudTrailFields
{
    private static readonly Lazy<FieldTable<CloudTrailEvent>> Shared = new(Build);

    public static FieldTable<CloudTrailEvent> Table => Shared.Value;

    private static readonly (string Field, string[] Keys)[] Strings =
    [
        ("ct.id", ["eventID"]),
        ("ct.time", ["eventTime"]),
        ("ct.user.identitytype", ["userIdentity", "type"]),
        ("ct.user.principalid", ["userIdentity", "principalId"]),
        ("ct.user.arn", ["userIdentity", "arn"]),
        ("ct.region", ["awsRegion"]),
        ("ct.response.subnetid", ["responseElements", "subnetId"]),
        ("ct.response.reservationid", ["responseElements", "reservationId"]),
        ("ct.request.availabilityzone", ["requestParameters", "availabilityZone"]),
        ("ct.request.cluster", ["requestParameters", "cluster"]),
        ("ct.request.functionname", ["requestParameters", "functionName"]),
        ("ct.request.groupname", ["requestParameters", "groupName"]),
        ("ct.request.host", ["requestParameters", "Host"]),
        ("ct.request.name", ["requestParameters", "name"]),
        ("ct.request.policy", ["requestParameters", "policy"]),
        ("ct.request.serialnumber", ["requestParameters", "serialNumber"]),
        ("ct.request.servicename", ["requestParameters", "serviceName"]),
        ("ct.request.subnetid", ["requestParameters", "subnetId"]),
        ("ct.request.taskdefinition", ["requestParameters", "taskDefinition"]),
        ("ct.request.username", ["requestParameters", "userName"]),
        ("ct.srcip", ["sourceIPAddress"]),
        ("ct.useragent", ["userAgent"]),
        ("s3.bucket", ["requestParameters", "bucketName"]),
        ("s3.key", ["requestParameters", "key"]),
        ("ecr.repository", ["requestParameters", "repositoryName"]),
        ("ecr.image.tag", ["requestParameters", "imageTag"]),
    ];

    /// <summary>Event name prefixes the plugin takes for writes when a record has no readOnly member.</summary>
    private static readonly string[] WritePrefixes =
    [
        "Start", "Stop", "Create", "Destroy", "Delete", "Add", "Remove", "Terminate", "Put", "Associate", "Disassociate", "Attach", "Detach",
        "Open", "Close", "Wipe", "Update", "Upgrade", "Unlink", "Assign", "Unassign", "Suspend", "Set", "Run", "Register", "Deregister",
        "Reboot", "Purchase", "Modify", "Initialize", "Enable", "Disable", "Cancel", "Admin", "Activate",
    ];

    private static FieldTable<CloudTrailEvent> Build()
    {
        var t = new FieldTable<CloudTrailEvent>();
        t.Add("ct.name", e => e.Name);
        t.Add("ct.error", e => e.Error);
        t.Add("ct.src", e => e.Source);
        t.Add("ct.shortsrc", e => e.Source is { } s && s.Length > ".amazonaws.com".Length && s.EndsWith(".amazonaws.com", StringComparison.Ordinal) ? s[..^".amazonaws.com".Length] : e.Source);
        foreach (var (field, keys) in Strings)
            t.Add(field, e => JsonValues.GetString(e.Root, keys));
        t.Add("ct.user", User);
        t.Add("ct.user.accountid", e => JsonValues.GetString(e.Root, "userIdentity", "accountId"));
        t.Add("ct.managementevent", e => JsonValues.Get(e.Root, "managementEvent")?.ValueKind == JsonValueKind.True ? "true" : "false");
        t.Add("ct.readonly", ReadOnly);
        t.Add("ct.info", Info);
        t.Add("evt.plugininfo", Info);
        t.Add("s3.uri", e => JsonValues.GetString(e.Root, "requestParameters", "bucketName") is { } b && JsonValues.GetString(e.Root, "requestParameters", "key") is { } k ? $"s3://{b}/{k}" : null);
        t.Add("s3.bytes", e => Bytes(e, "bytesTransferredIn", "bytesTransferredOut"));
        t.Add("s3.bytes.in", e => Bytes(e, "bytesTransferredIn"));
        t.Add("s3.bytes.out", e => Bytes(e, "bytesTransferredOut"));
        t.Add("s3.cnt.get", e => e.Name == "GetObject" ? 1L : null);
        t.Add("s3.cnt.put", e => e.Name == "PutObject" ? 1L : null);
        // As the plugin: 1 for GetObject and PutObject (its code, not its description, which says the opposite).
        t.Add("s3.cnt.other", e => e.Name is "GetObject" or "PutObject" ? 1L : null);
        t.Add("ec2.name", Ec2Name);
        t.Add("ec2.imageid", e => JsonValues.Get(e.Root, "responseElements", "tagSpecificationSet", "items") is { ValueKind: JsonValueKind.Array } items
            && items.GetArrayLength() > 0 && JsonValues.GetString(items[0], "imageId") is { Length: > 0 } id ? id : null);
        JsonFields.AddTo(t, e => e.Root, e => e.Json, e => e.Number, e => e.TimeNs);
        return t;
    }

    /// <summary>Who acted, by identity type: the user name for Root and IAMUser, the invoking service, the role's session issuer.</summary>
    private static string? User(CloudTrailEvent e)
    {
        switch (JsonValues.GetString(e.Root, "userIdentity", "type"))
        {
            case "Root" or "IAMUser": return JsonValues.GetString(e.Root, "userIdentity", "userName");
            case "AWSService": return JsonValues.GetString(e.Root, "userIdentity", "invokedBy");
            case "AssumedRole": return JsonValues.GetString(e.Root, "userIdentity", "sessionContext", "sessionIssuer", "userName") ?? "AssumedRole";
            case "AWSAccount": return "AWSAccount";
            case "FederatedUser": return "FederatedUser";
            default: return null;
        }
    }

    private static string? ReadOnly(CloudTrailEvent e)
    {
        var value = JsonValues.Get(e.Root, "readOnly");
        if (value?.ValueKind == JsonValueKind.True) return "true";
        if (value is not null) return "false";
        if (e.Name is not { } name) return null;
        return WritePrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)) ? "false" : "true";
    }

    /// <summary>The plugin's summary line: who, from where, error mark, read or write arrow, what, and the bucket or host.</summary>
    private static string? Info(CloudTrailEvent e)
    {
        var user = User(e);
        var ip = JsonValues.GetString(e.Root, "sourceIPAddress");
        if (user is null || ip is null || e.Name is null) return null;
        var info = $"{user} via {ip} {(e.Error is not null ? "!" : "")}{(ReadOnly(e) == "false" ? "→" : "←")} {e.Name}";
        if (Bytes(e, "bytesTransferredIn", "bytesTransferredOut") is { } size) info += $" Size={size}";
        var bucket = JsonValues.GetString(e.Root, "requestParameters", "bucketName");
        var key = JsonValues.GetString(e.Root, "requestParameters", "key");
        if (bucket is not null && key is not null) return info + $" URI=s3://{bucket}/{key}";
        if (bucket is not null) return info + $" Bucket={bucket}";
        if (key is not null) return info + $" Key={key}";
        if (JsonValues.GetString(e.Root, "requestParameters", "Host") is { } host) return info + $" Host={host}";
        return info;
    }

    private static long? Bytes(CloudTrailEvent e, params string[] keys)
    {
        long total = 0;
        var any = false;
        foreach (var key in keys)
        {
            if (JsonValues.Get(e.Root, "additionalEventData", key) is not { } v) continue;
            any = true;
            if (v.ValueKind == JsonValueKind.Number)
                total += v.TryGetInt64(out var l) ? l : v.TryGetDouble(out var d) && d is >= 0 and < long.MaxValue ? (long)d : 0;
        }
        return any ? total : null;
    }

    private static string? Ec2Name(CloudTrailEvent e)
    {
        if (JsonValues.Get(e.Root, "requestParameters", "tagSpecificationSet", "items") is not { ValueKind: JsonValueKind.Array } items) return null;
        foreach (var item in items.EnumerateArray())
        {
            if (JsonValues.GetString(item, "resourceType") != "instance" || JsonValues.Get(item, "tags") is not { ValueKind: JsonValueKind.Array } tags) continue;
            foreach (var tag in tags.EnumerateArray())
                if (JsonValues.GetString(tag, "key") == "Name" && JsonValues.GetString(tag, "value") is { Length: > 0 } name) return name;
        }
        return null;
    }
}
