using System.Text.RegularExpressions;
using ZeroDrift.Misconfig.Kubernetes;

namespace ZeroDrift.Misconfig.Dockerfiles;

/// <summary>The Dockerfile checks over a parsed <see cref="Dockerfile"/>.</summary>
internal static partial class DockerfileChecks
{
    private sealed record Stage(int Index, string? Name, string Base, DockerInstruction From, List<DockerInstruction> Body);

    [GeneratedRegex(@"\b(curl|wget)\b[^|;&\n]*\|\s*(sudo\s+(-\S+\s+)*)?(env\s+\S+\s+)*(/usr/bin/|/bin/)?(ba|z|da|k|a)?sh\b|\b(ba|z|da|k)?sh\s+(-c\s+)?[""']?\$\(\s*(curl|wget)\b|\b(ba|z|da|k)?sh\s+<\(\s*(curl|wget)\b|\b(curl|wget)\b[^|;&\n]*\|\s*(python[0-9.]*|perl|ruby|node)\b")]
    private static partial Regex PipeToShell();

    [GeneratedRegex(@"(^|[\s;&|(`])sudo(\s|$)")]
    private static partial Regex Sudo();

    [GeneratedRegex(@"\bapt(-get)?\s+(\S+\s+)*install\b")]
    private static partial Regex AptInstall();

    [GeneratedRegex(@"rm\s+(-\S+\s+)*[^;&|\n]*/var/lib/apt/lists")]
    private static partial Regex AptClean();

    [GeneratedRegex(@"\bapk\s+(\S+\s+)*add\b")]
    private static partial Regex ApkAdd();

    [GeneratedRegex(@"--no-cache\b|rm\s+(-\S+\s+)*[^;&|\n]*/var/cache/apk")]
    private static partial Regex ApkClean();

    [GeneratedRegex(@"\b(yum|dnf|microdnf)\s+(\S+\s+)*install\b")]
    private static partial Regex YumInstall();

    [GeneratedRegex(@"\b(yum|dnf|microdnf)\s+(\S+\s+)*clean\s+all\b|rm\s+(-\S+\s+)*[^;&|\n]*/var/cache/(yum|dnf)")]
    private static partial Regex YumClean();

