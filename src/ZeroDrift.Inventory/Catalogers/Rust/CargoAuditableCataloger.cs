using System.IO.Compression;
using System.Text.Json;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;
using ZeroDrift.Inventory.Catalogers.Shared;

namespace ZeroDrift.Inventory.Catalogers.Rust;

/// <summary>
/// Rust executables built with cargo-auditable: the ELF section <c>.dep-v0</c> holds zlib-compressed JSON
/// <c>{"packages":[{"name","version","source","kind","dependencies":[indexes],"root"}]}</c>, the crates compiled in
/// and their graph. Every crate is reported, the root (the binary's own crate) marked in metadata.
/// </summary>
public sealed class CargoAuditableCataloger : ICataloger
{
    private const string SectionName = ".dep-v0";

    /// <summary>cargo-auditable's own readers refuse more than 8 MiB of decompressed audit data.</summary>
    private const int MaxJsonBytes = 8 << 20;
    private const long MaxCompressedBytes = 8 << 20;

    public string Name => "rust-cargo-auditable";

    public bool FileRequired(FileEntry entry) => entry.IsExecutable && entry.Size >= 1024 && entry.Size <= BinaryInput.MaxExecutableBytes;

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        byte[] compressed;
        using (var stream = BinaryInput.OpenElf(context, entry))
        {
            if (stream is null || ElfFile.TryOpen(stream) is not { } elf || elf.FindSection(SectionName) is not { } section) return [];
            compressed = elf.ReadSection(section, MaxCompressedBytes);
        }
        return Parse(Decompress(compressed), context, entry);
    }

    private static byte[] Decompress(byte[] compressed)
    {
        using var zlib = new ZLibStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var output = new MemoryStream();
        var buffer = new byte[81920];
        while (true)
        {
            int read;
            try { read = zlib.Read(buffer, 0, buffer.Length); }
            catch (InvalidDataException e) { throw new InvalidDataException($"cargo-auditable section {SectionName} is not valid zlib data: {e.Message}", e); }
            if (read == 0) return output.ToArray();
            if (output.Length + read > MaxJsonBytes)
                throw new InvalidDataException($"cargo-auditable data decompresses to more than {MaxJsonBytes} bytes");
            output.Write(buffer, 0, read);
        }
    }

    private sealed record Crate(string Name, string Version, string? Source, string? Kind, bool Root, IReadOnlyList<int> Dependencies);

    private List<Package> Parse(byte[] json, CatalogContext context, FileEntry entry)
    {
        using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = context.Limits.MaxNesting });
        if (document.RootElement.Property("packages", JsonValueKind.Array) is not { } list)
            throw new InvalidDataException("cargo-auditable data has no \"packages\" array");
        var crates = new List<Crate>();
        foreach (var p in list.EnumerateArray())
        {
            if (p.String("name") is not { Length: > 0 } name || p.String("version") is not { Length: > 0 } version)
                throw new InvalidDataException("cargo-auditable package without name or version");
            var dependencies = p.Property("dependencies", JsonValueKind.Array)?.EnumerateArray()
                .Where(d => d.ValueKind == JsonValueKind.Number && d.TryGetInt32(out _)).Select(d => d.GetInt32()).ToList() ?? [];
            var root = p.TryGetProperty("root", out var r) && r.ValueKind == JsonValueKind.True;
            crates.Add(new Crate(name, version, p.String("source"), p.String("kind"), root, dependencies));
        }
        var purls = crates.Select(c => PackageUrl.For(Ecosystem.Cargo, null, c.Name, c.Version)).ToList();
        var packages = new List<Package>(crates.Count);
        for (var i = 0; i < crates.Count; i++)
        {
            var c = crates[i];
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            if (c.Source is not null) metadata["source"] = c.Source;
            if (c.Kind is not null) metadata["kind"] = c.Kind;
            if (c.Root) metadata["root"] = "true";
            foreach (var d in c.Dependencies)
                if (d < 0 || d >= crates.Count)
                    throw new InvalidDataException($"cargo-auditable package {c.Name} depends on index {d}, outside the {crates.Count} packages");
            packages.Add(new Package
            {
                Name = c.Name,
                Version = c.Version,
                Ecosystem = Ecosystem.Cargo,
                Purl = purls[i],
                FoundBy = Name,
                Locations = [entry.Location],
                DependsOn = c.Dependencies.Where(d => d != i).Select(d => PackageId.For(purls[d], entry.Path)).Distinct().ToList(),
                Metadata = metadata,
            });
        }
        return packages;
    }
}
