using System.CommandLine;
using ZeroDrift.Server.Remediation;

namespace ZeroDrift.Cli.Commands;

/// <summary><c>zerodrift server --patch-images …</c>: the server runs patch-image jobs itself (docs/remediation.md, "On the server").</summary>
internal sealed class ServerPatchOptions
{
    private readonly Option<bool> _enabled = new("--patch-images") { Description = "Run patch-image jobs in the server (zerodrift fix … --push); without it they wait for CI to claim them through the API" };
    private readonly Option<string[]> _repos = new("--patch-repo") { Description = "An apt repository for --patch-images: \"deb URL SUITE COMPONENT...\"; repeatable", AllowMultipleArgumentsPerToken = false };
    private readonly Option<string[]> _keyrings = new("--patch-keyring") { Description = "OpenPGP keyring the --patch-repo repositories are signed with (default: the image's own); repeatable", AllowMultipleArgumentsPerToken = false };
    private readonly Option<bool> _imageSources = new("--patch-image-sources") { Description = "Also use each image's own apt sources for --patch-images" };
    private readonly Option<string?> _db = new("--patch-vuln-db") { Description = "The vulnerability database the patches and their rescans use (default: zerodrift's)" };
    private readonly Option<string?> _repository = new("--patch-repository") { Description = "Push patched images to this repository (host[:port]/path) instead of beside the original" };
    private readonly Option<string> _suffix = new("--patch-tag-suffix") { Description = "Appended to the original tag for the patched image (default -zdpatched)", DefaultValueFactory = _ => "-zdpatched" };
    private readonly Option<FileInfo?> _signKey = new("--patch-sign-key") { Description = "Sign and attest patched images with this key (cosign format; password from ZERODRIFT_PASSWORD)" };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { _enabled, _repos, _keyrings, _imageSources, _db, _repository, _suffix, _signKey }) command.Options.Add(o);
    }

    public ImagePatchSettings? Settings(ParseResult parse, IReadOnlyList<string> insecure)
    {
        var repos = parse.GetValue(_repos) ?? [];
        if (!parse.GetValue(_enabled))
        {
            if (repos.Length > 0 || parse.GetValue(_imageSources) || parse.GetValue(_signKey) is not null || parse.GetValue(_repository) is not null)
                throw new UsageException("--patch-repo, --patch-image-sources, --patch-repository and --patch-sign-key need --patch-images");
            return null;
        }
        if (repos.Length == 0 && !parse.GetValue(_imageSources)) throw new UsageException("--patch-images needs --patch-repo \"deb URL SUITE COMPONENT\" or --patch-image-sources");
        foreach (var repo in repos) ZeroDrift.Remediation.Images.Apt.AptSource.Parse(repo, "--patch-repo");
        var keyrings = parse.GetValue(_keyrings) ?? [];
        foreach (var file in keyrings.Where(k => !File.Exists(k))) throw new UsageException($"--patch-keyring {file}: no such file");
        var key = parse.GetValue(_signKey);
        if (key is { Exists: false }) throw new UsageException($"--patch-sign-key {key.FullName}: no such file");
        var suffix = parse.GetValue(_suffix)!;
        if (suffix.Length is 0 or > 64 || !suffix.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            throw new UsageException("--patch-tag-suffix: 1 to 64 letters, digits, '-', '_' or '.'");
        var config = new ServerPatchConfig(repos, [.. keyrings.Select(Path.GetFullPath)], parse.GetValue(_imageSources), parse.GetValue(_db), insecure, key?.FullName);
        return new ImagePatchSettings(new ServerPatchRunner(config), parse.GetValue(_repository), suffix);
    }
}
