using System.Xml;
using System.Xml.Linq;
using ZeroDrift.Core.Budgets;
using ZeroDrift.Parsing.Streams;

namespace ZeroDrift.Parsing.Xml;

/// <summary>
/// Loads XML from a target (project files, POMs, packages.config) within a <see cref="ParseBudget"/>: no DTD and no
/// resolver (so no external entities, no entity expansion), element nesting, element count, bytes and time bounded as
/// the document is read. Malformed XML is a <see cref="FormatException"/> naming the file and the line.
/// </summary>
public static class SafeXml
{
    public static XDocument Load(Stream stream, ParseBudget budget, string what, LoadOptions options = LoadOptions.None)
    {
        var meter = budget.Start(what, "XML elements");
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersFromEntities = 1024,
            MaxCharactersInDocument = budget.MaxBytes,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
        };
        try
        {
            using var reader = new MeteredXmlReader(XmlReader.Create(new MeteredStream(stream, meter), settings), meter);
            return XDocument.Load(reader, options);
        }
        catch (XmlException e)
        {
            throw new FormatException($"{what}: invalid XML: {e.Message.Split('\n')[0]}", e);
        }
    }
}
