using System.Security.Cryptography;

namespace ZeroDrift.Supply.Sigstore;

/// <summary>RFC 6962 / RFC 9162 §2.1.3.2 inclusion proofs: the root a leaf and its audit path lead to.</summary>
public static class MerkleInclusion
{
    public static byte[] LeafHash(ReadOnlySpan<byte> leaf)
    {
        var buffer = new byte[leaf.Length + 1];
        leaf.CopyTo(buffer.AsSpan(1));
        return SHA256.HashData(buffer);
    }

    private static byte[] NodeHash(byte[] left, byte[] right)
    {
        var buffer = new byte[1 + left.Length + right.Length];
        buffer[0] = 1;
        left.CopyTo(buffer, 1);
        right.CopyTo(buffer, 1 + left.Length);
        return SHA256.HashData(buffer);
    }

    /// <summary>The root hash the proof leads to, or null when the path's length does not fit the index and size.</summary>
    public static byte[]? RootFromProof(long index, long treeSize, byte[] leafHash, IReadOnlyList<byte[]> path)
    {
        if (index < 0 || index >= treeSize) return null;
        if (path.Any(p => p.Length != 32)) return null;
        long fn = index, sn = treeSize - 1;
        var r = leafHash;
        foreach (var p in path)
        {
            if (sn == 0) return null;
            if ((fn & 1) == 1 || fn == sn)
            {
                r = NodeHash(p, r);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                r = NodeHash(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 ? r : null;
    }
}
