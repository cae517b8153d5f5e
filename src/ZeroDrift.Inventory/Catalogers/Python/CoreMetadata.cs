namespace ZeroDrift.Inventory.Catalogers.Python;

/// <summary>
/// Python core metadata (PKG-INFO, METADATA): RFC 822 style headers up to the first blank line, with
/// continuation lines indented; a header may repeat (Classifier, Requires-Dist). The body (description), which starts
/// at the first blank line or the first line that is not a header, is ignored.
/// </summary>
internal sealed class CoreMetadata
{
    private readonly Dictionary<string, List<string>> _headers = new(StringComparer.OrdinalIgnoreCase);

    public static CoreMetadata Parse(string text)
    {
        var metadata = new CoreMetadata();
        string? key = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0) break;
            if (line[0] is ' ' or '\t')
            {
                // Continuation of the previous header (multi-line License or Description).
                if (key is not null)
                {
                    var values = metadata._headers[key];
                    values[^1] += "\n" + line.Trim();
                }
                continue;
            }
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            // Like Python's email parser (which importlib.metadata uses), a line that is no header starts the body.
            if (colon <= 0) break;
            key = line[..colon].Trim();
            if (!metadata._headers.TryGetValue(key, out var list)) metadata._headers[key] = list = [];
            list.Add(line[(colon + 1)..].Trim());
        }
        return metadata;
    }

    public string? this[string key] => _headers.TryGetValue(key, out var v) && v.Count > 0 ? v[0] : null;

    public IReadOnlyList<string> All(string key) => _headers.TryGetValue(key, out var v) ? v : [];

    /// <summary>
    /// The licence as declared: License-Expression (PEP 639) first, then a short License field, then the
    /// "License ::" trove classifiers.
    /// </summary>
    public IReadOnlyList<string> Licenses()
    {
        if (this["License-Expression"] is { Length: > 0 } expression) return [expression];
        if (this["License"] is { Length: > 0 and <= 120 } license && !license.Contains('\n', StringComparison.Ordinal)
            && !license.Equals("UNKNOWN", StringComparison.OrdinalIgnoreCase))
            return [license];
        return All("Classifier")
            .Where(c => c.StartsWith("License ::", StringComparison.Ordinal))
            .Select(c => LicenseClassifiers.ToLicense(c))
            .Where(l => l is not null)
            .Select(l => l!)
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }
}

/// <summary>Trove licence classifiers → SPDX identifiers where the classifier names exactly one licence.</summary>
internal static class LicenseClassifiers
{
    private static readonly Dictionary<string, string> Spdx = new(StringComparer.Ordinal)
    {
        ["MIT License"] = "MIT",
        ["MIT No Attribution License (MIT-0)"] = "MIT-0",
        ["Apache Software License"] = "Apache-2.0",
        ["BSD License"] = "BSD-3-Clause",
        ["ISC License (ISCL)"] = "ISC",
        ["Mozilla Public License 2.0 (MPL 2.0)"] = "MPL-2.0",
        ["Python Software Foundation License"] = "PSF-2.0",
        ["The Unlicense (Unlicense)"] = "Unlicense",
        ["Zope Public License"] = "ZPL-2.1",
        ["GNU General Public License v2 (GPLv2)"] = "GPL-2.0-only",
        ["GNU General Public License v2 or later (GPLv2+)"] = "GPL-2.0-or-later",
        ["GNU General Public License v3 (GPLv3)"] = "GPL-3.0-only",
        ["GNU General Public License v3 or later (GPLv3+)"] = "GPL-3.0-or-later",
        ["GNU Lesser General Public License v2 (LGPLv2)"] = "LGPL-2.0-only",
        ["GNU Lesser General Public License v2 or later (LGPLv2+)"] = "LGPL-2.0-or-later",
        ["GNU Lesser General Public License v3 (LGPLv3)"] = "LGPL-3.0-only",
        ["GNU Lesser General Public License v3 or later (LGPLv3+)"] = "LGPL-3.0-or-later",
        ["GNU Affero General Public License v3"] = "AGPL-3.0-only",
        ["GNU Affero General Public License v3 or later (AGPLv3+)"] = "AGPL-3.0-or-later",
        ["Eclipse Public License 2.0 (EPL-2.0)"] = "EPL-2.0",
        ["Boost Software License 1.0 (BSL-1.0)"] = "BSL-1.0",
        ["Universal Permissive License (UPL)"] = "UPL-1.0",
    };

    /// <summary>"License :: OSI Approved :: MIT License" → "MIT"; another classifier gives its last part; "OSI Approved" alone names no licence.</summary>
    public static string? ToLicense(string classifier)
    {
        var parts = classifier.Split("::", StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2) return null;
        var last = parts[^1];
        if (Spdx.TryGetValue(last, out var id)) return id;
        return last == "OSI Approved" ? null : last;
    }
}
