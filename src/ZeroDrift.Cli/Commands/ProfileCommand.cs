using System.CommandLine;
using System.Globalization;
using ZeroDrift.Cli.Output;
using ZeroDrift.Runtime.Hardening;
using ZeroDrift.Runtime.Profiles;

namespace ZeroDrift.Cli.Commands;

/// <summary><c>zerodrift profile …</c>: the learned behaviour profiles, as data a user reviews, versions and turns into hardening.</summary>
public static class ProfileCommand
{
    public static readonly Option<string?> ProfilesOption = new("--profiles")
    {
        Description = "Profile store (default $ZERODRIFT_PROFILES, else $XDG_DATA_HOME/zerodrift/profiles.db)",
        Recursive = true,
    };

    private static Argument<string> Selector(string name = "selector") => new(name)
    {
        Description = "An image reference as run (localhost/app:1), an image digest or a 12+ digit prefix of one, a workload name, or a profile key",
    };

    public static Command Create()
    {
        var profile = new Command("profile", "Behaviour profiles learned per workload: list, show, diff, export/import as YAML, switch mode, generate hardening");
        profile.Options.Add(ProfilesOption);
        profile.Subcommands.Add(List());
        profile.Subcommands.Add(Show());
        profile.Subcommands.Add(Diff());
        profile.Subcommands.Add(Export());
        profile.Subcommands.Add(Import());
        profile.Subcommands.Add(Mode());
        profile.Subcommands.Add(DriftPrevention());
        profile.Subcommands.Add(Seccomp());
        profile.Subcommands.Add(NetworkPolicy());
        profile.Subcommands.Add(ProfileAttestCommands.Attest());
        profile.Subcommands.Add(ProfileAttestCommands.ImportAttested(ProfilesOption));
        return profile;
    }

    private static ProfileStore OpenStore(ParseResult parse) => ProfileStore.Open(parse.GetValue(ProfilesOption) ?? ProfileStore.DefaultPath());

    /// <summary>Exactly one profile, or a usage error that says what matched.</summary>
    private static BehaviourProfile FindOne(ProfileStore store, string selector)
    {
        var found = store.Find(selector);
        return found.Count switch
        {
            1 => found[0],
            0 => throw new UsageException($"no profile matches '{selector}' ('zerodrift profile list' shows them)"),
            _ => throw new UsageException($"'{selector}' matches {found.Count} profiles ({string.Join(", ", found.Select(p => p.Identity.Key))}); give a key or a digest"),
        };
    }

    private static Command List()
    {
        var command = new Command("list", "List stored profiles");
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, _ =>
        {
            using var store = OpenStore(parse);
            var rows = store.List().Select(p => new[]
            {
                p.Identity.Workload, p.Identity.ImageName ?? "", Short(p.Identity.ImageDigest), p.Mode.ToString().ToLowerInvariant(),
                p.Processes.Count.ToString(CultureInfo.InvariantCulture), p.Files.Count.ToString(CultureInfo.InvariantCulture),
                p.Network.Count.ToString(CultureInfo.InvariantCulture), p.Syscalls.Count.ToString(CultureInfo.InvariantCulture),
                p.LastNewBehaviour.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            }).ToList();
            TextTable.Write(Console.Out, Terminal.StdoutIsInteractive && !parse.GetValue(GlobalOptions.Quiet),
                ["WORKLOAD", "IMAGE", "DIGEST", "MODE", "PROCESSES", "FILES", "NETWORK", "SYSCALLS", "LAST NEW BEHAVIOUR"], rows, $"{rows.Count} profiles");
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }

    private static Command Show()
    {
        var selector = Selector();
        var command = new Command("show", "Print one profile as YAML") { selector };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, _ =>
        {
            using var store = OpenStore(parse);
            Console.Out.Write(ProfileYaml.Export(FindOne(store, parse.GetValue(selector)!)));
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }

    private static Command Diff()
    {
        var from = Selector("from");
        var to = Selector("to");
        var command = new Command("diff", "What changed between two profiles (say, one workload on two image versions); exit 1 when they differ") { from, to };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, _ =>
        {
            using var store = OpenStore(parse);
            var diff = ProfileDiff.Between(FindOne(store, parse.GetValue(from)!), FindOne(store, parse.GetValue(to)!));
            Console.Out.WriteLine($"--- {diff.From.Key}");
            Console.Out.WriteLine($"+++ {diff.To.Key}");
            foreach (var section in diff.Sections.Where(s => s.Added.Count + s.Removed.Count + s.Changed.Count > 0))
            {
                Console.Out.WriteLine($"{section.Section}:");
                foreach (var line in section.Removed) Console.Out.WriteLine($"- {line}");
                foreach (var line in section.Added) Console.Out.WriteLine($"+ {line}");
                foreach (var line in section.Changed) Console.Out.WriteLine($"~ {line}");
            }
            return Task.FromResult(diff.Empty ? ExitCodes.Ok : ExitCodes.Findings);
        }, ct));
        return command;
    }

