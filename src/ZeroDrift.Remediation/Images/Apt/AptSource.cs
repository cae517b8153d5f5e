namespace ZeroDrift.Remediation.Images.Apt;

/// <summary>One apt repository line: <c>deb URL SUITE COMPONENT...</c> (a flat repository, <c>SUITE</c> ending in '/', is not supported).</summary>
public sealed record AptSource(Uri BaseUri, string Suite, IReadOnlyList<string> Components)
{
    public override string ToString() => $"deb {BaseUri} {Suite} {string.Join(' ', Components)}";

    /// <summary>Parses <c>deb [options] URL SUITE COMPONENT...</c>; the leading <c>deb</c> may be left out.</summary>
    public static AptSource Parse(string line, string what)
    {
        var words = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).ToList();
        if (words.Count > 0 && words[0] == "deb") words.RemoveAt(0);
        // "[signed-by=... arch=...]" options: the keyring is chosen by --keyring or the image's trusted keys.
        if (words.Count > 0 && words[0].StartsWith('['))
        {
            var end = words.FindIndex(w => w.EndsWith(']'));
            if (end < 0) throw new RemediationException($"{what}: '[' without ']' in '{line}'");
            words.RemoveRange(0, end + 1);
        }
        if (words.Count < 3) throw new RemediationException($"{what}: expected 'deb URL SUITE COMPONENT...', got '{line}'");
        if (!Uri.TryCreate(words[0], UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new RemediationException($"{what}: '{words[0]}' is not an http or https URL");
        if (words[1].EndsWith('/')) throw new RemediationException($"{what}: flat repositories ('{words[1]}') are not supported");
        var baseUri = new Uri(uri.AbsoluteUri.EndsWith('/') ? uri.AbsoluteUri : uri.AbsoluteUri + "/");
        return new AptSource(baseUri, words[1], words.Skip(2).ToList());
    }

    /// <summary>The <c>deb</c> lines of an image's sources.list (one-line format) and of deb822 <c>.sources</c> files.</summary>
    public static List<AptSource> FromSourcesList(string text, string what, bool deb822)
    {
        var result = new List<AptSource>();
        if (!deb822)
        {
            foreach (var raw in text.Split('\n'))
            {
                var line = raw.Split('#')[0].Trim();
                if (line.StartsWith("deb ", StringComparison.Ordinal) || line.StartsWith("deb\t", StringComparison.Ordinal))
                    result.Add(Parse(line, what));
            }
            return result;
        }
        foreach (var p in ControlFile.Parse(text, what))
        {
            if (!(p["Types"] ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("deb")) continue;
            if (string.Equals(p["Enabled"], "no", StringComparison.OrdinalIgnoreCase)) continue;
            foreach (var uri in (p["URIs"] ?? "").Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries))
                foreach (var suite in (p["Suites"] ?? "").Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries))
                    result.Add(Parse($"deb {uri} {suite} {p["Components"]}", what));
        }
        return result;
    }
}
