using System.Text;
using ZeroDrift.Inventory.Catalogers.Shared;

namespace ZeroDrift.Inventory.Catalogers.Go;

/// <summary>A module as the Go linker records it: path, version, go.sum hash, and what replaced it.</summary>
public sealed record GoModule(string Path, string Version, string? Sum, GoModule? Replace = null)
{
    /// <summary>A replacement by a directory ("=> ../fork") rather than by another module.</summary>
    public bool IsLocalPath => Path.StartsWith("./", StringComparison.Ordinal) || Path.StartsWith("../", StringComparison.Ordinal)
        || Path.StartsWith('/') || Path == "." || Path == ".." || (Path.Length > 2 && Path[1] == ':');
}

/// <summary>What <c>go version -m</c> prints: the toolchain version and the module information embedded by the linker.</summary>
public sealed record GoBuildInfo(string GoVersion, string? Path, GoModule? Main, IReadOnlyList<GoModule> Deps, IReadOnlyList<KeyValuePair<string, string>> Settings)
{
    private static readonly byte[] Magic = [0xff, .. " Go buildinf:"u8.ToArray()];
    private const int HeaderSize = 32;
    private const int Align = 16;
    private const int SearchSize = 64 * 1024;
    private const long MaxSectionBytes = 16L << 20;
    private const ulong MaxStringBytes = 16UL << 20;

    /// <summary>
    /// Reads the build information of a Go executable, or null when <paramref name="elf"/> is not one. Handles the
    /// Go 1.18+ layout (version and module strings inline after the header) and the older one (pointers to Go
    /// string headers in the data segment).
    /// </summary>
    internal static GoBuildInfo? Read(ElfFile elf)
    {
        byte[]? data = null;
        if (elf.FindSection(".go.buildinfo") is { } section)
        {
            data = elf.ReadSection(section, MaxSectionBytes);
        }
        else
        {
            // Without section headers (stripped with sstrip), Go looks at the start of the first writable, non-executable segment.
            var segment = elf.Segments.FirstOrDefault(s => s.Type == 1 && (s.Flags & 0b011) == 0b010);
            if (segment is not null) data = elf.ReadVirtual(segment.VirtualAddress, SearchSize);
        }
        if (data is null) return null;
        var start = FindHeader(data);
        if (start < 0) return null;
        var header = data.AsSpan(start);
        var pointerSize = header[14];
        var flags = header[15];
        string version, modules;
        if ((flags & 2) != 0)
        {
            ReadOnlySpan<byte> rest = header[HeaderSize..];
            version = DecodeString(ref rest);
            modules = DecodeString(ref rest);
        }
        else
        {
            if (pointerSize != elf.PointerSize) throw new InvalidDataException($"Go build info declares {pointerSize} byte pointers in a {elf.PointerSize * 8} bit ELF file");
            var bigEndian = flags != 0;
            version = ReadGoString(elf, elf.ReadPointer(header[16..], bigEndian), bigEndian);
            modules = ReadGoString(elf, elf.ReadPointer(header[(16 + pointerSize)..], bigEndian), bigEndian);
        }
        if (version.Length == 0) return null;
        // The module text is framed by 16-byte sentinels; without them the binary was built outside module mode.
        modules = modules.Length >= 33 && modules[^17] == '\n' ? modules[16..^16] : "";
        return Parse(version, modules);
    }

    private static int FindHeader(byte[] data)
    {
        var offset = 0;
        while (offset < data.Length)
        {
            var i = data.AsSpan(offset).IndexOf(Magic);
            if (i < 0) return -1;
            i += offset;
            if (data.Length - i < HeaderSize) return -1;
            if (i % Align == 0) return i;
            offset = (i + Align - 1) & ~(Align - 1);
        }
        return -1;
    }

