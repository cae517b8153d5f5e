using ZeroDrift.Inventory.Catalogers.Dpkg;
using ZeroDrift.Inventory.Catalogers.Python;

namespace ZeroDrift.Inventory.Tests;

public class OwnershipResolverTests
{
    [Fact]
    public void A_python_library_installed_by_a_deb_is_marked_as_owned_by_it()
    {
        using var dir = new TempDir();
        dir.File("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
        dir.File("var/lib/dpkg/status", "Package: python3-six\nStatus: install ok installed\nArchitecture: all\nSource: six\nVersion: 1.16.0-4\n");
        dir.File("var/lib/dpkg/info/python3-six.list",
            "/.\n/usr/lib/python3/dist-packages/six-1.16.0.dist-info\n/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA\n/usr/lib/python3/dist-packages/six.py\n");
        dir.File("usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n");
        dir.File("opt/venv/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n");

        var packages = CatalogerHarness.Scan(dir.Path, new DpkgCataloger(), new PythonInstalledCataloger()).Packages;
        var six = packages.Single(p => p.Name == "six");
        var deb = packages.Single(p => p.Name == "python3-six");
        Assert.Equal(deb.Purl.ToString(), six.OwnedBy);
        Assert.Null(packages.Single(p => p.Name == "requests").OwnedBy);
        Assert.Null(deb.OwnedBy);
    }
}
