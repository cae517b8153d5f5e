using System.Text;

namespace ZeroDrift.Artifacts.FileSystems;

/// <summary>
/// File names as bytes and as text. A Linux name is any bytes but <c>/</c> and NUL, so a name that is not valid
/// UTF-8 still names a file a secret can hide in. Such a name is written with escapes, as git writes the names it
/// quotes: each byte that is not part of valid UTF-8 as <c>\xNN</c> (two lower-case hex digits) and a backslash as
/// <c>\\</c>. A name holding a backslash is escaped too, so that the text form stays one-to-one with the bytes:
/// <c>a\xff.env</c> is the name with byte 0xFF, <c>a\\xff.env</c> the one with the four characters. Every other
/// name is its UTF-8 text unchanged.
/// </summary>
public static class FileNames
{
    /// <summary>The text form of a name's bytes (escaped only when it must be).</summary>
    public static string FromBytes(ReadOnlySpan<byte> name)
    {
        if (name.IndexOf((byte)'\\') < 0 && System.Text.Unicode.Utf8.IsValid(name)) return Encoding.UTF8.GetString(name);
        var text = new StringBuilder(name.Length + 8);
        while (!name.IsEmpty)
        {
            var status = System.Text.Rune.DecodeFromUtf8(name, out var rune, out var consumed);
            if (status != System.Buffers.OperationStatus.Done)
            {
                for (var i = 0; i < consumed; i++) text.Append("\\x").Append(name[i].ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else if (rune.Value == '\\')
            {
                text.Append("\\\\");
            }
            else
            {
                text.Append(rune.ToString());
            }
            name = name[consumed..];
        }
        return text.ToString();
    }

    /// <summary>True when <paramref name="name"/> is in escaped form (it holds a backslash), so not its own UTF-8.</summary>
    public static bool IsEscaped(string name) => name.Contains('\\');

    /// <summary>The bytes a text form stands for (the inverse of <see cref="FromBytes"/>; a stray backslash stands for itself).</summary>
    public static byte[] ToBytes(string name)
    {
        if (!IsEscaped(name)) return Encoding.UTF8.GetBytes(name);
        var bytes = new List<byte>(name.Length);
        for (var i = 0; i < name.Length; i++)
        {
            if (name[i] == '\\' && i + 1 < name.Length && name[i + 1] == '\\')
            {
                bytes.Add((byte)'\\');
                i++;
            }
            else if (name[i] == '\\' && i + 3 < name.Length && name[i + 1] == 'x' && Uri.IsHexDigit(name[i + 2]) && Uri.IsHexDigit(name[i + 3]))
            {
                bytes.Add(Convert.ToByte(name.Substring(i + 2, 2), 16));
                i += 3;
            }
            else
            {
                var end = i + (char.IsHighSurrogate(name[i]) && i + 1 < name.Length ? 2 : 1);
                bytes.AddRange(Encoding.UTF8.GetBytes(name[i..end]));
                i = end - 1;
            }
        }
        return [.. bytes];
    }
}
