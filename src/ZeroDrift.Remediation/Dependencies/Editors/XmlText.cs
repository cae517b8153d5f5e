using System.Xml;
using System.Xml.Linq;

namespace ZeroDrift.Remediation.Dependencies.Editors;

/// <summary>
/// Reads a manifest as XML without DTDs or external entities (hostile files), keeping line information, and
/// maps an element or attribute back to the exact characters of its value in the original text.
/// </summary>
internal static class XmlText
{
    public static XDocument Load(string text)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = 64L << 20 };
        using var reader = XmlReader.Create(new StringReader(text), settings);
        return XDocument.Load(reader, LoadOptions.SetLineInfo);
    }

    /// <summary>The span of an attribute's value (without its quotes).</summary>
    public static (int Start, int Length)? ValueOf(TextEdits edits, XAttribute attribute)
    {
        var at = Offset(edits, attribute);
        if (at < 0) return null;
        var text = edits.Text;
        var eq = text.IndexOf('=', at);
        if (eq < 0) return null;
        var open = eq + 1;
        while (open < text.Length && char.IsWhiteSpace(text[open])) open++;
        if (open >= text.Length || text[open] is not ('"' or '\'')) return null;
        var close = text.IndexOf(text[open], open + 1);
        return close < 0 ? null : (open + 1, close - open - 1);
    }

    /// <summary>The span of an element's text content, when it is plain text (no markup inside).</summary>
    public static (int Start, int Length)? ValueOf(TextEdits edits, XElement element)
    {
        var at = Offset(edits, element);
        if (at < 0 || element.HasElements) return null;
        var text = edits.Text;
        var gt = text.IndexOf('>', at);
        if (gt < 0) return null;
        var lt = text.IndexOf('<', gt);
        if (lt < 0) return null;
        var raw = text[(gt + 1)..lt];
        var trimmed = raw.Trim();
        if (trimmed != element.Value.Trim()) return null;
        return (gt + 1 + raw.IndexOf(trimmed, StringComparison.Ordinal), trimmed.Length);
    }

    private static int Offset(TextEdits edits, IXmlLineInfo node) =>
        node.HasLineInfo() ? edits.LineStart(node.LineNumber) + node.LinePosition - 1 : -1;

    public static XElement? Child(XElement element, string localName) =>
        element.Elements().FirstOrDefault(e => e.Name.LocalName == localName);

    public static XAttribute? Attribute(XElement element, string localName) =>
        element.Attributes().FirstOrDefault(a => string.Equals(a.Name.LocalName, localName, StringComparison.OrdinalIgnoreCase));
}
