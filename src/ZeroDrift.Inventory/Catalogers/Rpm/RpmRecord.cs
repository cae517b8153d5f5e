namespace ZeroDrift.Inventory.Catalogers.Rpm;

/// <summary>The facts of one installed RPM, taken from its header.</summary>
internal sealed record RpmRecord
{
    public required string Name { get; init; }
    public required string Version { get; init; }
    public required string Release { get; init; }
    public long? Epoch { get; init; }
    public string? Arch { get; init; }
    public string? License { get; init; }
    public string? Vendor { get; init; }
    public long? Size { get; init; }
    public string? SourceRpm { get; init; }
    public string? SourceName { get; init; }
    public string? SourceVersion { get; init; }
    public string? ModularityLabel { get; init; }
    public IReadOnlyList<string> Files { get; init; } = [];
    public IReadOnlyList<string> Provides { get; init; } = [];
    public IReadOnlyList<string> Requires { get; init; } = [];

    /// <summary>The record of a header; null for the gpg-pubkey pseudo packages rpm keeps its keys in.</summary>
    public static RpmRecord? From(RpmHeader header, string what)
    {
        var name = header.String(RpmTag.Name);
        if (string.IsNullOrEmpty(name)) throw new FormatException($"{what}: RPM header has no NAME");
        if (name == "gpg-pubkey") return null;
        var version = header.String(RpmTag.Version);
        if (string.IsNullOrEmpty(version)) throw new FormatException($"{what}: RPM header of {name} has no VERSION");
        var release = header.String(RpmTag.Release) ?? "";
        var sourceRpm = header.String(RpmTag.SourceRpm);
        var (sourceName, sourceVersion) = SplitSourceRpm(sourceRpm);
        return new RpmRecord
        {
            Name = name,
            Version = version,
            Release = release,
            Epoch = header.Integer(RpmTag.Epoch),
            Arch = header.String(RpmTag.Arch),
            License = header.String(RpmTag.License),
            Vendor = header.String(RpmTag.Vendor),
            Size = header.Integer(RpmTag.Size),
            SourceRpm = string.IsNullOrEmpty(sourceRpm) || sourceRpm == "(none)" ? null : sourceRpm,
            SourceName = sourceName,
            SourceVersion = sourceVersion,
            ModularityLabel = header.String(RpmTag.ModularityLabel),
            Files = ReadFiles(header, what, name),
            Provides = header.StringArray(RpmTag.ProvideName),
            Requires = header.StringArray(RpmTag.RequireName),
        };
    }

    /// <summary>"bash-5.1.8-6.el9.src.rpm" → ("bash", "5.1.8-6.el9").</summary>
    internal static (string? Name, string? Version) SplitSourceRpm(string? sourceRpm)
    {
        if (string.IsNullOrEmpty(sourceRpm)) return (null, null);
        var stem = sourceRpm;
        foreach (var suffix in new[] { ".src.rpm", ".nosrc.rpm" })
            if (stem.EndsWith(suffix, StringComparison.Ordinal)) { stem = stem[..^suffix.Length]; break; }
        var releaseDash = stem.LastIndexOf('-');
        if (releaseDash <= 0) return (null, null);
        var versionDash = stem.LastIndexOf('-', releaseDash - 1);
        if (versionDash <= 0) return (null, null);
        return (stem[..versionDash], stem[(versionDash + 1)..]);
    }

    /// <summary>Installed paths: DIRNAMES[DIRINDEXES[i]] + BASENAMES[i] (compressed file names), or OLDFILENAMES.</summary>
    private static IReadOnlyList<string> ReadFiles(RpmHeader header, string what, string name)
    {
        var baseNames = header.StringArray(RpmTag.BaseNames);
        if (baseNames.Count == 0) return header.StringArray(RpmTag.OldFileNames);
        var dirNames = header.StringArray(RpmTag.DirNames);
        var dirIndexes = header.Integers(RpmTag.DirIndexes);
        if (dirIndexes.Count != baseNames.Count)
            throw new FormatException($"{what}: RPM header of {name} has {baseNames.Count} BASENAMES but {dirIndexes.Count} DIRINDEXES");
        var files = new string[baseNames.Count];
        for (var i = 0; i < files.Length; i++)
        {
            var index = dirIndexes[i];
            if (index < 0 || index >= dirNames.Count)
                throw new FormatException($"{what}: RPM header of {name} has DIRINDEXES[{i}] = {index}, outside its {dirNames.Count} DIRNAMES");
            files[i] = dirNames[(int)index] + baseNames[i];
        }
        return files;
    }
}
