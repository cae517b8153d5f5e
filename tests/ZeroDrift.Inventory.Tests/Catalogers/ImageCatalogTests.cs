using System.IO.Compression;
using ZeroDrift.Artifacts.Targets;
using ZeroDrift.Core;

namespace ZeroDrift.Inventory.Tests.Catalogers;

/// <summary>
/// The apk, rpm and Java catalogers over real image archives, where files come out of layers as streams
/// (the rpm database is copied to a private file for SQLite, jars to a seekable buffer for ZipArchive).
/// </summary>
public sealed class ImageCatalogTests
{
    [Fact]
    public async Task An_alpine_image_with_a_war_lists_apk_and_maven_packages()
    {
        using var dir = new TempDir();
        var war = new MemoryStream();
        using (var zip = new ZipArchive(war, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var s = zip.CreateEntry("WEB-INF/lib/commons-lang3-3.14.0.jar").Open()) s.Write(JavaArchiveTests.CommonsLang3());
        }
        var image = new TestImage()
            .Layer(new TestLayer()
                .File("etc/os-release", "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.20.1\n")
                .File("lib/apk/db/installed", File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Apk", "installed"))))
            .Layer(new TestLayer().File("opt/shop/shop-2.1.0.war", war.ToArray()));
        var archive = image.WriteDockerArchive(dir.Combine("alpine.tar"));

        var inventory = await InventoryScanner.Default.ScanAsync(new TargetReference(TargetKind.DockerArchive, archive), new TargetOptions(), CancellationToken.None);
        Assert.Empty(inventory.Warnings);
        Assert.Equal(9, inventory.Packages.Count(p => p.Ecosystem == Ecosystem.Apk));
        Assert.Contains(inventory.Packages, p => p.Purl.ToString() == "pkg:apk/alpine/busybox@1.36.1-r29?arch=x86_64&distro=alpine-3.20.1");
        var lang = Assert.Single(inventory.Packages, p => p.Name == "commons-lang3");
        Assert.Equal("/opt/shop/shop-2.1.0.war", lang.Locations.Single().Path);
        Assert.NotNull(lang.Locations.Single().Layer);
        Assert.Equal("shop-2.1.0.war!/WEB-INF/lib/commons-lang3-3.14.0.jar", lang.Metadata["nestedPath"]);
        Assert.Contains(inventory.Packages, p => p.Purl.ToString() == "pkg:maven/shop/shop@2.1.0");
    }

    [Fact]
    public async Task A_rhel_image_lists_the_rpms_of_its_sqlite_database()
    {
        using var dir = new TempDir();
        var db = RpmTests.BuildDatabase(dir);
        var image = new TestImage()
            .Layer(new TestLayer()
                .File("etc/os-release", "NAME=\"Red Hat Enterprise Linux\"\nID=\"rhel\"\nVERSION_ID=\"9.4\"\n")
                .File("var/lib/rpm/rpmdb.sqlite", File.ReadAllBytes(Path.Combine(db, "rpmdb.sqlite"))));
        var archive = image.WriteOciArchive(dir.Combine("rhel.tar"));

        var inventory = await InventoryScanner.Default.ScanAsync(new TargetReference(TargetKind.OciArchive, archive), new TargetOptions(), CancellationToken.None);
        Assert.Empty(inventory.Warnings);
        Assert.Equal(["zd-alpha", "zd-beta", "zd-gamma"], inventory.Packages.Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Contains(inventory.Packages, p => p.Purl.ToString() == "pkg:rpm/rhel/zd-alpha@1.2.3-4.el9?arch=noarch&distro=rhel-9.4&epoch=2&upstream=zd-alpha-1.2.3-4.el9.src.rpm");
    }
}
