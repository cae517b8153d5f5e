using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using ZeroDrift.Core.IO;

namespace ZeroDrift.Runtime.Profiles;

/// <summary>
/// What a profile file says about which files its workload used — its identity and observation window, its
/// processes' executables and its files' paths — read as a stream of YAML parser events rather than into a document:
/// runtime VEX reads profiles of 100,000 entries, whose full parse (<see cref="ProfileYaml.Import"/>: every entry
/// deserialised into an object and validated) cost 25 s of a 41.5 s run. The identity and the paths are checked as
/// <see cref="ProfileYaml"/> checks them; the rest of the document (network, syscalls, users, hashes) is skipped
/// unread.
/// </summary>
public sealed record ProfilePaths(WorkloadIdentity Identity, ProfileMode Mode, DateTimeOffset Created, DateTimeOffset Updated,
    IReadOnlyList<string> Executables, IReadOnlyList<string> Files)
{
    private const int MaxBytes = 8 << 20;

    public static ProfilePaths Read(string path)
    {
        FileStream stream;
        try { stream = BoundedFile.OpenRead(path, MaxBytes, "profile"); }
        catch (InputFileException e) { throw new ProfileFormatException(e.Message); }
        using (stream)
        using (var reader = new StreamReader(stream))
            return Read(reader, path);
    }

    public static ProfilePaths Read(TextReader text, string source)
    {
        var parser = new Parser(text);
        try
        {
            return Document(parser, source);
        }
        catch (YamlException e)
        {
            throw new ProfileFormatException($"{source}: line {e.Start.Line}: {(e.InnerException?.Message ?? e.Message).Split('\n')[0]}");
        }
    }

    private static ProfilePaths Document(Parser parser, string source)
    {
        parser.Consume<StreamStart>();
        if (!parser.TryConsume<DocumentStart>(out _)) throw new ProfileFormatException($"{source}: empty document");
        string? apiVersion = null, kind = null, workload = null, image = null, digest = null, created = null, updated = null, mode = null;
        var executables = new List<string>();
        var files = new List<string>();
        var sawMetadata = false;
        Mapping(parser, source, key =>
        {
            switch (key)
            {
                case "apiVersion": apiVersion = Text(parser, source, key); break;
                case "kind": kind = Text(parser, source, key); break;
                case "metadata":
                    sawMetadata = true;
                    Mapping(parser, source, field =>
                    {
                        switch (field)
                        {
                            case "workload": workload = Text(parser, source, field); break;
                            case "image": image = Text(parser, source, field); break;
                            case "imageDigest": digest = Text(parser, source, field); break;
                            case "created": created = Text(parser, source, field); break;
                            case "updated": updated = Text(parser, source, field); break;
                            default: parser.SkipThisAndNestedEvents(); break;
                        }
                    });
                    break;
                case "spec":
                    Mapping(parser, source, field =>
                    {
                        switch (field)
                        {
                            case "mode": mode = Text(parser, source, field); break;
                            case "processes": Entries(parser, source, "executable", "a process executable", executables); break;
                            case "files": Entries(parser, source, "path", "a file path", files); break;
                            default: parser.SkipThisAndNestedEvents(); break;
                        }
                    });
                    break;
                default: parser.SkipThisAndNestedEvents(); break;
            }
        });
        if (apiVersion != ProfileYaml.ApiVersion || kind != ProfileYaml.Kind)
            throw new ProfileFormatException($"{source}: expected apiVersion {ProfileYaml.ApiVersion} and kind {ProfileYaml.Kind}");
        if (!sawMetadata) throw new ProfileFormatException($"{source}: no metadata");
        if (string.IsNullOrWhiteSpace(workload)) throw new ProfileFormatException($"{source}: metadata.workload is required");
        if (digest is null || !digest.StartsWith("sha256:", StringComparison.Ordinal) || digest.Length != 71 || !digest[7..].All(char.IsAsciiHexDigitLower))
            throw new ProfileFormatException($"{source}: metadata.imageDigest must be sha256:<64 lowercase hex digits>");
        var parsedMode = Enum.TryParse<ProfileMode>(mode ?? "learn", ignoreCase: true, out var m) && !int.TryParse(mode, out _)
            ? m : throw new ProfileFormatException($"{source}: spec.mode '{mode}': expected learn, monitor or protect");
        return new ProfilePaths(new WorkloadIdentity(workload, digest, image), parsedMode, Time(created, "metadata.created", source), Time(updated, "metadata.updated", source),
            executables, files);
    }

    /// <summary>A block or flow mapping: <paramref name="onKey"/> consumes each key's value.</summary>
    private static void Mapping(Parser parser, string source, Action<string> onKey)
    {
        if (!parser.TryConsume<MappingStart>(out _))
        {
            if (parser.Accept<Scalar>(out var empty) && empty.Value.Length == 0)
            {
                parser.MoveNext(); // "metadata:" with nothing under it
                return;
            }
            throw new ProfileFormatException($"{source}: line {parser.Current?.Start.Line}: expected a mapping");
        }
        while (!parser.TryConsume<MappingEnd>(out _))
        {
            var key = parser.Consume<Scalar>();
            onKey(key.Value);
        }
    }

    /// <summary>A sequence of mappings, each contributing its <paramref name="field"/> (an absolute path).</summary>
    private static void Entries(Parser parser, string source, string field, string what, List<string> into)
    {
        if (parser.Accept<Scalar>(out var empty) && empty.Value.Length == 0)
        {
            parser.MoveNext();
            return;
        }
        parser.Consume<SequenceStart>();
        while (!parser.TryConsume<SequenceEnd>(out _))
        {
            string? value = null;
            Mapping(parser, source, key =>
            {
                if (key == field) value = Text(parser, source, key);
                else parser.SkipThisAndNestedEvents();
            });
            into.Add(value is { Length: > 0 } && value[0] == '/' ? value : throw new ProfileFormatException($"{source}: {what} '{value}' is not an absolute path"));
        }
    }

    private static string Text(Parser parser, string source, string key) =>
        parser.TryConsume<Scalar>(out var scalar) ? scalar.Value
        : throw new ProfileFormatException($"{source}: line {parser.Current?.Start.Line}: {key}: expected a value");

    private static DateTimeOffset Time(string? value, string field, string source) =>
        value is null ? DateTimeOffset.UnixEpoch
        : DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t
        : throw new ProfileFormatException($"{source}: {field} '{value}' is not a time");
}
