namespace ZeroDrift.Vulnerabilities.Tests;

public class ProjectTests
{
    [Fact]
    public void The_library_names_its_database_schema()
    {
        Assert.Equal("zerodrift-osv", VulnerabilitiesInfo.SchemaName);
    }
}
