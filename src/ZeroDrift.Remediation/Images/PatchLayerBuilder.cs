using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Remediation.Images.Apt;
using ZeroDrift.Remediation.Images.Deb;

namespace ZeroDrift.Remediation.Images;

/// <summary>The new top layer as written: its gzip blob's digest and size, and the uncompressed tar's digest (diff id).</summary>
public sealed record BuiltLayer(string Path, string Digest, string DiffId, long Size);

/// <summary>
/// Writes the one new layer a patch adds: the upgraded packages' files (from their data.tar, checked entry by
/// entry), whiteouts for the files the old versions had and the new ones do not, and the dpkg database as dpkg
/// would leave it (status or status.d, info/*.list, .md5sums, .conffiles and the maintainer scripts, which are
/// stored and not run). Entries whose paths leave the root, device files and FIFOs are refused, and so is a
/// setuid or setgid file where the image had none, unless allowed.
/// </summary>
public sealed class PatchLayerBuilder(IFileSystem image, DpkgDatabase database, PatchOptions options, PhaseTimings? timings = null)
{
    private static readonly DateTimeOffset Epoch = DateTimeOffset.UnixEpoch;
    private static readonly string[] StoredControlMembers = ["preinst", "postinst", "prerm", "postrm", "config", "templates", "triggers", "shlibs", "symbols"];

    private readonly HashSet<string> _written = new(StringComparer.Ordinal);
    private readonly List<string> _warnings = [];
    private readonly List<SkippedScript> _scripts = [];
    private long _entries;
    private long _bytes;

    public IReadOnlyList<string> Warnings => _warnings;
    public IReadOnlyList<SkippedScript> ScriptsNotRun => _scripts;