    public static IEnumerable<Issue> Check(Dockerfile file)
    {
        var globalArgs = new Dictionary<string, string>(StringComparer.Ordinal);
        var stages = new List<Stage>();
        foreach (var ins in file.Instructions)
        {
            if (ins.Keyword == "FROM")
            {
                var words = DockerfileParser.Words(ins.Arguments, file.Escape);
                var image = words.Count > 0 ? words[0] : "";
                var name = words.Count >= 3 && words[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? words[2] : null;
                stages.Add(new Stage(stages.Count, name, Substitute(image, globalArgs), ins, []));
                continue;
            }
            if (stages.Count == 0)
            {
                if (ins.Keyword == "ARG")
                    foreach (var (k, v, _) in Assignments(ins, file.Escape)) if (v is not null) globalArgs[k] = v;
            }
            else stages[^1].Body.Add(ins);
        }

        foreach (var issue in Instructions(file)) yield return issue;
        if (stages.Count == 0) yield break;

        foreach (var stage in stages)
        {
            var isStage = stages.Take(stage.Index).Any(s => s.Name is not null && s.Name.Equals(stage.Base, StringComparison.OrdinalIgnoreCase));
            if (isStage || stage.Base.Equals("scratch", StringComparison.OrdinalIgnoreCase)) continue;
            if (ImageReference.TagProblem(stage.Base) is { } problem)
                yield return At("ZD-DF-002", stage.From, 0, $"base image {stage.Base} has {problem}", $"stage{stage.Index}");
        }

        var final = stages[^1];
        var user = LastInChain(stages, final, "USER");
        if (user is null)
            yield return At("ZD-DF-001", final.From, -1, "the final stage sets no USER, so the container runs as root", "final");
        else
        {
            var name = DockerfileParser.Words(user.Arguments, file.Escape).FirstOrDefault() ?? "";
            var who = name.Split(':')[0];
            if (who is "root" or "0")
                yield return At("ZD-DF-001", user, 0, $"the final stage runs as {name}", "final");
        }

        if (LastInChain(stages, final, "HEALTHCHECK") is null)
            yield return At("ZD-DF-008", final.From, -1, "the final stage has no HEALTHCHECK", "final");
    }

    /// <summary>The last instruction of a keyword in a stage, or in the stages it builds on (<c>FROM build AS final</c>).</summary>
    private static DockerInstruction? LastInChain(List<Stage> stages, Stage stage, string keyword)
    {
        var seen = new HashSet<int>();
        Stage? current = stage;
        while (current is not null && seen.Add(current.Index))
        {
            if (current.Body.LastOrDefault(i => i.Keyword == keyword) is { } found) return found;
            var c = current;
            current = stages.Take(c.Index).LastOrDefault(s => s.Name is not null && s.Name.Equals(c.Base, StringComparison.OrdinalIgnoreCase));
        }
        return null;
    }

    private static IEnumerable<Issue> Instructions(Dockerfile file)
    {
        foreach (var ins in file.Instructions)
        {
            switch (ins.Keyword)
            {
                case "ADD":
                    if (ins.Flag("checksum") is not null) break;
                    var sources = ins.JsonArgs is { } j ? j.Take(j.Count - 1) : DockerfileParser.Words(ins.Arguments, file.Escape).SkipLast(1);
                    foreach (var src in sources)
                    {
                        if (src.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || src.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
                        {
                            yield return At("ZD-DF-003", ins, Math.Max(0, ins.Text.IndexOf(src, StringComparison.Ordinal)), $"ADD downloads {src} without a checksum", src);
                        }
                    }
                    break;
                case "RUN":
                {
                    var script = ins.JsonArgs is { } args ? string.Join(' ', args) : ins.Text;
                    var offsetBase = ins.JsonArgs is null;
                    if (PipeToShell().Match(script) is { Success: true } pipe)
                        yield return At("ZD-DF-004", ins, offsetBase ? pipe.Index : 0, "RUN pipes a downloaded script into an interpreter", $"run{ins.Line}");
                    if (Sudo().Match(script) is { Success: true } sudo)
                        yield return At("ZD-DF-006", ins, offsetBase ? sudo.Index + sudo.Groups[1].Length : 0, "RUN uses sudo", $"run{ins.Line}");
                    var cacheMount = ins.Flags.Any(f => f.StartsWith("--mount=", StringComparison.OrdinalIgnoreCase) && f.Contains("type=cache", StringComparison.OrdinalIgnoreCase));
                    if (!cacheMount)
                    {
                        foreach (var (install, clean, what) in new[] { (AptInstall(), AptClean(), "apt-get install without rm -rf /var/lib/apt/lists/*"),
                                     (ApkAdd(), ApkClean(), "apk add without --no-cache"), (YumInstall(), YumClean(), "yum/dnf install without clean all") })
                        {
                            if (install.Match(script) is { Success: true } m && !clean.IsMatch(script))
                                yield return At("ZD-DF-007", ins, offsetBase ? m.Index : 0, $"RUN leaves the package cache in the layer ({what})", $"run{ins.Line}:{what}");
                        }
                    }
                    break;
                }
                case "ENV" or "ARG":
                    foreach (var (name, value, offset) in Assignments(ins, file.Escape))
                    {
                        if (SecretNames.LooksSecret(name) && SecretNames.IsLiteral(value))
                            yield return At("ZD-DF-005", ins, offset, $"{ins.Keyword} sets {name} to a literal value, kept in the image history", $"{ins.Keyword}:{name}");
                    }
                    break;
                case "EXPOSE":
                    foreach (var port in DockerfileParser.Words(ins.Arguments, file.Escape))
                    {
                        var p = port.Split('/')[0];
                        var range = p.Split('-');
                        if (range.Length is 1 or 2 && int.TryParse(range[0], out var lo) && int.TryParse(range[^1], out var hi) && lo <= 22 && 22 <= hi)
                            yield return At("ZD-DF-009", ins, Math.Max(0, ins.Text.IndexOf(port, StringComparison.Ordinal)), $"EXPOSE {port} opens the SSH port", "expose22");
                    }
                    break;
            }
        }
    }

    /// <summary>The name=value pairs of ENV or ARG (and the legacy <c>ENV name value</c> form), with each name's offset in the text.</summary>
    private static IEnumerable<(string Name, string? Value, int Offset)> Assignments(DockerInstruction ins, char escape)
    {
        var words = DockerfileParser.Words(ins.Arguments, escape);
        if (ins.Keyword == "ENV" && words.Count >= 2 && !words[0].Contains('=', StringComparison.Ordinal))
        {
            var name = words[0];
            yield return (name, ins.Arguments[name.Length..].Trim(), Math.Max(0, ins.Text.IndexOf(name, StringComparison.Ordinal)));
            yield break;
        }
        var searchFrom = 0;
        foreach (var w in words)
        {
            var eq = w.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? w : w[..eq];
            var at = ins.Text.IndexOf(name, searchFrom, StringComparison.Ordinal);
            if (at >= 0) searchFrom = at + name.Length;
            yield return (name, eq < 0 ? null : w[(eq + 1)..], Math.Max(0, at));
        }
    }

    /// <summary>Replaces <c>$NAME</c> and <c>${NAME}</c> with global ARG defaults, so <c>FROM ${BASE}</c> is judged on its default.</summary>
    private static string Substitute(string image, Dictionary<string, string> args)
    {
        if (!image.Contains('$', StringComparison.Ordinal)) return image;
        var result = Regex.Replace(image, @"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", m => args.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value,
            RegexOptions.None, TimeSpan.FromSeconds(1));
        return result;
    }

    /// <param name="offset">Offset in the instruction's text; -1 points at the instruction keyword.</param>
    private static Issue At(string checkId, DockerInstruction ins, int offset, string message, string key)
    {
        var (line, column) = offset < 0 ? (ins.Line, ins.Column) : ins.PositionOf(offset);
        return new Issue(checkId, line, column, message, key);
    }
}