    private static Command Export()
    {
        var selector = Selector();
        var output = new Option<FileInfo?>("--output", "-f") { Description = "Write to this file instead of standard output" };
        var command = new Command("export", "Export a profile as YAML (apiVersion zerodrift.dev/v1, kind BehaviourProfile) for review and GitOps") { selector, output };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async token =>
        {
            using var store = OpenStore(parse);
            var yaml = ProfileYaml.Export(FindOne(store, parse.GetValue(selector)!));
            if (parse.GetValue(output) is { } file) await File.WriteAllTextAsync(file.FullName, yaml, token).ConfigureAwait(false);
            else Console.Out.Write(yaml);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Import()
    {
        var files = new Argument<FileInfo[]>("file") { Description = "Profile YAML files", Arity = ArgumentArity.OneOrMore };
        var command = new Command("import", "Import profiles from YAML, replacing stored ones of the same workload and image") { files };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, _ =>
        {
            // Every file is checked before any is stored: a bad file in a GitOps folder changes nothing.
            var profiles = parse.GetValue(files)!.Select(f => ProfileYaml.Import(f.FullName)).ToList();
            using var store = OpenStore(parse);
            foreach (var p in profiles)
            {
                store.Save(p);
                Console.Out.WriteLine($"imported {p.Identity.Key} ({p.Mode.ToString().ToLowerInvariant()})");
            }
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }

    private static Command Mode()
    {
        var selector = Selector();
        var mode = new Argument<ProfileMode>("mode") { Description = "learn, monitor or protect" };
        var command = new Command("mode", "Switch a workload's mode (a running agent applies it within 2 seconds)") { selector, mode };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, _ =>
        {
            using var store = OpenStore(parse);
            var found = store.Find(parse.GetValue(selector)!);
            if (found.Count == 0) throw new UsageException($"no profile matches '{parse.GetValue(selector)}' ('zerodrift profile list' shows them)");
            // An image reference or workload name may cover several image versions: all of them switch.
            foreach (var p in found)
            {
                store.Save(p with { Mode = parse.GetValue(mode), Updated = DateTimeOffset.UtcNow });
                Console.Out.WriteLine($"{p.Identity.Key}: {p.Mode.ToString().ToLowerInvariant()} -> {parse.GetValue(mode).ToString().ToLowerInvariant()}");
            }
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }

    private static Command DriftPrevention()
    {
        var selector = Selector();
        var state = new Argument<string>("on|off") { Description = "on: an executable from the writable layer or a memfd is killed at exec in every mode; off: only the mode decides" };
        var command = new Command("drift-prevention", "Turn a workload's drift prevention on or off, in every mode (a running agent applies it within 2 seconds)") { selector, state };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, _ =>
        {
            var on = parse.GetValue(state)!.ToLowerInvariant() switch
            {
                "on" => true,
                "off" => false,
                var other => throw new UsageException($"drift-prevention {other}: expected on or off"),
            };
            using var store = OpenStore(parse);
            var found = store.Find(parse.GetValue(selector)!);
            if (found.Count == 0) throw new UsageException($"no profile matches '{parse.GetValue(selector)}' ('zerodrift profile list' shows them)");
            foreach (var p in found)
            {
                store.SetDriftPrevention(p.Identity.Key, on);
                Console.Out.WriteLine($"{p.Identity.Key}: drift prevention {(p.DriftPrevention ? "on" : "off")} -> {(on ? "on" : "off")}");
            }
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }

    private static Command Seccomp()
    {
        var selector = Selector();
        var noBaseline = new Option<bool>("--no-runtime-baseline") { Description = "Leave out the system calls runc makes before the workload starts (for a filter applied another way)" };
        var command = new Command("seccomp", "A seccomp profile (OCI/Docker JSON) allowing only the system calls the workload used") { selector, noBaseline };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, _ =>
        {
            using var store = OpenStore(parse);
            var profile = FindOne(store, parse.GetValue(selector)!);
            if (profile.Syscalls.Count == 0) throw new UsageException($"{profile.Identity.Key} has no system calls learned yet");
            Console.Out.Write(SeccompProfileGenerator.Generate(profile.Syscalls, includeRuntimeBaseline: !parse.GetValue(noBaseline)));
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }

    private static Command NetworkPolicy()
    {
        var selector = Selector();
        var name = new Option<string?>("--name") { Description = "The policy's name (default: the workload's name)" };
        var @namespace = new Option<string?>("--namespace", "-n") { Description = "The policy's namespace (default: the workload's, when it is a Kubernetes workload)" };
        var labels = new Option<string[]>("--pod-selector") { Description = "Pod labels the policy selects, key=value (default app=<workload name>)", AllowMultipleArgumentsPerToken = true };
        var openIngress = new Option<bool>("--open-ingress") { Description = "Allow the served ports from any peer, not only the ones seen" };
        var command = new Command("networkpolicy", "A Kubernetes NetworkPolicy allowing only the connections the workload made and served") { selector, name, @namespace, labels, openIngress };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, _ =>
        {
            using var store = OpenStore(parse);
            var profile = FindOne(store, parse.GetValue(selector)!);
            var workload = profile.Identity.Workload.Split('/');
            var selectorLabels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var label in parse.GetValue(labels) ?? [])
            {
                var eq = label.IndexOf('=');
                if (eq <= 0) throw new UsageException($"--pod-selector {label}: expected key=value");
                selectorLabels[label[..eq]] = label[(eq + 1)..];
            }
            if (selectorLabels.Count == 0) selectorLabels["app"] = workload[^1];
            Console.Out.Write(NetworkPolicyGenerator.Generate(profile, parse.GetValue(name) ?? workload[^1],
                parse.GetValue(@namespace) ?? (workload.Length == 3 ? workload[0] : null), selectorLabels, parse.GetValue(openIngress)));
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }

    private static string Short(string digest) => digest.StartsWith("sha256:", StringComparison.Ordinal) && digest.Length > 19 ? digest[..19] : digest;
}
