using System.CommandLine;
using ZeroDrift.Misconfig.Kubernetes;

namespace ZeroDrift.Cli.Commands;

/// <summary>
/// <c>--pss-version v1.N|latest</c>: the Pod Security Standards policy version pods are judged at, as Kubernetes pins it
/// per namespace with <c>pod-security.kubernetes.io/enforce-version</c>. One option for <c>scan</c>, <c>policy check</c>,
/// <c>admission</c> and <c>server</c>, so that a pod gets the same answer from each at the same version.
/// </summary>
public static class PssVersionOption
{
    public static Option<string?> Create(string judged) => new("--pss-version")
    {
        Description = $"Pod Security Standards policy version {judged} are judged at: v1.0 to {PssVersion.Newest}, or latest (the default, {PssVersion.Newest})",
    };

    /// <summary>The version given, or the newest when none was; a malformed one is a usage error (one line, exit 2).</summary>
    public static PssVersion Read(ParseResult parse, Option<string?> option) => parse.GetValue(option) switch
    {
        null => PssVersion.Newest,
        var text when PssVersion.TryParse(text, out var version) => version,
        var text => throw new UsageException($"--pss-version {text}: {PssVersion.Expected}"),
    };
}
