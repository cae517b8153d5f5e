using System.Text;
using ZeroDrift.Core.Budgets;
using ZeroDrift.Core.Findings;
using ZeroDrift.Misconfig.Compose;
using ZeroDrift.Misconfig.Custom;
using ZeroDrift.Misconfig.Documents;
using ZeroDrift.Misconfig.Dockerfiles;
using ZeroDrift.Misconfig.Iac;
using ZeroDrift.Misconfig.Iac.Arm;
using ZeroDrift.Misconfig.Iac.CloudFormation;
using ZeroDrift.Misconfig.Iac.Terraform;
using ZeroDrift.Misconfig.Kubernetes;
using ZeroDrift.Parsing;
using ZeroDrift.Parsing.Streams;

namespace ZeroDrift.Misconfig;

/// <summary>
/// The misconfiguration scanner of <c>zerodrift scan --scanners misconfig</c>: Dockerfiles (by name), Compose files
/// (by name), and Kubernetes manifests (any YAML or JSON file whose documents have apiVersion and kind), plus the
/// user's custom CEL checks on Kubernetes resources. Findings point at file:line:column.
/// </summary>
public sealed class MisconfigDetector : IDeferredContentDetector
{
    private readonly MisconfigOptions _options;
    private readonly IReadOnlyList<CustomCheck> _custom;
    private readonly List<string> _loadWarnings = [];
    private int _loadWarningsReported;