    private static string DecodeString(ref ReadOnlySpan<byte> data)
    {
        ulong length = 0;
        var shift = 0;
        var n = 0;
        while (true)
        {
            if (n >= data.Length || n >= 10) throw new InvalidDataException("Go build info: truncated string length");
            var b = data[n++];
            length |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80) break;
            shift += 7;
        }
        if (length > (ulong)(data.Length - n)) throw new InvalidDataException($"Go build info: a {length} byte string runs past the section");
        var text = Encoding.UTF8.GetString(data.Slice(n, (int)length));
        data = data[(n + (int)length)..];
        return text;
    }

    private static string ReadGoString(ElfFile elf, ulong address, bool bigEndian)
    {
        var size = (ulong)elf.PointerSize;
        var header = elf.ReadVirtual(address, 2 * size);
        if (header is null || header.Length < (int)(2 * size)) return "";
        var dataAddress = elf.ReadPointer(header, bigEndian);
        var length = elf.ReadPointer(header.AsSpan((int)size), bigEndian);
        if (length > MaxStringBytes) throw new InvalidDataException($"Go build info: a {length} byte string is larger than allowed");
        if (length == 0) return "";
        var bytes = elf.ReadVirtual(dataAddress, length);
        return bytes is null || bytes.Length != (int)length ? "" : Encoding.UTF8.GetString(bytes);
    }

    /// <summary>Parses the module text as <c>runtime/debug.ParseBuildInfo</c> does (path, mod, dep, =>, build lines).</summary>
    public static GoBuildInfo Parse(string goVersion, string modules)
    {
        string? path = null;
        GoModule? main = null;
        var deps = new List<GoModule>();
        var settings = new List<KeyValuePair<string, string>>();
        var lastWasMain = false;
        var lineNumber = 0;
        foreach (var line in modules.Split('\n'))
        {
            lineNumber++;
            if (line.Length == 0) continue;
            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab < 0) throw new InvalidDataException($"Go build info line {lineNumber}: no tab separator");
            var kind = line[..tab];
            var rest = line[(tab + 1)..];
            switch (kind)
            {
                case "path":
                    path = rest;
                    break;
                case "mod":
                    main = ModuleLine(rest, lineNumber);
                    lastWasMain = true;
                    break;
                case "dep":
                    deps.Add(ModuleLine(rest, lineNumber));
                    lastWasMain = false;
                    break;
                case "=>":
                    var replacement = ModuleLine(rest, lineNumber);
                    if (lastWasMain && main is not null) main = main with { Replace = replacement };
                    else if (deps.Count > 0) deps[^1] = deps[^1] with { Replace = replacement };
                    else throw new InvalidDataException($"Go build info line {lineNumber}: replacement without a module");
                    break;
                case "build":
                    var eq = FindSettingSeparator(rest);
                    if (eq < 0) throw new InvalidDataException($"Go build info line {lineNumber}: build setting without '='");
                    settings.Add(new(Unquote(rest[..eq]), Unquote(rest[(eq + 1)..])));
                    break;
                default:
                    // "go" (old layouts) and lines from future toolchains carry nothing we use.
                    break;
            }
        }
        return new GoBuildInfo(goVersion, path, main, deps, settings);
    }

    private static GoModule ModuleLine(string text, int lineNumber)
    {
        var parts = text.Split('\t');
        if (parts.Length is not (2 or 3) || parts[0].Length == 0)
            throw new InvalidDataException($"Go build info line {lineNumber}: expected path, version and optional sum");
        return new GoModule(parts[0], parts[1], parts.Length == 3 && parts[2].Length > 0 ? parts[2] : null);
    }

    /// <summary>The '=' between key and value; a quoted key may itself contain '='.</summary>
    private static int FindSettingSeparator(string text)
    {
        if (!text.StartsWith('"')) return text.IndexOf('=', StringComparison.Ordinal);
        for (var i = 1; i < text.Length; i++)
        {
            if (text[i] == '\\') { i++; continue; }
            if (text[i] == '"') return i + 1 < text.Length && text[i + 1] == '=' ? i + 1 : -1;
        }
        return -1;
    }

    /// <summary>Go's strconv.Unquote for the double-quoted form; anything else is returned as is.</summary>
    internal static string Unquote(string text)
    {
        if (text.Length < 2 || text[0] != '"' || text[^1] != '"') return text;
        var sb = new StringBuilder(text.Length);
        for (var i = 1; i < text.Length - 1; i++)
        {
            var c = text[i];
            if (c != '\\' || i + 1 >= text.Length - 1) { sb.Append(c); continue; }
            var e = text[++i];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'v': sb.Append('\v'); break;
                case 'x' when i + 2 < text.Length - 1:
                    sb.Append((char)Convert.ToByte(text.Substring(i + 1, 2), 16)); i += 2; break;
                case 'u' when i + 4 < text.Length - 1:
                    sb.Append((char)Convert.ToUInt16(text.Substring(i + 1, 4), 16)); i += 4; break;
                case 'U' when i + 8 < text.Length - 1:
                    sb.Append(char.ConvertFromUtf32(Convert.ToInt32(text.Substring(i + 1, 8), 16))); i += 8; break;
                default: sb.Append(e); break;
            }
        }
        return sb.ToString();
    }
}
