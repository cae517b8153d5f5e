using System.Diagnostics.CodeAnalysis;

namespace ZeroDrift.Vulnerabilities.Versions;

/// <summary>
/// A Maven version as <c>org.apache.maven.artifact.versioning.ComparableVersion</c> (maven-artifact 3.8.6) reads
/// it: a list of integer, string and sub-list items. <c>.</c> separates items, <c>-</c> and a digit/letter
/// transition open a sub-list, and trailing "null" items (0, "", ga, final, release, empty lists) are trimmed.
/// </summary>
public sealed class MavenVersion : IComparable<MavenVersion>
{
    private readonly ListItem items;

    private MavenVersion(string original, ListItem items)
    {
        Original = original;
        this.items = items;
    }

    public string Original { get; }

    public int CompareTo(MavenVersion? other) => other is null ? 1 : Math.Sign(items.CompareTo(other.items));

    /// <summary>The canonical form, as ComparableVersion.getCanonical() prints it.</summary>
    public override string ToString() => items.ToString();

    internal static MavenVersion Parse(string original)
    {
        var version = original.ToLowerInvariant();
        var list = new ListItem();
        var root = list;
        var stack = new Stack<ListItem>();
        stack.Push(list);
        var isDigit = false;
        var start = 0;
        for (var i = 0; i < version.Length; i++)
        {
            var c = version[i];
            if (c == '.')
            {
                list.Add(i == start ? IntItem.Zero : ParseItem(isDigit, version[start..i]));
                start = i + 1;
            }
            else if (c == '-')
            {
                list.Add(i == start ? IntItem.Zero : ParseItem(isDigit, version[start..i]));
                start = i + 1;
                var sub = new ListItem();
                list.Add(sub);
                list = sub;
                stack.Push(list);
            }
            else if (Chars.IsDigit(c))
            {
                if (!isDigit && i > start)
                {
                    // "1a1": the letters before a digit are a qualifier followed by a number; like a trailing
                    // qualifier, it opens a sub-list when the current one has items (".X" reads as "-X").
                    if (!list.IsNull)
                    {
                        var qualifierList = new ListItem();
                        list.Add(qualifierList);
                        list = qualifierList;
                        stack.Push(list);
                    }
                    list.Add(new StringItem(version[start..i], followedByDigit: true));
                    start = i;
                    var sub = new ListItem();
                    list.Add(sub);
                    list = sub;
                    stack.Push(list);
                }
                isDigit = true;
            }
            else
            {
                if (isDigit && i > start)
                {
                    list.Add(ParseItem(true, version[start..i]));
                    start = i;
                    var sub = new ListItem();
                    list.Add(sub);
                    list = sub;
                    stack.Push(list);
                }
                isDigit = false;
            }
        }
        if (version.Length > start)
        {
            // "1.0.0.X1 < 1.0.0-X2": a trailing ".qualifier" is read as "-qualifier".
            if (!isDigit && !list.IsNull)
            {
                var sub = new ListItem();
                list.Add(sub);
                list = sub;
                stack.Push(list);
            }
            list.Add(ParseItem(isDigit, version[start..]));
        }
        while (stack.Count > 0) stack.Pop().Normalize();
        return new MavenVersion(original, root);
    }

    private static Item ParseItem(bool isDigit, string text) => isDigit ? new IntItem(text) : new StringItem(text, followedByDigit: false);

    private abstract class Item
    {
        public abstract bool IsNull { get; }

        /// <summary>Compares with another item, or with "nothing" (the padding of a shorter list) when null.</summary>
        public abstract int CompareTo(Item? other);
    }

    private sealed class IntItem(string digits) : Item
    {
        public static readonly IntItem Zero = new("0");

        private readonly string value = Chars.CanonicalDigits(digits);

        public override bool IsNull => value == "0";

        public override int CompareTo(Item? other) => other switch
        {
            null => IsNull ? 0 : 1,
            IntItem i => Chars.CompareDigits(value, i.value),
            StringItem => 1,
            _ => 1, // a list
        };

        public override string ToString() => value;
    }

    private sealed class StringItem : Item
    {
        private static readonly string[] Qualifiers = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

        /// <summary>The rank of "" (a release): qualifiers before it are pre-releases.</summary>
        private const string ReleaseIndex = "5";

        private readonly string value;
        private readonly string comparable;

        public StringItem(string text, bool followedByDigit)
        {
            if (followedByDigit && text.Length == 1)
            {
                // "a1", "b2", "m3" are alpha-1, beta-2, milestone-3.
                text = text[0] switch { 'a' => "alpha", 'b' => "beta", 'm' => "milestone", _ => text };
            }
            value = text switch { "ga" or "final" or "release" => "", "cr" => "rc", _ => text };
            var index = Array.IndexOf(Qualifiers, value);
            // Unknown qualifiers rank after all known ones, among themselves in lexical order.
            comparable = index >= 0 ? index.ToString(System.Globalization.CultureInfo.InvariantCulture) : Qualifiers.Length + "-" + value;
        }

        public override bool IsNull => comparable == ReleaseIndex;

        public override int CompareTo(Item? other) => other switch
        {
            null => Chars.Ordinal(comparable, ReleaseIndex),
            IntItem => -1,
            StringItem s => Chars.Ordinal(comparable, s.comparable),
            _ => -1, // a list
        };

        public override string ToString() => value;
    }

    private sealed class ListItem : Item
    {
        private readonly List<Item> items = [];

        public void Add(Item item) => items.Add(item);

        public override bool IsNull => items.Count == 0;

        /// <summary>Drops trailing null items, looking through trailing sub-lists.</summary>
        public void Normalize()
        {
            for (var i = items.Count - 1; i >= 0; i--)
            {
                var last = items[i];
                if (last.IsNull) items.RemoveAt(i);
                else if (last is not ListItem) break;
            }
        }

        public override int CompareTo(Item? other)
        {
            switch (other)
            {
                case null:
                    // MNG-6964: the whole list against nothing, not just its first item.
                    foreach (var item in items)
                    {
                        var r = item.CompareTo(null);
                        if (r != 0) return r;
                    }
                    return 0;
                case IntItem:
                    return -1;
                case StringItem:
                    return 1;
                case ListItem list:
                    for (var i = 0; i < Math.Max(items.Count, list.items.Count); i++)
                    {
                        var l = i < items.Count ? items[i] : null;
                        var r = i < list.items.Count ? list.items[i] : null;
                        var result = l is null ? (r is null ? 0 : -r.CompareTo(null)) : l.CompareTo(r);
                        if (result != 0) return result;
                    }
                    return 0;
                default:
                    return 1;
            }
        }

        public override string ToString()
        {
            var sb = new System.Text.StringBuilder();
            foreach (var item in items)
            {
                if (sb.Length > 0) sb.Append(item is ListItem ? '-' : '.');
                sb.Append(item);
            }
            return sb.ToString();
        }
    }
}

/// <summary>
/// Maven: <c>ComparableVersion</c>'s ordering (https://maven.apache.org/pom.html#version-order-specification):
/// alpha &lt; beta &lt; milestone &lt; rc = cr &lt; snapshot &lt; "" = ga = final = release &lt; sp, then unknown
/// qualifiers lexically, then numbers. Every string is a Maven version, as in Maven itself.
/// </summary>
public sealed class MavenScheme : VersionScheme<MavenVersion>
{
    public override string Name => "Maven";

    protected override bool TryParseCore(string text, [MaybeNullWhen(false)] out MavenVersion version, [NotNullWhen(false)] out string? error)
    {
        version = MavenVersion.Parse(text);
        error = null;
        return true;
    }
}
