using System.Text;
using System.Text.Json;
using ZeroDrift.Core.IO;

namespace ZeroDrift.Artifacts.Registry;

/// <summary>A user name and password (or token used as one) for HTTP Basic and for the token endpoint.</summary>
public sealed record BasicCredentials(string Username, string Password)
{
    public string HeaderValue => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}"));

    public override string ToString() => $"BasicCredentials {{ Username = {Username} }}"; // never the password
}

/// <summary>
/// Registry credentials from the files podman, skopeo and docker write: <c>$REGISTRY_AUTH_FILE</c> when set (only
/// that file), else <c>$XDG_RUNTIME_DIR/containers/auth.json</c> then <c>$DOCKER_CONFIG/config.json</c> or
/// <c>~/.docker/config.json</c>, the first file with an entry for the registry winning. Entries come from the
/// <c>auths</c> map (base64 <c>auth</c>, or <c>username</c>/<c>password</c>), keyed by <c>host</c>, <c>host:port</c>,
/// a URL such as <c>https://index.docker.io/v1/</c>, or <c>host/namespace</c> (the longest match wins).
/// Credential helpers (<c>credsStore</c>, <c>credHelpers</c>) are not run: ZeroDrift executes nothing it reads.
/// </summary>
public sealed class RegistryCredentials
{
    private const long MaxFileBytes = 4 << 20;
    private readonly IReadOnlyList<(string File, IReadOnlyList<(string Key, BasicCredentials Credentials)> Entries)> _files;

    private RegistryCredentials(IReadOnlyList<(string, IReadOnlyList<(string, BasicCredentials)>)> files) => _files = files;

    public static RegistryCredentials None { get; } = new([]);

    /// <summary>The auth files this process would read, in order.</summary>
    public static IReadOnlyList<string> DefaultFiles()
    {
        if (Environment.GetEnvironmentVariable("REGISTRY_AUTH_FILE") is { Length: > 0 } explicitFile) return [explicitFile];
        var files = new List<string>();
        if (Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } runtime)
            files.Add(Path.Combine(runtime, "containers", "auth.json"));
        if (Environment.GetEnvironmentVariable("DOCKER_CONFIG") is { Length: > 0 } dockerConfig)
            files.Add(Path.Combine(dockerConfig, "config.json"));
        else if (Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) is { Length: > 0 } home)
            files.Add(Path.Combine(home, ".docker", "config.json"));
        return files;
    }

    public static RegistryCredentials FromEnvironment() => FromFiles(DefaultFiles());

    /// <summary>Reads the files that exist; a malformed one is an error naming it (silently scanning anonymously would mislead).</summary>
    public static RegistryCredentials FromFiles(IEnumerable<string> paths)
    {
        var files = new List<(string, IReadOnlyList<(string, BasicCredentials)>)>();
        foreach (var path in paths)
        {
            byte[] content;
            try
            {
                if (!File.Exists(path)) continue;
                content = BoundedFile.ReadAllBytes(path, MaxFileBytes, "registry auth file");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ArtifactException($"{path}: cannot read registry auth file ({e.Message})", e);
            }
            files.Add((path, Parse(content, path)));
        }
        return new RegistryCredentials(files);
    }

    public static IReadOnlyList<(string Key, BasicCredentials Credentials)> Parse(byte[] content, string what)
    {
        var entries = new List<(string, BasicCredentials)>();
        try
        {
            using var doc = JsonDocument.Parse(content, new JsonDocumentOptions { MaxDepth = 16, AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new ArtifactException($"{what}: auth file is not a JSON object");
            if (!doc.RootElement.TryGetProperty("auths", out var auths) || auths.ValueKind != JsonValueKind.Object) return entries;
            foreach (var auth in auths.EnumerateObject())
            {
                if (auth.Value.ValueKind != JsonValueKind.Object) continue;
                if (Decode(auth.Value, $"{what}: auths[\"{auth.Name}\"]") is { } credentials)
                    entries.Add((NormalizeKey(auth.Name), credentials));
            }
        }
        catch (JsonException e)
        {
            throw new ArtifactException($"{what}: malformed registry auth file ({e.Message})", e);
        }
        return entries;
    }

    private static BasicCredentials? Decode(JsonElement entry, string what)
    {
        if (entry.TryGetProperty("auth", out var a) && a.ValueKind == JsonValueKind.String && a.GetString() is { Length: > 0 } encoded)
        {
            string decoded;
            try { decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded)); }
            catch (FormatException) { throw new ArtifactException($"{what}: 'auth' is not base64"); }
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) throw new ArtifactException($"{what}: 'auth' is not base64 of user:password");
            return new BasicCredentials(decoded[..colon], decoded[(colon + 1)..]);
        }
        var user = entry.TryGetProperty("username", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
        var password = entry.TryGetProperty("password", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
        // An entry with neither (docker writes "{}" when a credential store holds the secret) means: no credentials here.
        return string.IsNullOrEmpty(user) || password is null ? null : new BasicCredentials(user, password);
    }

    /// <summary><c>https://host:port/v1/</c> → <c>host:port</c>; <c>host/ns/</c> → <c>host/ns</c>; hosts compare case-insensitively.</summary>
    public static string NormalizeKey(string key)
    {
        var k = key.Trim();
        foreach (var scheme in new[] { "https://", "http://" })
            if (k.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) k = k[scheme.Length..];
        k = k.TrimEnd('/');
        foreach (var apiPath in new[] { "/v1", "/v2" })
            if (k.EndsWith(apiPath, StringComparison.Ordinal)) k = k[..^apiPath.Length];
        var slash = k.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? k.ToLowerInvariant() : k[..slash].ToLowerInvariant() + k[slash..];
    }

    /// <summary>The credentials for a repository of a registry (host[:port] as the reference names it), or null.</summary>
    public BasicCredentials? Find(string registry, string? repository = null)
    {
        var hosts = registry.Equals(ImageReference.DockerHub, StringComparison.OrdinalIgnoreCase)
            ? ["docker.io", "index.docker.io", "registry-1.docker.io"]
            : new[] { registry.ToLowerInvariant() };
        foreach (var (_, entries) in _files)
        {
            BasicCredentials? best = null;
            var bestLength = -1;
            foreach (var (key, credentials) in entries)
            {
                foreach (var host in hosts)
                {
                    var length = MatchLength(key, host, repository);
                    if (length > bestLength) (best, bestLength) = (credentials, length);
                }
            }
            if (best is not null) return best;
        }
        return null;
    }

    private static int MatchLength(string key, string host, string? repository)
    {
        if (key == host) return key.Length;
        if (repository is null || !key.StartsWith(host + "/", StringComparison.Ordinal)) return -1;
        var full = host + "/" + repository;
        return full == key || full.StartsWith(key + "/", StringComparison.Ordinal) ? key.Length : -1;
    }
}
