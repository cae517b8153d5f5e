using System.Text;
using System.Text.Json.Nodes;
using ZeroDrift.Supply.Tuf;

namespace ZeroDrift.Supply.Tests;

/// <summary>
/// The TUF client against repositories generated here (Ed25519 and ECDSA keys, real signatures over canonical JSON):
/// it installs a target through a verified chain, follows root rotation, and refuses — in one line — threshold
/// shortfalls, rotations the old keys did not sign, expired (frozen) metadata, rollbacks, tampered targets and
/// hostile documents.
/// </summary>
public sealed class TufClientTests : IDisposable
{
    private readonly TempDir _repo = new();
    private readonly TempDir _state = new();
    private readonly TufKey _root1 = TufKey.Ed25519();
    private readonly TufKey _timestamp = TufKey.Ecdsa();
    private readonly TufKey _snapshot = TufKey.Ed25519();
    private readonly TufKey _targets = TufKey.Ecdsa();
    private static readonly byte[] Target = Encoding.UTF8.GetBytes("""{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}""");

    public void Dispose()
    {
        _repo.Dispose();
        _state.Dispose();
    }

    private TufTestRepository Repo => new(_repo.Path);

    private JsonObject RootSigned(int version, (TufKey[] Keys, int Threshold) root, DateTimeOffset? expires = null) =>
        TufTestRepository.RootSigned(version, expires ?? TufTestRepository.InADay, root, ([_timestamp], 1), ([_snapshot], 1), ([_targets], 1));

    private byte[] Bootstrap() => TufTestRepository.Sign(RootSigned(1, ([_root1], 1)), _root1);

    private TufUpdate Update(byte[]? bootstrap = null) => new TufClient(_state.Path, new FolderTufSource(_repo.Path), DateTimeOffset.UtcNow).Update("trusted_root.json", bootstrap);

    private string Refusal(byte[]? bootstrap = null)
    {
        var e = Assert.Throws<SupplyException>(() => Update(bootstrap));
        Assert.DoesNotContain('\n', e.Message);
        return e.Message;
    }

