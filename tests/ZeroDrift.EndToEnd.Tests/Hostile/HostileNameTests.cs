using System.Text.Json;

namespace ZeroDrift.EndToEnd.Tests.Hostile;

/// <summary>
/// File names that are not valid UTF-8 (issue 15, item 7): a secret must not hide in one. They are scanned and
/// reported with <c>\xNN</c> escapes (docs/formats.md), and the JSON and SARIF reports stay valid.
/// </summary>
public sealed class HostileNameTests
{
    private static readonly string Token = HostileRepository.Token;
    private const string AwsKey = "AKIAQ2KXBJ7TWOOQAJTF";

    /// <summary>Creates files whose names are given as printf(1) byte escapes (.NET cannot spell them).</summary>
    private static void RawFile(HostileSandbox sandbox, string printfName, string content)
    {
        var script = $"name=$(printf '{printfName}'); mkdir -p \"$(dirname \"$name\")\"; printf '%s\\n' '{content}' > \"$name\"";
        HostileRepository.Run(sandbox.Target, null, "sh", "-c", script);
    }

    [Fact]
    public void A_secret_in_a_file_whose_name_is_not_utf8_is_found_and_reported_with_escapes()
    {
        using var sandbox = new HostileSandbox();
        RawFile(sandbox, "config/prod\\377.env", $"GITHUB_TOKEN={Token}");
        RawFile(sandbox, "k\\351ys/\\300\\200/aws.txt", $"AWS_ACCESS_KEY_ID={AwsKey}");
        sandbox.File("config/plain.env", "DEBUG=1\n");

        var json = sandbox.Run("scan", ".", "--scanners", "secret", "--format", "json");

        json.AssertContained("names that are not UTF-8");
        Assert.True(json.ExitCode == 0, json.Stderr);
        Assert.DoesNotContain("cannot list directory", json.Stderr);
        using var doc = JsonDocument.Parse(json.Stdout);
        var paths = doc.RootElement.GetProperty("contentFindings").EnumerateArray().Select(f => f.GetProperty("path").GetString()).ToList();
        // An invalid byte is \xNN; a directory with such a name is walked too (0xC0 0x80 is an overlong NUL).
        Assert.Contains("/config/prod\\xff.env", paths);
        Assert.Contains("/k\\xe9ys/\\xc0\\x80/aws.txt", paths);

        var sarif = sandbox.Run("scan", ".", "--scanners", "secret", "--format", "sarif");
        Assert.True(sarif.ExitCode == 0, sarif.Stderr);
        using var report = JsonDocument.Parse(sarif.Stdout);
        var uris = report.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray()
            .Select(r => r.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("artifactLocation").GetProperty("uri").GetString()!).ToList();
        // A URI carries the name's own bytes, percent-encoded.
        Assert.Contains("config/prod%FF.env", uris);
        Assert.All(uris, u => Assert.True(Uri.TryCreate(u, UriKind.Relative, out _), u));
    }

    [Fact]
    public void A_name_with_the_escape_characters_themselves_is_a_different_file()
    {
        using var sandbox = new HostileSandbox();
        // Byte 0xFF, and the four characters \xff: two files, two findings, two paths.
        RawFile(sandbox, "a\\377.env", $"GITHUB_TOKEN={Token}");
        RawFile(sandbox, "a\\\\xff.env", $"AWS_ACCESS_KEY_ID={AwsKey}");

        var outcome = sandbox.Run("scan", ".", "--scanners", "secret", "--format", "json");

        outcome.AssertContained("escape look-alike");
        using var doc = JsonDocument.Parse(outcome.Stdout);
        var found = doc.RootElement.GetProperty("contentFindings").EnumerateArray()
            .Select(f => (f.GetProperty("path").GetString(), f.GetProperty("ruleId").GetString())).ToList();
        Assert.Contains(("/a\\xff.env", "github-pat"), found);
        Assert.Contains(("/a\\\\xff.env", "aws-access-key-id"), found);
    }

    [Fact]
    public void A_name_that_is_not_utf8_in_git_history_keeps_its_bytes()
    {
        using var sandbox = new HostileSandbox();
        var repo = new HostileRepository(sandbox.Target, withLeakedToken: false);
        RawFile(sandbox, "old\\377.env", $"GITHUB_TOKEN={Token}");
        repo.Git("add", ".");
        repo.Git("commit", "-q", "-m", "token");
        repo.Git("rm", "-q", "-r", ".");
        repo.Git("commit", "-q", "-m", "gone");

        var outcome = sandbox.Run("scan", ".", "--git", "--scanners", "secret", "--format", "json");

        outcome.AssertContained("git name not UTF-8");
        Assert.True(outcome.ExitCode == 0, outcome.Stderr);
        using var doc = JsonDocument.Parse(outcome.Stdout);
        Assert.Contains(doc.RootElement.GetProperty("contentFindings").EnumerateArray(),
            f => f.GetProperty("path").GetString() == "/old\\xff.env" && f.TryGetProperty("git", out _));
    }
}
