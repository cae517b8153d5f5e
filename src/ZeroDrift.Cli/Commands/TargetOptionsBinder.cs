using System.CommandLine;
using Spectre.Console;
using ZeroDrift.Artifacts;
using ZeroDrift.Artifacts.Images;
using ZeroDrift.Artifacts.Targets;

namespace ZeroDrift.Cli.Commands;

/// <summary>The options every command that reads a target shares: platform, registries, limits.</summary>
public sealed class TargetOptionsBinder
{
    public Argument<string> Target { get; } = new("target")
    {
        Description = "What to scan: a path (dir:PATH, file:PATH), docker-archive:PATH, oci-archive:PATH, oci-dir:PATH, registry:REF, podman:NAME, or host[:port]/repo[:tag|@digest]",
    };

    public Option<string?> Platform { get; } = new("--platform") { Description = "Platform of a multi-platform image, as os/arch[/variant] (default: this machine's)" };
    public Option<string[]> InsecureRegistry { get; } = new("--insecure-registry") { Description = "Reach this registry (host:port, loopback only: 127.0.0.0/8, ::1, localhost) over plain HTTP; repeatable", AllowMultipleArgumentsPerToken = false };
    public Option<long?> MaxTotalBytes { get; } = new("--max-total-bytes") { Description = $"Most bytes decompressed from one target (default {ScanLimits.Default.MaxTotalBytes})" };
    public Option<long?> MaxEntries { get; } = new("--max-entries") { Description = $"Most entries in one archive or layer (default {ScanLimits.Default.MaxEntries})" };
    public Option<long?> MaxFileBytes { get; } = new("--max-file-bytes") { Description = $"Largest file parsed (default {ScanLimits.Default.MaxFileBytes})" };
    public Option<double?> MaxCompressionRatio { get; } = new("--max-compression-ratio") { Description = $"Decompression ratio treated as a bomb (default {ScanLimits.Default.MaxCompressionRatio})" };
    public Option<int?> MaxNesting { get; } = new("--max-nesting") { Description = $"Deepest JSON/YAML/XML nesting parsed (default {ScanLimits.Default.MaxNesting})" };
    public Option<double?> MaxParseSeconds { get; } = new("--max-parse-seconds") { Description = $"Longest time spent parsing one file, a package database query included (default {ScanLimits.Default.MaxParseTime.TotalSeconds})" };

    public void AddTo(Command command)
    {
        command.Arguments.Add(Target);
        foreach (var option in new Option[] { Platform, InsecureRegistry, MaxTotalBytes, MaxEntries, MaxFileBytes, MaxCompressionRatio, MaxNesting, MaxParseSeconds })
            command.Options.Add(option);
    }

    public ScanLimits Limits(ParseResult parse)
    {
        var d = ScanLimits.Default;
        var limits = d with
        {
            MaxTotalBytes = parse.GetValue(MaxTotalBytes) ?? d.MaxTotalBytes,
            MaxEntries = parse.GetValue(MaxEntries) ?? d.MaxEntries,
            MaxFileBytes = parse.GetValue(MaxFileBytes) ?? d.MaxFileBytes,
            MaxCompressionRatio = parse.GetValue(MaxCompressionRatio) ?? d.MaxCompressionRatio,
            MaxNesting = parse.GetValue(MaxNesting) ?? d.MaxNesting,
            MaxParseTime = parse.GetValue(MaxParseSeconds) is { } seconds ? TimeSpan.FromSeconds(Math.Min(seconds, TimeSpan.MaxValue.TotalSeconds / 2)) : d.MaxParseTime,
        };
        if (limits.MaxTotalBytes <= 0 || limits.MaxEntries <= 0 || limits.MaxFileBytes <= 0 || limits.MaxCompressionRatio <= 1 || limits.MaxNesting <= 0
            || limits.MaxParseTime <= TimeSpan.Zero)
            throw new UsageException("limits must be positive (and the compression ratio above 1)");
        return limits;
    }

    public TargetOptions Options(ParseResult parse, IProgress<Artifacts.Images.Layers.LayerProgress>? progress) => new()
    {
        Limits = Limits(parse),
        Platform = parse.GetValue(Platform) is { } p ? Artifacts.Images.Platform.Parse(p) : null,
        InsecureRegistries = parse.GetValue(InsecureRegistry) ?? [],
        Progress = progress,
    };

    public TargetReference Reference(ParseResult parse) =>
        parse.GetValue(Target) == "-" && _stdinFile is not null ? new TargetReference(TargetKind.File, _stdinFile) : TargetReference.Parse(parse.GetValue(Target)!);

    private string? _stdinFile;

    /// <summary>
    /// <c>-</c> as the target: standard input (rendered manifests, <c>helm template … | zerodrift scan - --scanners misconfig</c>),
    /// kept in a private temporary file named <c>stdin.yaml</c> that the scan then reads as a file target; at most
    /// <c>--max-file-bytes</c> are read (more is one error line, exit 2). Null when the target is not <c>-</c>.
    /// </summary>
    public Artifacts.Temp.PrivateTempDirectory? ReadStdin(ParseResult parse)
    {
        if (parse.GetValue(Target) != "-") return null;
        var limit = Limits(parse).MaxFileBytes;
        var dir = new Artifacts.Temp.PrivateTempDirectory("stdin");
        var file = System.IO.Path.Combine(dir.Path, "stdin.yaml");
        using (var input = Console.OpenStandardInput())
        using (var output = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
        {
            var buffer = new byte[1 << 16];
            long total = 0;
            int read;
            while ((read = input.Read(buffer, 0, buffer.Length)) > 0)
            {
                total += read;
                if (total > limit)
                {
                    dir.Dispose();
                    throw new UsageException($"standard input is larger than --max-file-bytes ({limit} bytes)");
                }
                output.Write(buffer, 0, read);
            }
        }
        _stdinFile = file;
        return dir;
    }

    /// <summary>Opens the target and catalogs it, with a layer progress bar on a terminal unless --quiet.</summary>
    public async Task<Inventory.Inventory> InventoryAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var scanner = Inventory.InventoryScanner.Default;
        using var target = await OpenAsync(parse, scanner.Requires, null, cancellationToken).ConfigureAwait(false);
        return scanner.Scan(target, Limits(parse), cancellationToken);
    }

    /// <summary>
    /// Opens the target once: an image's layers are read a single time, keeping the content of the files
    /// <paramref name="required"/> asks for and showing every file version to <paramref name="visitor"/>.
    /// </summary>
    public async Task<Target> OpenAsync(ParseResult parse, Func<Artifacts.FileSystems.FileEntry, bool> required,
        Artifacts.Images.Layers.ILayerFileVisitor? visitor, CancellationToken cancellationToken)
    {
        var reference = Reference(parse);
        if (parse.GetValue(GlobalOptions.Quiet) || !reference.IsImage || !Output.Terminal.StderrIsInteractive)
            return await TargetOpener.OpenAsync(reference, required, Options(parse, null) with { LayerFileVisitor = visitor }, cancellationToken).ConfigureAwait(false);
        Target? result = null;
        await Output.Terminal.Stderr.Progress().AutoClear(true).StartAsync(async ctx =>
        {
            var task = ctx.AddTask("Reading layers");
            result = await TargetOpener.OpenAsync(reference, required, Options(parse, new Progress<Artifacts.Images.Layers.LayerProgress>(p =>
            {
                task.MaxValue = p.LayerCount;
                task.Increment(1);
            })) with { LayerFileVisitor = visitor }, cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
        return result!;
    }
}