    [Fact]
    public void A_verified_chain_installs_the_target_and_persists_the_metadata()
    {
        Repo.Publish(Target, _timestamp, _snapshot, _targets);
        var result = Update(Bootstrap());
        Assert.Equal(Target, result.TargetBytes);
        Assert.Equal((1L, 0, 1L, 1L, 1L), (result.RootVersion, result.Rotations, result.TimestampVersion, result.SnapshotVersion, result.TargetsVersion));
        foreach (var name in new[] { "root.json", "timestamp.json", "snapshot.json", "targets.json" }) Assert.True(File.Exists(Path.Combine(_state.Path, name)), name);
        // Afterwards the stored root is the anchor: no bootstrap needed.
        Assert.Equal(Target, Update().TargetBytes);
        Assert.Contains("give --root", Assert.Throws<SupplyException>(() => new TufClient(Path.Combine(_state.Path, "fresh"), new FolderTufSource(_repo.Path), DateTimeOffset.UtcNow).Update("trusted_root.json", null)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Root_rotation_needs_a_threshold_of_the_old_keys_and_of_the_new()
    {
        var root2a = TufKey.Ecdsa();
        var root2b = TufKey.Ed25519();
        Repo.Publish(Target, _timestamp, _snapshot, _targets);
        Repo.WriteRoot(2, TufTestRepository.Sign(RootSigned(2, ([root2a, root2b], 2)), _root1, root2a, root2b));
        var result = Update(Bootstrap());
        Assert.Equal((2L, 1), (result.RootVersion, result.Rotations));

        // Version 3 signed only by its own new key: the version-2 keys never agreed to it.
        var root3 = TufKey.Ed25519();
        Repo.WriteRoot(3, TufTestRepository.Sign(RootSigned(3, ([root3], 1)), root3));
        Assert.Equal("TUF root version 3 (signatures by the previous root's keys): 0 valid signature(s) of the 2 trusted keys, threshold 2", Refusal());

        // Signed by one of the two old keys: threshold 2 not met.
        Repo.WriteRoot(3, TufTestRepository.Sign(RootSigned(3, ([root3], 1)), root2a, root3));
        Assert.Equal("TUF root version 3 (signatures by the previous root's keys): 1 valid signature(s) of the 2 trusted keys, threshold 2", Refusal());

        // Signed by the old keys but not by its own (new) root key.
        Repo.WriteRoot(3, TufTestRepository.Sign(RootSigned(3, ([root3], 1)), root2a, root2b));
        Assert.Contains("(signatures by its own keys)", Refusal(), StringComparison.Ordinal);

        // Both: accepted; the same key signing twice still counts once.
        Repo.WriteRoot(3, TufTestRepository.Sign(RootSigned(3, ([root3], 1)), root2a, root2b, root3));
        Assert.Equal(3L, Update().RootVersion);
        Repo.WriteRoot(4, TufTestRepository.Sign(RootSigned(4, ([root3, root2a], 2)), root3, root3, root2a));
        Assert.Equal(4L, Update().RootVersion);
        Repo.WriteRoot(5, TufTestRepository.Sign(RootSigned(5, ([root3], 1)), root3, root3));
        Assert.Contains("1 valid signature(s) of the 2 trusted keys, threshold 2", Refusal(), StringComparison.Ordinal);
    }

    [Fact]
    public void Expired_metadata_is_refused_as_a_freeze()
    {
        var past = DateTimeOffset.UtcNow.AddMinutes(-5);
        Repo.Publish(Target, _timestamp, _snapshot, _targets, timestampExpires: past);
        Assert.StartsWith("TUF timestamp: expired at ", Refusal(Bootstrap()), StringComparison.Ordinal);
        Repo.Publish(Target, _timestamp, _snapshot, _targets, snapshotExpires: past);
        Assert.StartsWith("TUF snapshot: expired at ", Refusal(), StringComparison.Ordinal);
        Repo.Publish(Target, _timestamp, _snapshot, _targets, targetsExpires: past);
        Assert.StartsWith("TUF targets: expired at ", Refusal(), StringComparison.Ordinal);
        Repo.WriteRoot(2, TufTestRepository.Sign(RootSigned(2, ([_root1], 1), past), _root1));
        Assert.StartsWith("TUF root version 2: expired at ", Refusal(), StringComparison.Ordinal);
    }

    [Fact]
    public void Rollbacks_of_timestamp_snapshot_and_root_are_refused()
    {
        Repo.Publish(Target, _timestamp, _snapshot, _targets, timestampVersion: 5, snapshotVersion: 5, targetsVersion: 5);
        Update(Bootstrap());
        Repo.Publish(Target, _timestamp, _snapshot, _targets, timestampVersion: 4, snapshotVersion: 5, targetsVersion: 5);
        Assert.Equal("TUF timestamp: version 4 is older than the trusted 5 (rollback refused)", Refusal());
        Repo.Publish(Target, _timestamp, _snapshot, _targets, timestampVersion: 6, snapshotVersion: 4, targetsVersion: 5);
        Assert.Equal("TUF timestamp: it names snapshot version 4, older than the trusted 5 (rollback refused)", Refusal());
        Repo.Publish(Target, _timestamp, _snapshot, _targets, timestampVersion: 7, snapshotVersion: 6, targetsVersion: 4);
        Assert.Equal("TUF snapshot: targets.json is version 4, older than the trusted 5 (rollback refused)", Refusal());
        Repo.Publish(Target, _timestamp, _snapshot, _targets, timestampVersion: 8, snapshotVersion: 7, targetsVersion: 6);
        Assert.Equal(6L, Update().TargetsVersion);
    }

    [Fact]
    public void A_wrong_signer_a_tampered_target_or_snapshot_is_refused()
    {
        var stranger = TufKey.Ecdsa();
        Repo.Publish(Target, stranger, _snapshot, _targets);
        Assert.Equal("TUF timestamp: 0 valid signature(s) of the 1 trusted keys, threshold 1", Refusal(Bootstrap()));
        Repo.Publish(Target, _timestamp, _snapshot, stranger);
        Assert.Equal("TUF targets: 0 valid signature(s) of the 1 trusted keys, threshold 1", Refusal());

        Repo.Publish(Target, _timestamp, _snapshot, _targets, served: [.. Target[..^1], (byte)'!']);
        Assert.Equal("TUF target trusted_root.json: its sha256 is not the one the signed metadata names", Refusal());
        // One byte longer than signed: the download stops at the signed length (an endless target cannot fill the disk).
        Repo.Publish(Target, _timestamp, _snapshot, _targets, served: [.. Target, (byte)' ']);
        Assert.Contains("is larger than", Refusal(), StringComparison.Ordinal);

        Repo.Publish(Target, _timestamp, _snapshot, _targets, timestampVersion: 2, snapshotVersion: 2);
        var snapshotPath = Path.Combine(_repo.Path, "2.snapshot.json");
        File.WriteAllText(snapshotPath, File.ReadAllText(snapshotPath).Replace("\"version\":2", "\"version\":3", StringComparison.Ordinal));
        Assert.StartsWith("TUF snapshot: ", Refusal(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json", "TUF timestamp is malformed JSON")]
    [InlineData("[1]", "TUF timestamp is not a JSON object")]
    [InlineData("""{"signed":{"_type":"root","version":1,"expires":"2099-01-01T00:00:00Z"},"signatures":[]}""", "TUF timestamp: it is root metadata, not timestamp")]
    [InlineData("""{"signed":{"_type":"timestamp","version":"x","expires":"2099-01-01T00:00:00Z"},"signatures":[]}""", "TUF timestamp: 'version' must be a 64-bit integer")]
    [InlineData("""{"signed":{"_type":"timestamp","version":1,"expires":"soon"},"signatures":[]}""", "TUF timestamp: expires 'soon' is not a time")]
    [InlineData("""{"signed":{"_type":"timestamp","version":1,"expires":"2099-01-01T00:00:00Z"},"signatures":[{"keyid":"a","sig":"zz"}]}""", "TUF timestamp: a signature is not hex")]
    public void Hostile_metadata_is_one_refusal_line(string timestamp, string expected)
    {
        Repo.Publish(Target, _timestamp, _snapshot, _targets);
        File.WriteAllText(Path.Combine(_repo.Path, "timestamp.json"), timestamp);
        Assert.StartsWith(expected, Refusal(Bootstrap()), StringComparison.Ordinal);
    }

    [Fact]
    public void Huge_and_deep_documents_are_refused_before_parsing()
    {
        Repo.Publish(Target, _timestamp, _snapshot, _targets);
        File.WriteAllText(Path.Combine(_repo.Path, "timestamp.json"), new string(' ', (64 << 10) + 1));
        Assert.Contains("larger than", Refusal(Bootstrap()), StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(_repo.Path, "timestamp.json"), new string('[', 100_000) + new string(']', 100_000));
        Assert.Contains("larger than", Refusal(), StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(_repo.Path, "timestamp.json"), "{\"signed\":" + new string('[', 1000) + new string(']', 1000) + "}");
        Assert.StartsWith("TUF timestamp is malformed JSON", Refusal(), StringComparison.Ordinal);
    }
}
