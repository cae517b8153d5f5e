using System.Globalization;
using System.Net;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;
using ZeroDrift.Core.Budgets;
using ZeroDrift.Core.IO;
using ZeroDrift.Parsing.Yaml;
using ZeroDrift.Runtime.Hardening;

namespace ZeroDrift.Runtime.Profiles;

/// <summary>A profile file that cannot be imported: one line saying where and why.</summary>
public sealed class ProfileFormatException(string message) : FormatException(message);

/// <summary>
/// Profiles as YAML documents for GitOps (<c>apiVersion: zerodrift.dev/v1</c>, <c>kind: BehaviourProfile</c>):
/// exported, reviewed and versioned like any manifest, and imported back with every field checked.
/// </summary>
public static class ProfileYaml
{
    public const string ApiVersion = "zerodrift.dev/v1";
    public const string Kind = "BehaviourProfile";
    private const int MaxBytes = 8 << 20;

    /// <summary>A profile is a user's file: read within the scan's default budget, at most <see cref="MaxBytes"/>.</summary>
    private static readonly ParseBudget Budget = ParseBudget.Default.WithMaxBytes(MaxBytes);

    private static readonly ISerializer Serializer = new SerializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull | DefaultValuesHandling.OmitEmptyCollections)
        .Build();

    private static readonly IDeserializer Deserializer = new DeserializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .WithEnforceRequiredMembers()
        .Build();

    public static string Export(BehaviourProfile profile) => Serializer.Serialize(new Document
    {
        ApiVersion = ApiVersion,
        Kind = Kind,
        Metadata = new Metadata
        {
            Workload = profile.Identity.Workload,
            ImageDigest = profile.Identity.ImageDigest,
            Image = profile.Identity.ImageName,
            Created = profile.Created.ToString("O", CultureInfo.InvariantCulture),
            Updated = profile.Updated.ToString("O", CultureInfo.InvariantCulture),
            LastNewBehaviour = profile.LastNewBehaviour.ToString("O", CultureInfo.InvariantCulture),
        },
        Spec = new Spec
        {
            Mode = profile.Mode.ToString().ToLowerInvariant(),
            DriftPrevention = profile.DriftPrevention ? true : null,
            Processes = profile.Processes.Select(p => new Process { Executable = p.Executable, Name = p.Name, Sha256 = p.Sha256, Parent = p.Parent, User = p.User, Uid = p.Uid }).ToList(),
            Files = profile.Files.Select(f => new FileRule { Path = f.Path, Access = f.Access switch { FileAccessKind.Read => "r", FileAccessKind.Write => "w", _ => "rw" } }).ToList(),
            Network = profile.Network.Select(n => new NetworkRule
            {
                Direction = n.Direction.ToString().ToLowerInvariant(), Protocol = n.Protocol, Peer = n.Peer, Port = n.Port, DnsName = n.DnsName, Workload = n.PeerWorkload,
            }).ToList(),
            Syscalls = [.. profile.Syscalls],
            Capabilities = [.. profile.Capabilities],
        },
    });

    public static BehaviourProfile Import(string path)
    {
        string text;
        try
        {
            text = BoundedFile.ReadAllText(path, MaxBytes, "profile");
        }
        catch (InputFileException e)
        {
            throw new ProfileFormatException(e.Message);
        }
        return Parse(text, path);
    }

    public static BehaviourProfile Parse(string yaml, string source)
    {
        Document document;
        try
        {
            document = SafeYaml.Deserialize<Document>(Deserializer, yaml, Budget, source) ?? throw new ProfileFormatException($"{source}: empty document");
        }
        catch (YamlException e)
        {
            var reason = (e.InnerException?.Message ?? e.Message).Split('\n')[0];
            throw new ProfileFormatException($"{source}: line {e.Start.Line}: {reason}");
        }
        catch (BudgetExceededException e)
        {
            throw new ProfileFormatException(e.Message);
        }
        if (document.ApiVersion != ApiVersion || document.Kind != Kind)
            throw new ProfileFormatException($"{source}: expected apiVersion {ApiVersion} and kind {Kind}");
        var metadata = document.Metadata ?? throw new ProfileFormatException($"{source}: no metadata");
        var spec = document.Spec ?? new Spec();
        if (string.IsNullOrWhiteSpace(metadata.Workload)) throw new ProfileFormatException($"{source}: metadata.workload is required");
        if (metadata.ImageDigest is null || !metadata.ImageDigest.StartsWith("sha256:", StringComparison.Ordinal) || metadata.ImageDigest.Length != 71 || !metadata.ImageDigest[7..].All(char.IsAsciiHexDigitLower))
            throw new ProfileFormatException($"{source}: metadata.imageDigest must be sha256:<64 lowercase hex digits>");
        return new BehaviourProfile
        {
            Identity = new WorkloadIdentity(metadata.Workload, metadata.ImageDigest, metadata.Image),
            Mode = Enum.TryParse<ProfileMode>(spec.Mode, ignoreCase: true, out var mode) && !int.TryParse(spec.Mode, out _)
                ? mode : throw new ProfileFormatException($"{source}: spec.mode '{spec.Mode}': expected learn, monitor or protect"),
            DriftPrevention = spec.DriftPrevention ?? false,
            Created = Time(metadata.Created, "metadata.created", source),
            Updated = Time(metadata.Updated, "metadata.updated", source),
            LastNewBehaviour = Time(metadata.LastNewBehaviour ?? metadata.Updated, "metadata.lastNewBehaviour", source),
            Processes = [.. (spec.Processes ?? []).Select(p => new ProcessEntry(Absolute(p.Executable, "a process executable", source), Hash(p.Sha256, source), p.Parent, p.User, Uid(p.Uid, source), p.Name)).Distinct()],
            Files = [.. (spec.Files ?? []).Select(f => new FileAccessEntry(Absolute(f.Path, "a file path", source), f.Access switch
            {
                "r" => FileAccessKind.Read,
                "w" => FileAccessKind.Write,
                "rw" => FileAccessKind.ReadWrite,
                _ => throw new ProfileFormatException($"{source}: file {f.Path}: access '{f.Access}': expected r, w or rw"),
            }))],
            Network = [.. (spec.Network ?? []).Select(n => Network(n, source)).Distinct()],
            Syscalls = [.. (spec.Syscalls ?? []).Select(s => SyscallTable.Number(s) is null ? throw new ProfileFormatException($"{source}: unknown system call '{s}'") : s).Distinct().Order(StringComparer.Ordinal)],
            Capabilities = [.. (spec.Capabilities ?? []).Select(c => c.StartsWith("CAP_", StringComparison.Ordinal) && c.Length > 4 && c[4..].All(ch => char.IsAsciiLetterUpper(ch) || ch == '_')
                ? c : throw new ProfileFormatException($"{source}: capability '{c}': expected a name like CAP_NET_BIND_SERVICE")).Distinct().Order(StringComparer.Ordinal)],
        };
    }

    private static NetworkEntry Network(NetworkRule n, string source)
    {
        var direction = n.Direction switch
        {
            "egress" => NetworkDirection.Egress,
            "ingress" => NetworkDirection.Ingress,
            _ => throw new ProfileFormatException($"{source}: network direction '{n.Direction}': expected egress or ingress"),
        };
        if (n.Protocol is not ("tcp" or "udp")) throw new ProfileFormatException($"{source}: network protocol '{n.Protocol}': expected tcp or udp");
        if (n.Port is < 0 or > 65535) throw new ProfileFormatException($"{source}: network port {n.Port} out of range");
        if (n.Peer is null || !(IPNetwork.TryParse(n.Peer, out _) || IPAddress.TryParse(n.Peer, out _)))
            throw new ProfileFormatException($"{source}: network peer '{n.Peer}': expected an IP address or CIDR");
        return new NetworkEntry(direction, n.Protocol, n.Peer, n.Port, n.DnsName, n.Workload);
    }

    private static string Absolute(string? path, string what, string source) =>
        path is { Length: > 0 } && path[0] == '/' ? path : throw new ProfileFormatException($"{source}: {what} '{path}' is not an absolute path");

    private static long? Uid(long? uid, string source) =>
        uid is null or (>= 0 and <= uint.MaxValue) ? uid : throw new ProfileFormatException($"{source}: uid {uid} is out of range");

    private static string? Hash(string? sha256, string source) =>
        sha256 is null || (sha256.Length == 64 && sha256.All(char.IsAsciiHexDigitLower)) ? sha256 : throw new ProfileFormatException($"{source}: sha256 '{sha256}' is not 64 lowercase hex digits");

    private static DateTimeOffset Time(string? value, string field, string source) =>
        value is null ? DateTimeOffset.UnixEpoch
        : DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t
        : throw new ProfileFormatException($"{source}: {field} '{value}' is not a time");

    // The YAML shape, kept apart from the domain records so the file format can stay stable as they evolve.
    private sealed class Document
    {
        public string? ApiVersion { get; set; }
        public string? Kind { get; set; }
        public Metadata? Metadata { get; set; }
        public Spec? Spec { get; set; }
    }

    private sealed class Metadata
    {
        public string? Workload { get; set; }
        public string? Image { get; set; }
        public string? ImageDigest { get; set; }
        public string? Created { get; set; }
        public string? Updated { get; set; }
        public string? LastNewBehaviour { get; set; }
    }

    private sealed class Spec
    {
        public string? Mode { get; set; } = "learn";
        public bool? DriftPrevention { get; set; }
        public List<Process> Processes { get; set; } = [];
        public List<FileRule> Files { get; set; } = [];
        public List<NetworkRule> Network { get; set; } = [];
        public List<string> Syscalls { get; set; } = [];
        public List<string> Capabilities { get; set; } = [];
    }

    private sealed class Process
    {
        public string? Executable { get; set; }
        public string? Name { get; set; }
        public string? Sha256 { get; set; }
        public string? Parent { get; set; }
        public string? User { get; set; }
        public long? Uid { get; set; }
    }

    private sealed class FileRule
    {
        public string? Path { get; set; }
        public string? Access { get; set; }
    }

    private sealed class NetworkRule
    {
        public string? Direction { get; set; }
        public string? Protocol { get; set; }
        public string? Peer { get; set; }
        public int Port { get; set; }
        public string? DnsName { get; set; }
        public string? Workload { get; set; }
    }
}
