using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace ZeroDrift.Agent;

/// <summary>
/// An exec record's environment, kept as the kernel's bytes and parsed on first use: only rules that read
/// <c>proc.env</c> need it, and parsing every exec's environment into strings was 5 % of the reading thread's time
/// under an exec-heavy load. Two threads reading it at once may both parse; they build equal dictionaries.
/// </summary>
internal sealed class LazyEnvironment(byte[] raw, bool truncated) : IReadOnlyDictionary<string, string>
{
    private IReadOnlyDictionary<string, string>? _parsed;

    private IReadOnlyDictionary<string, string> Parsed => _parsed ??= EventMapper.Env(raw, truncated);

    public string this[string key] => Parsed[key];
    public IEnumerable<string> Keys => Parsed.Keys;
    public IEnumerable<string> Values => Parsed.Values;
    public int Count => Parsed.Count;
    public bool ContainsKey(string key) => Parsed.ContainsKey(key);
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value) => Parsed.TryGetValue(key, out value);
    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => Parsed.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
