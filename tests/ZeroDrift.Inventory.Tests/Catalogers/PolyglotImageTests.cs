using ZeroDrift.Artifacts.Targets;
using ZeroDrift.Inventory.Catalogers;

namespace ZeroDrift.Inventory.Tests.Catalogers;

/// <summary>
/// The Python, Go, Rust, Ruby and PHP catalogers through the registry and a real OCI image: the layer reader keeps only
/// the files they ask for (and their auxiliary files), and the sibling lookups (site-packages, specifications,
/// requirements includes) work on the squashed image tree.
/// </summary>
public sealed class PolyglotImageTests
{
    [Fact]
    public async Task Registry_catalogers_find_every_ecosystem_in_an_image()
    {
        const int exec = 0b111_101_101;
        var goBinary = ElfBuilder.Build([(".text", new byte[70_000]), (".go.buildinfo", GoTests.InlineBuildInfo())]);
        var rustBinary = ElfBuilder.Build([(".text", new byte[4096]), (".dep-v0", RustTests.Zlib(RustTests.AuditJson))]);
        var image = new TestImage()
            .Layer(new TestLayer()
                .File("usr/lib/python3/dist-packages/six-1.16.0.egg-info", "Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\nLicense: MIT\n")
                .File("usr/lib/python3/dist-packages/requests-2.28.1.dist-info/METADATA", "Metadata-Version: 2.1\nName: requests\nVersion: 2.28.1\nRequires-Dist: six\nRequires-Dist: idna ; extra == 'x'\n")
                .File("usr/lib/python3/dist-packages/requests-2.28.1.dist-info/RECORD", "requests/__init__.py,,\n")
                .File("usr/local/bin/tool", goBinary, exec)
                .File("usr/local/bin/rusty", rustBinary, exec)
                .File("usr/bin/script", "#!/bin/sh\necho hi\n" + new string('#', 100_000), exec))
            .Layer(new TestLayer()
                .File("srv/app/requirements.txt", "-r requirements/base.in\nflask==3.0.0\n")
                .File("srv/app/requirements/base.in", "click==8.1.7\n")
                .File("srv/app/go.mod", "module example.com/app\n\ngo 1.22\n\nrequire github.com/google/uuid v1.6.0\n")
                .File("srv/app/Cargo.lock", "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"itoa\"]\n\n[[package]]\nname = \"itoa\"\nversion = \"1.0.9\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n")
                .File("srv/app/Gemfile.lock", "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (3.0.8)\n\nPLATFORMS\n  ruby\n")
                .File("var/lib/gems/3.1.0/specifications/rack-3.0.8.gemspec", "Gem::Specification.new do |s|\n  s.name = \"rack\".freeze\n  s.version = \"3.0.8\"\n  s.licenses = [\"MIT\".freeze]\nend\n")
                .File("srv/app/composer.lock", "{\"packages\": [{\"name\": \"psr/log\", \"version\": \"3.0.0\", \"license\": [\"MIT\"]}], \"packages-dev\": []}")
                .File("srv/app/vendor/composer/installed.json", "{\"packages\": [{\"name\": \"psr/log\", \"version\": \"3.0.0\"}], \"dev-package-names\": []}")
                .File("srv/app/poetry.lock", "[[package]]\nname = \"attrs\"\nversion = \"23.1.0\"\ncategory = \"main\"\noptional = false\npython-versions = \">=3.7\"\n")
                .File("srv/app/uv.lock", "version = 1\n\n[[package]]\nname = \"anyio\"\nversion = \"4.4.0\"\nsource = { registry = \"https://pypi.example.test/simple\" }\n")
                .File("srv/app/Pipfile.lock", "{\"default\": {\"idna\": {\"version\": \"==3.7\"}}, \"develop\": {}}"));
        using var dir = new TempDir();
        var layout = image.WriteOciLayout(dir.Combine("layout"));

        var inventory = await InventoryScanner.Default.ScanAsync(new TargetReference(TargetKind.OciDirectory, layout), new TargetOptions(), CancellationToken.None);
        Assert.Empty(inventory.Warnings);
        string[] Found(string cataloger) => inventory.Packages.Where(p => p.FoundBy == cataloger).Select(p => $"{p.Name}@{p.Version}").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["requests@2.28.1", "six@1.16.0"], Found("python-installed"));
        Assert.Equal(["click@8.1.7", "flask@3.0.0"], Found("python-requirements"));
        Assert.Equal(["attrs@23.1.0"], Found("python-poetry-lock"));
        Assert.Equal(["idna@3.7"], Found("python-pipfile-lock"));
        Assert.Equal(["anyio@4.4.0"], Found("python-uv-lock"));
        Assert.Equal(["github.com/google/uuid@v1.6.0"], Found("go-mod"));
        Assert.Equal(["example.com/old@v1.0.0", "golang.org/x/text@v0.3.7", "stdlib@v1.22.1"], Found("go-binary"));
        Assert.Equal(["app@0.1.0", "itoa@1.0.9"], Found("rust-cargo-lock")); // no Cargo.toml beside it: the root crate is a path crate too (docs/inventory.md)
        Assert.Equal(["cc@1.0.83", "myapp@0.3.0", "serde@1.0.193", "serde_derive@1.0.193"], Found("rust-cargo-auditable"));
        Assert.Equal(["rack@3.0.8"], Found("ruby-gemfile-lock"));
        Assert.Equal(["rack@3.0.8"], Found("ruby-gemspec"));
        Assert.Equal(["psr/log@3.0.0"], Found("php-composer-lock"));
        Assert.Equal(["psr/log@3.0.0"], Found("php-composer-installed"));

        var requests = inventory.Packages.Single(p => p.Name == "requests");
        Assert.Equal([inventory.Packages.Single(p => p.Name == "six").Id], requests.DependsOn);
        Assert.NotNull(requests.Locations[0].Layer);
        Assert.All(inventory.Packages, p => Assert.Equal(p.Id, Core.PackageId.For(p.Purl, p.Locations[0].Path)));
        Assert.Equal(inventory.Packages.Count, inventory.Packages.Select(p => p.Id).Distinct().Count());
        Assert.Contains(CatalogerRegistry.All, c => c.Name == "php-composer-installed");
    }
}
