using System.Diagnostics;
using System.Text;

namespace ZeroDrift.EndToEnd.Tests;

/// <summary>
/// <c>zerodrift trust update --from FOLDER|URL</c> against a TUF repository made here whose target is a private
/// Sigstore's trusted_root.json: it installs the root, after which <c>verify-bundle</c> trusts that Sigstore by default;
/// a rollback is refused in one line and leaves the installed root as it was.
/// </summary>
public sealed class TrustCommandTests : IDisposable
{
    private const string Issuer = "https://token.actions.githubusercontent.com";
    private const string Release = "https://github.com/acme/web/.github/workflows/release.yml@refs/heads/main";
    private readonly TempDir _dir = new();
    private readonly TestSigstore _sigstore = new();

    public void Dispose()
    {
        _sigstore.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void Trust_update_installs_the_root_verify_bundle_then_uses()
    {
        var repoDir = Directory.CreateDirectory(_dir.Combine("repo")).FullName;
        var repo = new TufTestRepository(repoDir);
        var root = TufKey.Ed25519();
        var online = TufKey.Ecdsa();
        var rootJson = TufTestRepository.Sign(TufTestRepository.RootSigned(1, TufTestRepository.InADay, ([root], 1), ([online], 1), ([online], 1), ([online], 1)), root);
        var rootFile = _dir.File("root.json", Encoding.UTF8.GetString(rootJson));
        repo.Publish(_sigstore.TrustedRootJson(), online, online, online, timestampVersion: 2, snapshotVersion: 2, targetsVersion: 2);

        var artifact = _dir.File("artifact.txt", "hello keyless");
        var bundle = _dir.File("artifact.sigstore.json", Encoding.UTF8.GetString(_sigstore.SignMessage(File.ReadAllBytes(artifact), new TestIdentity(Release, Issuer))));
        var env = new Dictionary<string, string> { ["ZERODRIFT_TRUST_DIR"] = _dir.Combine("trust") };
        string[] Verify() => ["verify-bundle", "--bundle", bundle, "--certificate-identity", Release, "--certificate-oidc-issuer", Issuer, artifact];

        var before = ZeroDriftRunner.Run(env, Verify());
        Assert.Equal(1, before.ExitCode);
        Assert.Contains("is not in the trusted root", before.Stderr, StringComparison.Ordinal);

        var noRoot = ZeroDriftRunner.Run(env, null, "trust", "update", "--from", repoDir);
        Assert.True(noRoot.ExitCode == 1, noRoot.Stdout + noRoot.Stderr);
        // Without --root the shipped public-good root is the anchor, which a private repository cannot satisfy.
        Assert.Contains("another repository needs --root", noRoot.Stderr, StringComparison.Ordinal);

        var update = ZeroDriftRunner.Run(env, null, "trust", "update", "--from", repoDir, "--root", rootFile);
        Assert.True(update.ExitCode == 0, update.Stdout + update.Stderr);
        Assert.Contains("root v1 (0 rotation(s)), timestamp v2, snapshot v2, targets v2", update.Stdout, StringComparison.Ordinal);
        Assert.Equal(_sigstore.TrustedRootJson(), File.ReadAllBytes(Path.Combine(_dir.Combine("trust"), "trusted_root.json")));

        var after = ZeroDriftRunner.Run(env, Verify());
        Assert.True(after.ExitCode == 0, after.Stdout + after.Stderr);

        // A repository served over HTTP on loopback (python3's http.server) that rolls the timestamp back.
        repo.Publish(_sigstore.TrustedRootJson(), online, online, online, timestampVersion: 1, snapshotVersion: 2, targetsVersion: 2);
        var port = RegistryServer.FreePort();
        using var server = Process.Start(new ProcessStartInfo("python3", ["-m", "http.server", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--directory", repoDir])
        { RedirectStandardError = true, RedirectStandardOutput = true })!;
        try
        {
            RunResult rollback = default!;
            for (var i = 0; i < 50; i++)
            {
                rollback = ZeroDriftRunner.Run(env, null, "trust", "update", "--from", $"http://127.0.0.1:{port}/");
                if (!rollback.Stderr.Contains("Connection refused", StringComparison.Ordinal)) break;
                Thread.Sleep(100);
            }
            Assert.Equal(1, rollback.ExitCode);
            Assert.Equal("zerodrift: trust update refused: TUF timestamp: version 1 is older than the trusted 2 (rollback refused)", rollback.Stderr.Trim());
        }
        finally
        {
            server.Kill();
            server.WaitForExit();
        }
        Assert.Equal(0, ZeroDriftRunner.Run(env, Verify()).ExitCode);
        Assert.Equal(2, ZeroDriftRunner.Run(env, null, "trust", "update", "--from", "http://example.com/").ExitCode);
    }
}
