using ZeroDrift.Supply.Tuf;

namespace ZeroDrift.Supply.Tests;

/// <summary>
/// The shipped Sigstore TUF root against the real sigstore/root-signing metadata (../shared/conformance/sigstore/
/// production/tuf: root.json v15, root_history 1–15, a timestamp; snapshot and targets were not kept): the real root
/// chain rotates 1 → 15 under the real keys, and the shipped root verifies the real timestamp.
/// </summary>
public sealed class SigstoreTufRootTests : IDisposable
{
    private static readonly string Production = Path.Combine(RepoPaths.Conformance("sigstore"), "production", "tuf");
    // Inside every root's and the timestamp's validity (timestamp v762 expires 2026-08-28T19:25:56Z).
    private static readonly DateTimeOffset When = new(2026, 8, 28, 0, 0, 0, TimeSpan.Zero);
    private readonly TempDir _repo = new();
    private readonly TempDir _state = new();

    public SigstoreTufRootTests()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(Production, "root_history"))) File.Copy(file, _repo.Combine(Path.GetFileName(file)));
        File.Copy(Path.Combine(Production, "timestamp.json"), _repo.Combine("timestamp.json"));
    }

    public void Dispose()
    {
        _repo.Dispose();
        _state.Dispose();
    }

    private TufClient Client() => new(_state.Path, new FolderTufSource(_repo.Path), When);

    [Fact]
    public void The_shipped_root_is_sigstores_root_json_version_15()
    {
        Assert.Equal(File.ReadAllBytes(Path.Combine(Production, "root.json")), SigstoreTufRoot.Shipped());
    }

    [Fact]
    public void The_real_root_chain_rotates_from_version_1_to_15_and_the_real_timestamp_verifies()
    {
        // Only the snapshot is missing: everything before it (14 rotations, the timestamp's signatures) verified.
        var e = Assert.Throws<SupplyException>(() => Client().Update("trusted_root.json", File.ReadAllBytes(_repo.Combine("1.root.json"))));
        Assert.True(e.Message.Contains("no snapshot version", StringComparison.Ordinal), e.Message);
        Assert.Equal(File.ReadAllBytes(_repo.Combine("15.root.json")), File.ReadAllBytes(_state.Combine("root.json")));
        Assert.True(File.Exists(_state.Combine("timestamp.json")));
    }

    [Fact]
    public void Without_a_bootstrap_root_the_shipped_one_anchors_and_verifies_the_real_timestamp()
    {
        var e = Assert.Throws<SupplyException>(() => Client().Update("trusted_root.json", null, SigstoreTufRoot.Shipped()));
        Assert.Contains("no snapshot version", e.Message, StringComparison.Ordinal);
        Assert.Contains("shipped with ZeroDrift", e.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(_state.Combine("timestamp.json")));
    }

    [Fact]
    public void A_real_root_with_one_signed_byte_changed_breaks_the_chain_and_one_bad_signature_of_four_does_not()
    {
        // One signature of root 8's four broken: the rest still meet the threshold, as TUF intends.
        var text = File.ReadAllText(_repo.Combine("8.root.json"));
        var sig = text.IndexOf("\"sig\": \"3044", StringComparison.Ordinal) + 20;
        File.WriteAllText(_repo.Combine("8.root.json"), text[..sig] + (text[sig] == '0' ? '1' : '0') + text[(sig + 1)..]);
        var partial = Assert.Throws<SupplyException>(() => Client().Update("trusted_root.json", File.ReadAllBytes(_repo.Combine("1.root.json"))));
        Assert.True(partial.Message.Contains("no snapshot version", StringComparison.Ordinal), partial.Message);

        // One byte of what root 8 signs changed (its expiry's last digit): no signature holds, the chain stops at 7.
        using var fresh = new TempDir();
        var expires = text.IndexOf("\"expires\": \"", StringComparison.Ordinal) + 29;
        File.WriteAllText(_repo.Combine("8.root.json"), text[..expires] + (text[expires] == '0' ? '1' : '0') + text[(expires + 1)..]);
        var e = Assert.Throws<SupplyException>(() => new TufClient(fresh.Path, new FolderTufSource(_repo.Path), When).Update("trusted_root.json", File.ReadAllBytes(_repo.Combine("1.root.json"))));
        Assert.True(e.Message.Contains("TUF root version 8", StringComparison.Ordinal), e.Message);
        Assert.Equal(File.ReadAllBytes(_repo.Combine("7.root.json")), File.ReadAllBytes(fresh.Combine("root.json")));
    }

    [Fact]
    public void A_private_repository_without_root_is_refused_naming_the_shipped_anchor_and_leaves_no_state()
    {
        using var other = new TempDir();
        File.WriteAllText(other.Combine("timestamp.json"), "{}");
        var e = Assert.Throws<SupplyException>(() => new TufClient(_state.Path, new FolderTufSource(other.Path), When).Update("trusted_root.json", null, SigstoreTufRoot.Shipped()));
        Assert.Contains("another repository needs --root", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_state.Combine("root.json")));
    }
}