    private MisconfigDetector(MisconfigOptions options)
    {
        _options = options;
        var custom = new List<CustomCheck>();
        foreach (var file in options.CustomCheckFiles) custom.AddRange(CustomCheckLoader.Load(file, _loadWarnings.Add, options.CelLimits));
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in custom)
            if (!ids.Add(c.Rule.Id)) throw new CustomCheckFileException($"custom check id {c.Rule.Id} is defined in more than one file");
        _custom = custom;
        Rules = [.. Checks.All, .. Iac.Checks.IacChecks.Rules, .. custom.Select(c => c.Rule)];
    }

    /// <summary>Creates the detector; custom check files are loaded now (a missing or malformed file throws an
    /// <see cref="IOException"/>; a check whose expression does not compile is skipped with a warning, see <see cref="LoadWarnings"/>).</summary>
    public static MisconfigDetector Create(MisconfigOptions? options = null) => new(options ?? new MisconfigOptions());

    public FindingClass Class => FindingClass.Misconfig;

    public IReadOnlyList<RuleDescriptor> Rules { get; }

    /// <summary>Warnings from loading custom checks; also passed once to the first scan's warning callback.</summary>
    public IReadOnlyList<string> LoadWarnings => _loadWarnings;

    public enum FileKind { None, Dockerfile, Compose, Manifest, Terraform }

    /// <summary>The Terraform files of the target, judged together once all are read (<see cref="Complete"/>).</summary>
    private TerraformProject _terraform = new();

    /// <summary>Facts of the target's Kubernetes manifests that span documents (RBAC, NetworkPolicies), judged in <see cref="Complete"/>.</summary>
    private ClusterModel _cluster = new();

    public static FileKind KindOf(string path)
    {
        var name = Path.GetFileName(path);
        var lower = name.ToLowerInvariant();
        if (lower is "dockerfile" or "containerfile" || lower.StartsWith("dockerfile.", StringComparison.Ordinal)
            || lower.StartsWith("containerfile.", StringComparison.Ordinal) || lower.EndsWith(".dockerfile", StringComparison.Ordinal)
            || lower.EndsWith(".containerfile", StringComparison.Ordinal))
            return FileKind.Dockerfile;
        var ext = Path.GetExtension(lower);
        if (ext == ".tf" || TerraformJson.IsJsonFile(lower) || TerraformProject.IsVarsFile(lower)) return FileKind.Terraform;
        if (ext is ".template") return FileKind.Manifest;
        if (ext is ".yaml" or ".yml")
        {
            var stem = Path.GetFileNameWithoutExtension(lower);
            if (stem is "compose" or "docker-compose" || stem.StartsWith("docker-compose.", StringComparison.Ordinal) || stem.StartsWith("compose.", StringComparison.Ordinal))
                return FileKind.Compose;
            return FileKind.Manifest;
        }
        return ext == ".json" ? FileKind.Manifest : FileKind.None;
    }

    public bool FileRequired(string path, long size) => KindOf(path) switch
    {
        FileKind.Dockerfile => size <= _options.MaxDockerfileBytes,
        FileKind.Compose or FileKind.Manifest or FileKind.Terraform => size <= _options.MaxManifestBytes,
        _ => false,
    };

    public IEnumerable<ContentFinding> Scan(string path, Stream content, Action<string> warn, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _loadWarningsReported, 1) == 0) foreach (var w in _loadWarnings) warn(w);
        var kind = KindOf(path);
        if (kind == FileKind.None) return [];
        var limit = kind == FileKind.Dockerfile ? _options.MaxDockerfileBytes : _options.MaxManifestBytes;
        string text;
        try
        {
            byte[] bytes;
            try
            {
                bytes = BoundedRead.ReadAll(content, limit, path);
            }
            catch (BudgetExceededException)
            {
                warn($"{path}: larger than {limit} bytes; not checked for misconfiguration");
                return [];
            }
            if (BinaryContent.IsBinary(bytes))
            {
                if (kind != FileKind.Manifest || path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
                    warn($"{path}: binary content; not checked for misconfiguration");
                return [];
            }
            text = new UTF8Encoding(false, true).GetString(bytes).TrimStart('\uFEFF');
        }
        catch (Exception e) when (e is IOException or DecoderFallbackException)
        {
            warn($"{path}: not readable as UTF-8 text ({e.Message}); not checked for misconfiguration");
            return [];
        }

        switch (kind)
        {
            case FileKind.Dockerfile:
                try
                {
                    return DockerfileChecks.Check(DockerfileParser.Parse(text)).Select(i => ToFinding(path, Checks.Get(i.CheckId), i)).ToList();
                }
                catch (FormatException e)
                {
                    warn($"{path}: not a valid Dockerfile: {e.Message}");
                    return [];
                }
            case FileKind.Compose:
                return Compose(path, text, warn);
            case FileKind.Terraform:
                _terraform.Add(path, text, _options.Budget.MaxDepth, warn);
                return [];
            default:
                // Infrastructure templates are recognised by their content, whatever their name.
                if (CloudFormationTemplate.MayBe(text) || ArmTemplate.MayBe(text) || TerraformPlan.MayBe(text))
                    return Templates(path, text, warn, cancellationToken);
                // Cheap test before parsing: most YAML and JSON files in a tree are not Kubernetes objects.
                if (!text.Contains("apiVersion", StringComparison.Ordinal) || !text.Contains("kind", StringComparison.Ordinal)) return [];
                return Manifests(path, text, warn, cancellationToken);
        }
    }

    private IEnumerable<ContentFinding> Compose(string path, string text, Action<string> warn)
    {
        foreach (var doc in Documents(path, text, warn))
            if (ComposeChecks.IsCompose(doc))
                foreach (var issue in ComposeChecks.Check(doc!)) yield return ToFinding(path, Checks.Get(issue.CheckId), issue);
    }

    /// <summary>CloudFormation, ARM and Terraform plan documents (a file recognised as none of them is read as manifests).</summary>
    private IEnumerable<ContentFinding> Templates(string path, string text, Action<string> warn, CancellationToken cancellationToken)
    {
        var resources = new List<IacResource>();
        var kubernetes = false;
        using (var documents = YamlDocuments.Read(new StringReader(text), _options.Budget, path, intrinsicTags: true).GetEnumerator())
        {
            while (true)
            {
                try
                {
                    if (!documents.MoveNext()) break;
                }
                catch (DocumentException e)
                {
                    warn($"{e.Message}; {(resources.Count > 0 ? "checked the resources before it" : "not checked")}");
                    break;
                }
                var doc = documents.Current;
                if (CloudFormationTemplate.Is(doc)) resources.AddRange(CloudFormationTemplate.Resources(doc!, path));
                else if (ArmTemplate.Is(doc)) resources.AddRange(ArmTemplate.Resources(doc!, path));
                else if (TerraformPlan.Is(doc)) resources.AddRange(TerraformPlan.Resources(doc!, path));
                else if (KubernetesChecks.IsResource(doc)) kubernetes = true;
            }
        }
        var findings = IacJudge.Judge(resources, _custom, warn, cancellationToken).Select(x => ToFinding(x.File, x.Rule, x.Issue)).ToList();
        if (kubernetes) findings.AddRange(Manifests(path, text, warn, cancellationToken));
        return findings;
    }

    /// <summary>The Terraform modules of the target, evaluated and checked once all their files are read.</summary>
    public IEnumerable<ContentFinding> Complete(Action<string> warn, CancellationToken cancellationToken)
    {
        var project = Interlocked.Exchange(ref _terraform, new TerraformProject());
        var cluster = Interlocked.Exchange(ref _cluster, new ClusterModel());
        var findings = cluster.Judge().Select(x => ToFinding(x.File, Checks.Get(x.Issue.CheckId), x.Issue)).ToList();
        if (project.IsEmpty) return findings;
        var resources = project.Resources(warn, cancellationToken).ToList();
        findings.AddRange(IacJudge.Judge(resources, _custom, warn, cancellationToken).Select(x => ToFinding(x.File, x.Rule, x.Issue)));
        return findings;
    }

    /// <summary>Findings document by document, as the file is parsed: the caller may stop reading when it has enough.</summary>
    private IEnumerable<ContentFinding> Manifests(string path, string text, Action<string> warn, CancellationToken cancellationToken)
    {
        var customTime = new CustomCheckTime(_options.CelLimits.MaxTimePerFile);
        foreach (var doc in Documents(path, text, warn))
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var resource in Resources(doc))
            {
                _cluster.Add(path, resource);
                foreach (var issue in KubernetesChecks.Check(resource, _options.PssVersion)) yield return ToFinding(path, Checks.Get(issue.CheckId), issue);
                var custom = new List<(CustomCheck Check, Issue Issue)>();
                RunCustom(path, resource, custom, warn, customTime);
                foreach (var (check, issue) in custom) yield return ToFinding(path, check.Rule, issue);
            }
        }
    }

    /// <summary>The Kubernetes objects in a document: itself, or the items of a List (kubectl get -o yaml output).</summary>
    private static IEnumerable<DocNode> Resources(DocNode? doc)
    {
        if (!KubernetesChecks.IsResource(doc)) yield break;
        if (doc!["kind"]!.Str!.EndsWith("List", StringComparison.Ordinal) && doc["items"] is SeqNode items)
        {
            foreach (var item in items.Children) if (KubernetesChecks.IsResource(item)) yield return item;
            yield break;
        }
        yield return doc;
    }

    /// <summary>The custom checks' time on one file: a manifest of many documents, each costly for a check (its data
    /// drives the cost), would otherwise take the per-document deadline once per document.</summary>
    private sealed class CustomCheckTime(TimeSpan limit)
    {
        private readonly long _limit = (long)(limit.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        public long Spent { get; set; }
        public bool Reported { get; set; }
        public bool Exhausted => Spent > _limit;
    }

    private void RunCustom(string path, DocNode resource, List<(CustomCheck, Issue)> found, Action<string> warn, CustomCheckTime time)
    {
        if (_custom.Count == 0) return;
        if (time.Exhausted)
        {
            if (!time.Reported)
                warn($"{path}: custom checks ran longer than {_options.CelLimits.MaxTimePerFile.TotalSeconds:0} s on this file; from {KubernetesChecks.ResourceKey(resource)} on, its resources are not checked by them");
            time.Reported = true;
            return;
        }
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var kind = resource["kind"]?.Str;
        object? cel = null;
        var converted = false;
        foreach (var check in _custom)
        {
            if (!check.Matches(kind)) continue;
            if (!converted) { cel = CustomCheckLoader.ToCel(resource); converted = true; }
            var key = KubernetesChecks.ResourceKey(resource);
            try
            {
                if (check.Evaluate(cel)) continue;
                var at = resource["kind"]!.Start;
                found.Add((check, new Issue(check.Rule.Id, at?.Line ?? 0, at?.Column ?? 0,
                    $"{key}: {check.Message ?? check.Rule.Title}", key)));
            }
            catch (CelBudgetExceededException e)
            {
                warn($"{path}: custom check {check.Rule.Id} stopped on {key}: {e.Message}; not decided for this resource");
            }
            catch (Exception e) // CEL reports missing fields and type errors with its own exception types
            {
                warn($"{path}: custom check {check.Rule.Id} could not be evaluated on {key}: {e.Message.Split('\n')[0]}");
            }
        }
        time.Spent += System.Diagnostics.Stopwatch.GetTimestamp() - started;
    }

    /// <summary>The documents of a file one at a time; one that cannot be read ends the file with a warning, after those before it.</summary>
    private IEnumerable<DocNode?> Documents(string path, string text, Action<string> warn)
    {
        using var documents = YamlDocuments.Read(new StringReader(text), _options.Budget, path).GetEnumerator();
        var read = 0;
        while (true)
        {
            try
            {
                if (!documents.MoveNext()) yield break;
            }
            catch (DocumentException e)
            {
                // Helm and other Go templates are not rendered here; say so rather than only "invalid YAML".
                var template = text.Contains("{{", StringComparison.Ordinal) ? " (the file looks like a Go/Helm template, which is not rendered)" : "";
                warn($"{e.Message}{template}; {(read > 0 ? $"checked the {read} document(s) before it" : "not checked")}");
                yield break;
            }
            read++;
            yield return documents.Current;
        }
    }

    private static ContentFinding ToFinding(string path, RuleDescriptor rule, Issue issue) => new()
    {
        Class = FindingClass.Misconfig,
        RuleId = rule.Id,
        Title = rule.Title,
        Severity = rule.Severity,
        Path = path,
        Span = issue.Line > 0 ? TextSpan.Line(issue.Line, issue.Column) : null,
        Message = issue.Message,
        Fingerprint = $"{path}:{rule.Id}:{issue.Key}",
        Properties = Properties(issue),
    };

    /// <summary>Where the check looked; for a Pod Security Standards control, also which control, its level and the policy
    /// version judged, so that a report can be read (and filtered) the way Kubernetes' own admission speaks.</summary>
    private static Dictionary<string, string> Properties(Issue issue)
    {
        if (issue.Pss is not { } version || issue.Control is not { } control)
            return new Dictionary<string, string>(1, StringComparer.Ordinal) { ["location"] = issue.Key };
        return new Dictionary<string, string>(4, StringComparer.Ordinal)
        {
            ["control"] = control.Name,
            ["level"] = control.LevelName,
            ["location"] = issue.Key,
            ["pssVersion"] = version.Name,
        };
    }
}
