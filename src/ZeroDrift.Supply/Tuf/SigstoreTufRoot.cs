namespace ZeroDrift.Supply.Tuf;

/// <summary>
/// The Sigstore public-good TUF repository and its root as shipped with ZeroDrift (sigstore/root-signing
/// metadata/root.json, version 15): the trust anchor of the first <c>trust update</c> when no <c>--root</c> is given.
/// A shipped root that has since expired still anchors: the client rotates from it through every newer root the
/// repository serves, each signed by a threshold of the previous one's keys, and only the last must be unexpired.
/// </summary>
public static class SigstoreTufRoot
{
    public const string PublicGoodUrl = "https://tuf-repo-cdn.sigstore.dev";

    public static byte[] Shipped()
    {
        using var stream = typeof(SigstoreTufRoot).Assembly.GetManifestResourceStream("ZeroDrift.Supply.Tuf.sigstore-tuf-root.json")
            ?? throw new InvalidOperationException("the embedded Sigstore TUF root is missing from the build");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }
}
