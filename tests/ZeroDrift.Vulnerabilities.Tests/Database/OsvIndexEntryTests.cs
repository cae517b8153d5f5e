using System.Text;
using ZeroDrift.TestSupport;
using ZeroDrift.Vulnerabilities.Database;
using ZeroDrift.Vulnerabilities.Osv;

namespace ZeroDrift.Vulnerabilities.Tests.Database;

public sealed class OsvIndexEntryTests
{
    public static TheoryData<string> Exports() => new(Directory.GetDirectories(Path.Combine(RepoPaths.SharedData, "osv")).Select(Path.GetFileName)!);

    /// <summary>The index reader skips most of a record; what it keeps must be exactly what the full parser reads, and it
    /// must refuse what the full parser refuses.</summary>
    [Theory]
    [MemberData(nameof(Exports))]
    public void Agrees_with_the_full_parser_on_every_real_record(string ecosystem)
    {
        var compared = 0;
        foreach (var document in OsvSourceReader.Read(Path.Combine(RepoPaths.SharedData, "osv", ecosystem, "all.zip"), _ => { }))
        {
            OsvRecord full;
            try
            {
                full = OsvParser.Parse(document.Json, document.Name);
            }
            catch (OsvFormatException)
            {
                // Real exports hold a few malformed records (an ELA with "ranges" as an object): both readers refuse them.
                Assert.Throws<OsvFormatException>(() => OsvIndexEntry.Read(document.Json, document.Name));
                continue;
            }
            var entry = OsvIndexEntry.Read(document.Json, document.Name);
            Assert.Equal(full.Id, entry.Id);
            Assert.Equal(full.Modified, entry.Modified);
            Assert.Equal(full.Withdrawn is not null, entry.Withdrawn);
            Assert.Equal(full.Aliases, entry.Aliases);
            Assert.Equal(full.Affected.Where(a => a.Package is not null).Select(a => (a.Package!.Ecosystem, a.Package.Name)), entry.Packages);
            compared++;
        }
        Assert.True(compared > 1000, $"{ecosystem}: only {compared} records");
    }

    [Fact]
    public void Keeps_packages_whatever_the_property_order()
    {
        var entry = Read("""{"affected":[{"ranges":[{"events":[{"introduced":"0"}],"type":"ECOSYSTEM"}],"package":{"name":"Django","ecosystem":"PyPI"}}],"modified":"2024-01-02T03:04:05Z","id":"PYSEC-1","aliases":["CVE-1"]}""");
        Assert.Equal("PYSEC-1", entry.Id);
        Assert.Equal([("PyPI", "Django")], entry.Packages);
        Assert.Equal([("PyPI", "django")], entry.Keys);
        Assert.Equal(["CVE-1"], entry.Aliases);
    }

    [Theory]
    [InlineData("[1,2]", "not a JSON object")]
    [InlineData("""{"modified":"2024-01-01T00:00:00Z"}""", "no id")]
    [InlineData("""{"id":7,"modified":"2024-01-01T00:00:00Z"}""", "no id")]
    [InlineData("""{"id":"X-1","modified":"yesterday"}""", "X-1: no valid 'modified' time")]
    [InlineData("""{"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":{}}""", "'affected' is not a list")]
    [InlineData("""{"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":[3]}""", "an 'affected' entry is not an object")]
    [InlineData("""{"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":[{"ranges":[{"type":"CVS","events":[{"introduced":"0"}]}]}]}""", "unknown range type 'CVS'")]
    [InlineData("""{"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":[{"ranges":[{"type":"SEMVER","events":[]}]}]}""", "a range without events")]
    [InlineData("""{"id":"X-1","modified":"2024-01-01T00:00:00Z"} trailing""", "not a valid OSV record")]
    [InlineData("""{"id":"X-1","modified":"2024-01-01T00:00:00Z","details":"unterminated""", "not a valid OSV record")]
    public void Refuses_what_the_full_parser_refuses(string json, string reason)
    {
        var e = Assert.Throws<OsvFormatException>(() => Read(json));
        Assert.Contains(reason, e.Message);
        Assert.StartsWith("test.json: ", e.Message);
        Assert.Throws<OsvFormatException>(() => OsvParser.Parse(Encoding.UTF8.GetBytes(json), "test.json"));
    }

    [Fact]
    public void Refuses_nesting_deeper_than_a_record_has()
    {
        var deep = """{"id":"X-1","modified":"2024-01-01T00:00:00Z","database_specific":""" + new string('[', 100) + new string(']', 100) + "}";
        Assert.Throws<OsvFormatException>(() => Read(deep));
    }

    private static OsvIndexEntry Read(string json) => OsvIndexEntry.Read(Encoding.UTF8.GetBytes(json), "test.json");
}
