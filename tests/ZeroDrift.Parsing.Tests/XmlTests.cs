using System.Text;
using System.Xml.Linq;
using ZeroDrift.Core.Budgets;
using ZeroDrift.Parsing.Xml;

namespace ZeroDrift.Parsing.Tests;

public class XmlTests
{
    private static XDocument Load(string xml, ParseBudget? budget = null) =>
        SafeXml.Load(new MemoryStream(Encoding.UTF8.GetBytes(xml)), budget ?? ParseBudget.Default, "app.csproj", LoadOptions.SetLineInfo);

    [Fact]
    public void Deep_nesting_is_refused_as_it_is_read()
    {
        // 200,000 nested elements: building the tree would take time quadratic in the depth; the reader stops at 65.
        const int n = 200_000;
        var xml = "<Project>" + string.Concat(Enumerable.Repeat("<a>", n)) + string.Concat(Enumerable.Repeat("</a>", n)) + "</Project>";
        var e = Assert.Throws<BudgetExceededException>(() => Load(xml));
        Assert.Equal(BudgetLimit.Depth, e.Limit);
        Assert.Equal("app.csproj: nested deeper than 64 levels", e.Message);
    }

    [Fact]
    public void A_project_within_the_budget_loads_with_its_lines()
    {
        var document = Load("<Project>\n  <ItemGroup>\n    <PackageReference Include=\"A\" Version=\"1.0.0\" />\n  </ItemGroup>\n</Project>");
        var reference = document.Descendants("PackageReference").Single();
        Assert.Equal("A", reference.Attribute("Include")!.Value);
        Assert.Equal(3, ((System.Xml.IXmlLineInfo)reference).LineNumber);
    }

    [Fact]
    public void Elements_are_items_and_dtds_are_refused()
    {
        var many = "<r>" + string.Concat(Enumerable.Repeat("<e/>", 100)) + "</r>";
        Assert.Equal(BudgetLimit.Items, Assert.Throws<BudgetExceededException>(() => Load(many, new ParseBudget { MaxItems = 50 })).Limit);
        var laughs = "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]><Project>&b;</Project>";
        var e = Assert.Throws<FormatException>(() => Load(laughs));
        Assert.StartsWith("app.csproj: invalid XML: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("DTD", e.Message, StringComparison.Ordinal);
    }
}
