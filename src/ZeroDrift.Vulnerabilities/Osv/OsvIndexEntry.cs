using System.Globalization;
using System.Text.Json;

namespace ZeroDrift.Vulnerabilities.Osv;

/// <summary>
/// What the database indexes of a record (id, modified, withdrawn, aliases, affected packages). Read in one
/// forward pass with <see cref="Utf8JsonReader"/>, skipping (but still validating) everything else, so that an
/// import costs less than building a document of each record. The checks are those of <see cref="OsvParser"/>,
/// so what imports also parses when matched.
/// </summary>
public sealed record OsvIndexEntry(string Id, DateTimeOffset Modified, bool Withdrawn, IReadOnlyList<string> Aliases, IReadOnlyList<(string Ecosystem, string Name)> Packages)
{
    /// <summary>The (ecosystem base, normalised name) keys the record is found under, computed once by the reader.</summary>
    public IReadOnlyList<(string Base, string Name)> Keys { get; } =
        Packages.Select(p => (EcosystemNames.Base(p.Ecosystem), EcosystemNames.NormalizeName(p.Ecosystem, p.Name))).Distinct().ToList();

    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64 };

    public static OsvIndexEntry Read(ReadOnlyMemory<byte> json, string source)
    {
        var reader = new Utf8JsonReader(json.Span, Options);
        string? id = null, modifiedText = null, affectedError = null;
        var withdrawn = false;
        var idIsString = false;
        List<string> aliases = [];
        List<(string, string)> packages = [];
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw Invalid(source, "not a JSON object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var property = reader.ValueSpan;
                reader.Read();
                if (property.SequenceEqual("id"u8))
                {
                    idIsString = reader.TokenType == JsonTokenType.String;
                    id = idIsString ? reader.GetString() : null;
                    reader.Skip();
                }
                else if (property.SequenceEqual("modified"u8))
                {
                    modifiedText = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    reader.Skip();
                }
                else if (property.SequenceEqual("withdrawn"u8))
                {
                    withdrawn = reader.TokenType == JsonTokenType.String;
                    reader.Skip();
                }
                else if (property.SequenceEqual("aliases"u8))
                {
                    aliases = ReadStrings(ref reader);
                }
                else if (property.SequenceEqual("affected"u8))
                {
                    packages = [];
                    affectedError = ReadAffected(ref reader, packages);
                }
                else
                {
                    reader.Skip();
                }
            }
            // Anything after the root object is a syntax error the reader reports here.
            while (reader.Read()) { }
        }
        catch (JsonException e)
        {
            throw new OsvFormatException($"{source}: not a valid OSV record ({e.Message.Split('\n')[0]})");
        }
        if (!idIsString || string.IsNullOrWhiteSpace(id)) throw Invalid(source, "no id");
        if (modifiedText is null || !DateTimeOffset.TryParse(modifiedText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var modified))
            throw Invalid(source, $"{id}: no valid 'modified' time");
        if (affectedError is not null) throw Invalid(source, $"{id}: {affectedError}");
        return new OsvIndexEntry(id, modified, withdrawn, aliases, packages);
    }

    private static List<string> ReadStrings(ref Utf8JsonReader reader)
    {
        List<string> values = [];
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return values;
        }
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.String) values.Add(reader.GetString()!);
            else reader.Skip();
        }
        return values;
    }

    /// <summary>Reads the affected list's packages; returns the first reason the list is invalid, if any.</summary>
    private static string? ReadAffected(ref Utf8JsonReader reader, List<(string, string)> packages)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return "'affected' is not a list";
        }
        string? error = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                error ??= "an 'affected' entry is not an object";
                continue;
            }
            string? ecosystem = null, name = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var property = reader.ValueSpan;
                reader.Read();
                if (property.SequenceEqual("package"u8)) (ecosystem, name) = ReadPackage(ref reader);
                else if (property.SequenceEqual("ranges"u8)) error ??= CheckRanges(ref reader);
                else reader.Skip();
            }
            if (ecosystem is not null && name is not null) packages.Add((ecosystem, name));
        }
        return error;
    }

    private static (string? Ecosystem, string? Name) ReadPackage(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return (null, null);
        }
        string? ecosystem = null, name = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var property = reader.ValueSpan;
            reader.Read();
            if (property.SequenceEqual("ecosystem"u8) && reader.TokenType == JsonTokenType.String) ecosystem = reader.GetString();
            else if (property.SequenceEqual("name"u8) && reader.TokenType == JsonTokenType.String) name = reader.GetString();
            else reader.Skip();
        }
        return (ecosystem, name);
    }

    private static string? CheckRanges(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return "'ranges' is not a list";
        }
        string? error = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            string? type = null;
            var events = 0;
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var property = reader.ValueSpan;
                    reader.Read();
                    if (property.SequenceEqual("type"u8) && reader.TokenType == JsonTokenType.String)
                    {
                        type = reader.GetString();
                    }
                    else if (property.SequenceEqual("events"u8) && reader.TokenType == JsonTokenType.StartArray)
                    {
                        events = 0;
                        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                        {
                            events++;
                            reader.Skip();
                        }
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
            else
            {
                reader.Skip();
            }
            if (type is not ("SEMVER" or "ECOSYSTEM" or "GIT")) error ??= $"unknown range type '{type}'";
            else if (events == 0) error ??= "a range without events";
        }
        return error;
    }

    private static OsvFormatException Invalid(string source, string reason) => new($"{source}: not a valid OSV record ({reason})");
}
