using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ZeroDrift.Supply.Sigstore;

/// <summary>
/// A log checkpoint in the signed note format (C2SP signed-note, tlog-checkpoint): origin, tree size and root hash,
/// optional extension lines, a blank line, then signature lines <c>— name base64(keyhint[4] || signature)</c>.
/// </summary>
public sealed record Checkpoint(string Origin, long TreeSize, byte[] RootHash, string SignedText, IReadOnlyList<NoteSignature> Signatures)
{
    private const int MaxBytes = 64 << 10;
    private const int MaxSignatures = 100;

    public static Checkpoint Parse(string envelope)
    {
        if (envelope.Length > MaxBytes) throw new SupplyException("checkpoint: larger than 64 KiB");
        var split = envelope.IndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0) throw new SupplyException("checkpoint: no blank line between the note and its signatures");
        var text = envelope[..(split + 1)];
        var lines = text.TrimEnd('\n').Split('\n');
        if (lines.Length < 3 || lines[0].Length == 0) throw new SupplyException("checkpoint: it needs an origin, a tree size and a root hash");
        if (!long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            throw new SupplyException("checkpoint: the second line is not a tree size");
        byte[] root;
        try
        {
            root = Convert.FromBase64String(lines[2]);
        }
        catch (FormatException e)
        {
            throw new SupplyException("checkpoint: the third line is not a base64 root hash", e);
        }
        var signatures = new List<NoteSignature>();
        foreach (var line in envelope[(split + 2)..].Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (signatures.Count == MaxSignatures) throw new SupplyException($"checkpoint: more than {MaxSignatures} signatures");
            if (!line.StartsWith("\u2014 ", StringComparison.Ordinal)) throw new SupplyException("checkpoint: a signature line does not start with an em dash");
            var parts = line[2..].Split(' ');
            if (parts.Length != 2) throw new SupplyException("checkpoint: a signature line is not '— name signature'");
            byte[] blob;
            try
            {
                blob = Convert.FromBase64String(parts[1]);
            }
            catch (FormatException e)
            {
                throw new SupplyException("checkpoint: a signature is not base64", e);
            }
            if (blob.Length < 5) throw new SupplyException("checkpoint: a signature is too short");
            signatures.Add(new NoteSignature(parts[0], blob[..4], blob[4..]));
        }
        return new Checkpoint(lines[0], size, root, text, signatures);
    }

    /// <summary>
    /// True when a signature line from this log verifies: its name is the log's host (Rekor v2) or the origin's
    /// first word (Rekor v1's origin is "rekor.sigstore.dev - treeid"), its key hint is the log's (for Ed25519
    /// keys SHA-256(name || "\n" || 0x01 || key)[:4], for ECDSA the log id's first 4 bytes), and the signature is
    /// over the note text. Cosignatures from witnesses are ignored.
    /// </summary>
    public bool SignedBy(TrustedLog log)
    {
        var message = Encoding.UTF8.GetBytes(SignedText);
        foreach (var sig in Signatures)
        {
            if (sig.Name != log.Host && sig.Name != Origin.Split(' ')[0]) continue;
            if (!sig.KeyHint.AsSpan().SequenceEqual(KeyHint(log, sig.Name))) continue;
            if (log.Key.VerifyMessage(message, sig.Signature)) return true;
        }
        return false;
    }

    private static byte[] KeyHint(TrustedLog log, string name)
    {
        if (!log.Key.IsEd25519) return log.LogId.Length >= 4 ? log.LogId[..4] : [];
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var raw = log.Key.Ed25519Raw;
        var buffer = new byte[nameBytes.Length + 2 + raw.Length];
        nameBytes.CopyTo(buffer, 0);
        buffer[nameBytes.Length] = (byte)'\n';
        buffer[nameBytes.Length + 1] = 0x01;
        raw.CopyTo(buffer, nameBytes.Length + 2);
        return SHA256.HashData(buffer)[..4];
    }
}

public sealed record NoteSignature(string Name, byte[] KeyHint, byte[] Signature);