    public BuiltLayer Build(IReadOnlyList<(PlannedUpgrade Upgrade, DebArchive Deb)> packages, string outputPath)
    {
        using var diffHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var blobHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size;
        using (var file = new FileStream(outputPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
        {
            var blob = new HashingWriteStream(file, blobHash);
            using (var gzip = new GZipStream(blob, CompressionLevel.Fastest, leaveOpen: true))
            {
                Stream compressed = timings is null ? gzip : new TimedStream(gzip, timings.Part("layer gzip"), leaveOpen: true);
                var tarStream = new HashingWriteStream(compressed, diffHash);
                using (var writer = new TarWriter(tarStream, TarEntryFormat.Pax, leaveOpen: true))
                {
                    var statusUpdates = new Dictionary<string, ControlParagraph>(StringComparer.Ordinal);
                    foreach (var (upgrade, deb) in packages)
                        statusUpdates[upgrade.Package.Name] = WritePackage(writer, upgrade, deb);
                    WriteStatus(writer, statusUpdates);
                }
            }
            size = blob.Written;
        }
        return new BuiltLayer(outputPath, "sha256:" + Convert.ToHexStringLower(blobHash.GetHashAndReset()),
            "sha256:" + Convert.ToHexStringLower(diffHash.GetHashAndReset()), size);
    }

    private ControlParagraph WritePackage(TarWriter writer, PlannedUpgrade upgrade, DebArchive deb)
    {
        var package = upgrade.Package;
        var what = $"{package.Name} {package.Version} ({package.Filename})";
        var control = deb.ReadControl();
        var paragraph = ControlFile.Parse(Encoding.UTF8.GetString(control["control"]), $"{what}: control").FirstOrDefault()
            ?? throw new RemediationException($"{what}: empty control file");
        if (paragraph["Package"] != package.Name || paragraph["Version"] != package.Version)
            throw new RemediationException($"{what}: the .deb says it is {paragraph["Package"]} {paragraph["Version"]}, not what the index lists");
        var conffiles = control.TryGetValue("conffiles", out var cf)
            ? Encoding.UTF8.GetString(cf).Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith('/')).Select(l => l.Split(' ')[0]).ToHashSet(StringComparer.Ordinal)
            : [];
        installedConffiles(package.Name, out var oldConffiles);
        var conffileSums = new List<string>();
        var listed = new List<string> { "/." };

        deb.ReadData(options.Limits.MaxTotalBytes, entry =>
        {
            if (++_entries > options.Limits.MaxEntries) throw new RemediationException($"{what}: more than {options.Limits.MaxEntries} entries");
            var path = NormalisePath(entry.Name, what);
            if (path is null) return; // the root itself
            listed.Add(path);
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    if (image.Lstat(path) is { Kind: FileKind.Directory }) return; // dpkg leaves existing directories as they are
                    Write(writer, Copy(entry, TarEntryType.Directory, path[1..]));
                    return;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                    CheckSetuid(entry, path, what);
                    _bytes += entry.Length;
                    if (conffiles.Contains(path))
                    {
                        var content = ReadAll(entry.DataStream, entry.Length);
                        var md5 = Convert.ToHexStringLower(MD5.HashData(content));
                        conffileSums.Add($" {path} {md5}");
                        if (KeepsLocalConffile(path, oldConffiles))
                        {
                            _warnings.Add($"{package.Name}: {path} was changed in the image; kept as it is (the package's version is not installed, as dpkg would ask)");
                            return;
                        }
                        var copy = Copy(entry, TarEntryType.RegularFile, path[1..]);
                        copy.DataStream = new MemoryStream(content);
                        Write(writer, copy);
                        return;
                    }
                    var file = Copy(entry, TarEntryType.RegularFile, path[1..]);
                    using (var data = Seekable(entry.DataStream, entry.Length))
                    {
                        file.DataStream = data;
                        Write(writer, file);
                    }
                    return;
                case TarEntryType.SymbolicLink:
                    Write(writer, Copy(entry, TarEntryType.SymbolicLink, path[1..]));
                    return;
                case TarEntryType.HardLink:
                    var target = NormalisePath(entry.LinkName, what) ?? throw new RemediationException($"{what}: hard link {entry.Name} to the root");
                    if (!_written.Contains(target)) throw new RemediationException($"{what}: hard link {entry.Name} to '{entry.LinkName}', which the package does not hold");
                    var link = Copy(entry, TarEntryType.HardLink, path[1..]);
                    link.LinkName = target[1..];
                    Write(writer, link);
                    return;
                default:
                    throw new RemediationException($"{what}: refused entry {entry.Name} of type {entry.EntryType} (device files and FIFOs are not installed)");
            }
        });

        var prefix = InfoPrefix(package, paragraph);
        WhiteoutRemovedFiles(writer, package.Name, prefix, listed, conffiles);
        if (database.StatusFiles.TryGetValue(package.Name, out var statusFile))
        {
            // Distroless: no info directory; the paragraph (and md5sums when the image had them) live in status.d.
            if (control.TryGetValue("md5sums", out var sums) && image.Lstat(statusFile + ".md5sums") is not null)
                WriteFile(writer, statusFile[1..] + ".md5sums", sums, 0b110_100_100);
        }
        else
        {
            WriteFile(writer, $"{DpkgDatabase.InfoDirectory[1..]}/{prefix}.list", Encoding.UTF8.GetBytes(string.Join('\n', listed) + "\n"), 0b110_100_100);
            if (control.TryGetValue("md5sums", out var sums)) WriteFile(writer, $"{DpkgDatabase.InfoDirectory[1..]}/{prefix}.md5sums", sums, 0b110_100_100);
            if (control.TryGetValue("conffiles", out var conf)) WriteFile(writer, $"{DpkgDatabase.InfoDirectory[1..]}/{prefix}.conffiles", conf, 0b110_100_100);
            foreach (var name in StoredControlMembers)
                if (control.TryGetValue(name, out var script))
                    WriteFile(writer, $"{DpkgDatabase.InfoDirectory[1..]}/{prefix}.{name}", script, name is "preinst" or "postinst" or "prerm" or "postrm" or "config" ? 0b111_101_101 : 0b110_100_100);
            // Info files the old version had and the new one does not (a postrm that is gone) go too.
            var stale = new[] { "list", "md5sums", "conffiles" }.Concat(StoredControlMembers)
                .Where(n => !(n is "list" || control.ContainsKey(n)))
                .Select(n => $"{DpkgDatabase.InfoDirectory}/{prefix}.{n}")
                .Where(p => image.Lstat(p) is not null);
            foreach (var p in stale) Whiteout(writer, p);
        }
        foreach (var script in new[] { "preinst", "postinst" })
            if (control.ContainsKey(script)) _scripts.Add(new SkippedScript(package.Name, script));

        var status = new ControlParagraph();
        foreach (var (name, value) in paragraph.Fields) status.Set(name, value);
        status.Insert(1, "Status", "install ok installed");
        if (conffileSums.Count > 0) status.Set("Conffiles", "\n" + string.Join('\n', conffileSums));
        return status;

        void installedConffiles(string name, out Dictionary<string, string> sums)
        {
            sums = new Dictionary<string, string>(StringComparer.Ordinal);
            if (!database.Installed.TryGetValue(name, out var old)) return;
            foreach (var line in ControlFile.Lines(old["Conffiles"]))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 2) sums[parts[0]] = parts[1];
            }
        }
    }

    /// <summary>A conffile the user changed (its content no longer matches the md5 dpkg recorded) is kept, as dpkg keeps it by default.</summary>
    private bool KeepsLocalConffile(string path, Dictionary<string, string> oldSums)
    {
        if (!oldSums.TryGetValue(path, out var recorded) || image.Lstat(path) is not { IsRegular: true } current) return false;
        using var stream = image.Open(current);
        return !string.Equals(Convert.ToHexStringLower(MD5.HashData(stream)), recorded, StringComparison.OrdinalIgnoreCase);
    }

    private void CheckSetuid(TarEntry entry, string path, string what)
    {
        const UnixFileMode special = UnixFileMode.SetUser | UnixFileMode.SetGroup;
        if ((entry.Mode & special) == 0 || options.AllowNewSetuid) return;
        var before = image.Lstat(path);
        if (before is not null && (before.Mode & (int)special & (int)entry.Mode) == ((int)entry.Mode & (int)special)) return;
        throw new RemediationException($"{what}: {path} would become setuid/setgid ({Convert.ToString((int)entry.Mode, 8)}), which the installed image does not have (--allow-new-setuid to accept)");
    }

    private void WhiteoutRemovedFiles(TarWriter writer, string name, string prefix, List<string> listed, HashSet<string> conffiles)
    {
        var listPath = $"{DpkgDatabase.InfoDirectory}/{prefix}.list";
        if (image.Lstat(listPath) is not { IsRegular: true } list) return;
        var now = listed.ToHashSet(StringComparer.Ordinal);
        foreach (var line in DpkgDatabase.ReadText(image, list, options.Limits.MaxFileBytes).Split('\n'))
        {
            var path = line.Trim();
            if (path.Length < 2 || now.Contains(path) || !path.StartsWith('/') || path.Contains("/../", StringComparison.Ordinal)) continue;
            // Directories may be shared with other packages, and obsolete conffiles stay, as dpkg leaves them.
            if (image.Lstat(path) is not { } entry || entry.Kind == FileKind.Directory || conffiles.Contains(path)) continue;
            Whiteout(writer, path);
        }
        _ = name;
    }

    private void WriteStatus(TarWriter writer, Dictionary<string, ControlParagraph> updates)
    {
        var remaining = new Dictionary<string, ControlParagraph>(updates, StringComparer.Ordinal);
        foreach (var (name, paragraph) in updates.Where(u => database.StatusFiles.ContainsKey(u.Key)))
        {
            WriteFile(writer, database.StatusFiles[name][1..], Encoding.UTF8.GetBytes(paragraph.Format()), 0b110_100_100);
            remaining.Remove(name);
        }
        if (remaining.Count == 0) return;
        if (!database.HasStatusFile)
        {
            // A distroless image: a new dependency gets its own status.d file.
            foreach (var (name, paragraph) in remaining)
                WriteFile(writer, $"{DpkgDatabase.StatusDirectory[1..]}/{name}", Encoding.UTF8.GetBytes(paragraph.Format()), 0b110_100_100);
            return;
        }
        var sb = new StringBuilder();
        foreach (var p in database.Status)
        {
            var name = p["Package"] ?? "";
            if (remaining.Remove(name, out var replacement)) sb.Append(replacement.Format());
            else sb.Append(p.Format());
            sb.Append('\n');
        }
        foreach (var p in remaining.Values) sb.Append(p.Format()).Append('\n');
        WriteFile(writer, DpkgDatabase.StatusPath[1..], Encoding.UTF8.GetBytes(sb.ToString()), 0b110_100_100);
    }

    /// <summary>dpkg names a Multi-Arch: same package's info files <c>name:arch</c>; the image's existing files decide.</summary>
    private string InfoPrefix(AptPackage package, ControlParagraph control)
    {
        var qualified = $"{package.Name}:{control["Architecture"]}";
        if (image.Lstat($"{DpkgDatabase.InfoDirectory}/{qualified}.list") is not null) return qualified;
        if (image.Lstat($"{DpkgDatabase.InfoDirectory}/{package.Name}.list") is not null) return package.Name;
        return string.Equals(control["Multi-Arch"], "same", StringComparison.OrdinalIgnoreCase) ? qualified : package.Name;
    }

    /// <summary>"./usr/bin/x" → "/usr/bin/x"; null for the root; an error for anything that would leave it.</summary>
    internal static string? NormalisePath(string name, string what)
    {
        if (name.Contains('\0', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal))
            throw new RemediationException($"{what}: refused entry '{name.Replace("\0", "\\0", StringComparison.Ordinal)}'");
        var parts = new List<string>();
        foreach (var part in name.Split('/'))
        {
            if (part.Length == 0 || part == ".") continue;
            if (part == "..") throw new RemediationException($"{what}: refused entry '{name}': its path leaves the root");
            if (part.StartsWith(".wh.", StringComparison.Ordinal)) throw new RemediationException($"{what}: refused entry '{name}': a whiteout name");
            parts.Add(part);
        }
        return parts.Count == 0 ? null : "/" + string.Join('/', parts);
    }

    private static PaxTarEntry Copy(TarEntry entry, TarEntryType type, string name)
    {
        var copy = new PaxTarEntry(type, name)
        {
            Mode = entry.Mode,
            Uid = entry.Uid,
            Gid = entry.Gid,
            ModificationTime = entry.ModificationTime,
        };
        if (entry is PosixTarEntry posix)
        {
            copy.UserName = posix.UserName;
            copy.GroupName = posix.GroupName;
        }
        if (type is TarEntryType.SymbolicLink) copy.LinkName = entry.LinkName;
        return copy;
    }

    private void Write(TarWriter writer, PaxTarEntry entry)
    {
        _written.Add("/" + entry.Name.TrimEnd('/'));
        writer.WriteEntry(entry);
    }

    private void WriteFile(TarWriter writer, string name, byte[] content, int mode) =>
        Write(writer, new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            Mode = (UnixFileMode)mode,
            ModificationTime = Epoch,
            DataStream = new MemoryStream(content),
            UserName = "root",
            GroupName = "root",
        });

    private void Whiteout(TarWriter writer, string path)
    {
        if (_written.Contains(path)) return;
        var slash = path.LastIndexOf('/');
        WriteFile(writer, path[1..(slash + 1)] + ".wh." + path[(slash + 1)..], [], 0);
    }

    /// <summary>TarWriter needs a data stream of known length: small files in memory, large ones in a temporary file.</summary>
    private static Stream Seekable(Stream? stream, long length)
    {
        if (stream is null) return new MemoryStream();
        Stream copy = length <= 16L << 20
            ? new MemoryStream(checked((int)Math.Max(length, 0)))
            : new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        stream.CopyTo(copy);
        copy.Position = 0;
        return copy;
    }

    private static byte[] ReadAll(Stream? stream, long length)
    {
        if (stream is null) return [];
        if (length > 64L << 20) throw new RemediationException($"a conffile of {length} bytes");
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        return ms.ToArray();
    }
}

/// <summary>Passes writes through and hashes them; counts the bytes.</summary>
internal sealed class HashingWriteStream(Stream inner, IncrementalHash hash) : Stream
{
    public long Written { get; private set; }
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => Written;
    public override long Position { get => Written; set => throw new NotSupportedException(); }
    public override void Flush() => inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        hash.AppendData(buffer);
        inner.Write(buffer);
        Written += buffer.Length;
    }
}
