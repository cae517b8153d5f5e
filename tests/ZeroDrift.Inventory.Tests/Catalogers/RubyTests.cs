using ZeroDrift.Inventory.Catalogers.Ruby;

namespace ZeroDrift.Inventory.Tests.Catalogers;

public sealed class RubyTests
{
    private const string GemfileLock = """
        GIT
          remote: https://github.com/rails/rails.git
          revision: 5f0c6c4b1a8e9b6c2b2f6d0c0a1b2c3d4e5f6a7b
          branch: main
          specs:
            activesupport (7.2.0.alpha)
              concurrent-ruby (~> 1.0, >= 1.0.2)
              i18n (>= 1.6, < 2)

        PATH
          remote: .
          specs:
            myapp (0.1.0)
              activesupport
              nokogiri (>= 1.15)

        GEM
          remote: https://rubygems.org/
          specs:
            concurrent-ruby (1.2.2)
            i18n (1.14.1)
              concurrent-ruby (~> 1.0)
            mini_portile2 (2.8.5)
            nokogiri (1.15.4)
              mini_portile2 (~> 2.8.2)
              racc (~> 1.4)
            nokogiri (1.15.4-x86_64-linux)
              racc (~> 1.4)
            nokogiri (1.15.4-arm64-darwin)
              racc (~> 1.4)
            racc (1.7.3)
            rake (13.1.0)

        PLATFORMS
          arm64-darwin
          ruby
          x86_64-linux

        DEPENDENCIES
          activesupport!
          myapp!
          nokogiri (~> 1.15)
          rake

        CHECKSUMS
          rake (13.1.0) sha256=1b138b2f4f3c8a9c3a8e5e8c0f0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d

        RUBY VERSION
           ruby 3.2.2p53

        BUNDLED WITH
           2.5.3
        """;

    [Fact]
    public void Gemfile_lock_sections_platforms_and_graph()
    {
        using var dir = new TempDir();
        dir.File("app/Gemfile.lock", GemfileLock);
        var result = LanguageScan.Run(dir.Path, new GemfileLockCataloger());
        Assert.Empty(result.Warnings);
        var packages = result.Packages;
        Assert.Equal([
            "pkg:gem/activesupport@7.2.0.alpha", "pkg:gem/concurrent-ruby@1.2.2", "pkg:gem/i18n@1.14.1", "pkg:gem/mini_portile2@2.8.5",
            "pkg:gem/myapp@0.1.0", "pkg:gem/nokogiri@1.15.4", "pkg:gem/nokogiri@1.15.4?platform=arm64-darwin",
            "pkg:gem/nokogiri@1.15.4?platform=x86_64-linux", "pkg:gem/racc@1.7.3", "pkg:gem/rake@13.1.0",
        ], packages.Select(p => p.Purl.ToString()).Order(StringComparer.Ordinal));
        var linux = packages.Single(p => p.Metadata.GetValueOrDefault("platform") == "x86_64-linux");
        Assert.Equal("1.15.4", linux.Version);
        Assert.Equal(["racc@1.7.3"], packages.DependencyNames(linux));
        Assert.Equal(["mini_portile2@2.8.5", "racc@1.7.3"], packages.DependencyNames(packages.Single(p => p.Name == "nokogiri" && !p.Metadata.ContainsKey("platform"))));
        var rails = packages.Single("activesupport");
        Assert.Equal("git", rails.Metadata["sourceType"]);
        Assert.Equal("5f0c6c4b1a8e9b6c2b2f6d0c0a1b2c3d4e5f6a7b", rails.Metadata["revision"]);
        Assert.Equal(["concurrent-ruby@1.2.2", "i18n@1.14.1"], packages.DependencyNames(rails));
        var myapp = packages.Single("myapp");
        Assert.Equal("path", myapp.Metadata["sourceType"]);
        Assert.Equal(4, myapp.DependsOn.Count); // activesupport and the three nokogiri variants
        Assert.Equal("https://rubygems.org/", packages.Single("rake").Metadata["remote"]);
    }

    [Fact]
    public void Gemfile_lock_malformed_spec_is_an_error()
    {
        using var dir = new TempDir();
        dir.File("Gemfile.lock", "GEM\n  remote: https://rubygems.org/\n  specs:\n    rake (13.1.0)\n    broken spec line (\n");
        dir.File("b/Gemfile.lock", "GEM\n  specs:\n    noversion\n");
        var result = LanguageScan.Run(dir.Path, new GemfileLockCataloger());
        Assert.Empty(result.Packages);
        Assert.Equal(2, result.Warnings.Count);
        Assert.Contains(result.Warnings, w => w.Contains("line 5", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.Contains("without a version", StringComparison.Ordinal));
    }

    // As RubyGems 3.4 writes specifications/NAME-VERSION.gemspec.
    private const string NokogiriGemspec = """
        # -*- encoding: utf-8 -*-
        # stub: nokogiri 1.15.4 x86_64-linux lib

        Gem::Specification.new do |s|
          s.name = "nokogiri".freeze
          s.version = "1.15.4"
          s.platform = "x86_64-linux".freeze

          s.required_rubygems_version = Gem::Requirement.new(">= 0".freeze) if s.respond_to? :required_rubygems_version=
          s.metadata = { "bug_tracker_uri" => "https://github.com/sparklemotion/nokogiri/issues" } if s.respond_to? :metadata=
          s.require_paths = ["lib".freeze]
          s.authors = ["Mike Dalessio".freeze, "Aaron Patterson".freeze]
          s.date = "2023-08-11"
          s.homepage = "https://nokogiri.org".freeze
          s.licenses = ["MIT".freeze]
          s.summary = "Nokogiri (\u92F8) makes it easy and painless to work with XML and HTML from Ruby.".freeze

          s.installed_by_version = "3.4.10" if s.respond_to? :installed_by_version

          s.specification_version = 4

          s.add_runtime_dependency(%q<racc>.freeze, ["~> 1.4"])
          s.add_development_dependency(%q<rake>.freeze, ["~> 13.0"])
        end
        """;

    [Fact]
    public void Installed_gemspecs_with_licences_platform_and_graph()
    {
        using var dir = new TempDir();
        const string specs = "var/lib/gems/3.1.0/specifications/";
        dir.File(specs + "nokogiri-1.15.4-x86_64-linux.gemspec", NokogiriGemspec);
        dir.File(specs + "racc-1.7.3.gemspec", "Gem::Specification.new do |s|\n  s.name = \"racc\".freeze\n  s.version = \"1.7.3\"\n  s.licenses = [\"Ruby\".freeze, \"BSD-2-Clause\".freeze]\nend\n");
        dir.File(specs + "rake-13.1.0.gemspec", "Gem::Specification.new do |spec|\n  spec.name = 'rake'\n  spec.version = Gem::Version.new('13.1.0')\n  spec.license = 'MIT'\nend\n");
        dir.File(specs + "default/json-2.6.1.gemspec", "Gem::Specification.new do |s|\n  s.name = %q{json}\n  s.version = \"2.6.1\"\n  s.add_dependency(%q<racc>.freeze, [\">= 0\"])\nend\n");
        dir.File(specs + "broken-1.0.gemspec", "Gem::Specification.new do |s|\n  s.name = name_from_elsewhere\nend\n");
        dir.File("var/lib/gems/3.1.0/gems/rake-13.1.0/rake.gemspec", "not a specifications directory");

        var result = LanguageScan.Run(dir.Path, new GemspecCataloger());
        var packages = result.Packages;
        Assert.Equal(["json@2.6.1", "nokogiri@1.15.4", "racc@1.7.3", "rake@13.1.0"], packages.Select(p => $"{p.Name}@{p.Version}").Order(StringComparer.Ordinal));
        Assert.Single(result.Warnings);
        Assert.Contains("broken-1.0.gemspec", result.Warnings[0], StringComparison.Ordinal);
        var nokogiri = packages.Single("nokogiri");
        Assert.Equal("pkg:gem/nokogiri@1.15.4?platform=x86_64-linux", nokogiri.Purl.ToString());
        Assert.Equal(["MIT"], nokogiri.Licenses);
        Assert.Equal(["racc@1.7.3"], packages.DependencyNames(nokogiri));
        Assert.Equal("https://nokogiri.org", nokogiri.Metadata["homepage"]);
        Assert.Equal(["Ruby", "BSD-2-Clause"], packages.Single("racc").Licenses);
        Assert.Equal(["MIT"], packages.Single("rake").Licenses);
        // Default gems and installed gems resolve against each other.
        Assert.Equal(["racc@1.7.3"], packages.DependencyNames(packages.Single("json")));
        Assert.Equal("true", packages.Single("json").Metadata["defaultGem"]);
    }

    private static string Ruby()
    {
        var ruby = ProcessRunner.Find("/usr/bin/ruby", "ruby");
        Assert.True(ruby is not null, "ruby is missing: apt-get install ruby");
        return ruby!;
    }

    /// <summary>Oracle: RubyGems itself loads every gemspec of Debian's ruby installation.</summary>
    [Theory]
    [InlineData("/usr/lib/ruby/gems/3.1.0")]
    [InlineData("/usr/share/rubygems-integration/all")]
    public void Installed_gemspecs_match_rubygems(string gemHome)
    {
        var ruby = Ruby();
        var specifications = Path.Combine(gemHome, "specifications");
        Assert.True(Directory.Exists(specifications), $"{specifications} is missing: apt-get install ruby");
        var (code, output, error) = ProcessRunner.Run(ruby, ["-rjson", "-e",
            "puts JSON.generate(Dir.glob(File.join(ARGV[0], '{,default/}*.gemspec')).map { |f| s = Gem::Specification.load(f); " +
            "[s.name, s.version.to_s, s.platform.to_s, s.licenses, s.runtime_dependencies.map(&:name)] })", specifications]);
        Assert.True(code == 0, "ruby: " + error);
        var expected = System.Text.Json.JsonSerializer.Deserialize<System.Text.Json.JsonElement[][]>(output)!;
        Assert.NotEmpty(expected);

        var result = LanguageScan.Run(gemHome, new GemspecCataloger());
        Assert.Empty(result.Warnings);
        var packages = result.Packages;
        Assert.Equal(expected.Select(e => $"{e[0].GetString()}@{e[1].GetString()}").Order(StringComparer.Ordinal),
            packages.Select(p => $"{p.Name}@{p.Version}").Order(StringComparer.Ordinal));
        var installed = packages.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var e in expected)
        {
            var package = packages.Single(e[0].GetString()!, e[1].GetString());
            Assert.Equal(e[3].EnumerateArray().Select(l => l.GetString()!), package.Licenses);
            var platform = e[2].GetString();
            Assert.Equal(platform == "ruby" ? null : platform, package.Metadata.GetValueOrDefault("platform"));
            Assert.Equal(e[4].EnumerateArray().Select(d => d.GetString()!).Where(installed.Contains).Distinct().Order(StringComparer.Ordinal),
                packages.DependencyNames(package).Select(d => d.Split('@')[0]));
        }
    }

    /// <summary>Oracle: Bundler's own lockfile parser reads the same lockfiles (one Bundler writes from the installed gems, and the fixture).</summary>
    [Fact]
    public void Gemfile_lock_matches_bundler_lockfile_parser()
    {
        var ruby = Ruby();
        using var dir = new TempDir();
        dir.File("written/Gemfile", "source \"https://rubygems.org\"\ngem \"debug\"\ngem \"rake\"\ngem \"test-unit\"\n");
        var env = new Dictionary<string, string> { ["HOME"] = dir.Path, ["BUNDLE_USER_HOME"] = dir.Combine("bundle") };
        var (lockCode, _, lockError) = ProcessRunner.Run(ruby, ["-e", "load Gem.bin_path('bundler', 'bundle')", "lock", "--local"], dir.Combine("written"), env);
        Assert.True(lockCode == 0, "bundle lock: " + lockError);
        dir.File("fixture/Gemfile.lock", GemfileLock);
        dir.File("fixture/Gemfile", ""); // Bundler resolves PATH sources against the Gemfile's directory

        foreach (var project in new[] { "written", "fixture" })
        {
            var (code, output, error) = ProcessRunner.Run(ruby, ["-rbundler", "-rjson", "-e",
                "p = Bundler::LockfileParser.new(File.read(ARGV[0])); puts JSON.generate(p.specs.map { |s| [s.name, s.version.to_s, s.platform.to_s, s.dependencies.map(&:name)] })",
                dir.Combine(project + "/Gemfile.lock")], dir.Combine(project), env);
            Assert.True(code == 0, "ruby: " + error);
            var expected = System.Text.Json.JsonSerializer.Deserialize<System.Text.Json.JsonElement[][]>(output)!;
            Assert.True(expected.Length >= 5, output);

            var result = LanguageScan.Run(dir.Combine(project), new GemfileLockCataloger());
            Assert.Empty(result.Warnings);
            var packages = result.Packages;
            static string Key(string name, string version, string? platform) => $"{name}@{version}/{platform ?? "ruby"}";
            Assert.Equal(expected.Select(e => Key(e[0].GetString()!, e[1].GetString()!, e[2].GetString())).Order(StringComparer.Ordinal),
                packages.Select(p => Key(p.Name, p.Version, p.Metadata.GetValueOrDefault("platform"))).Order(StringComparer.Ordinal));
            foreach (var e in expected)
            {
                var platform = e[2].GetString() == "ruby" ? null : e[2].GetString();
                var package = packages.Single(p => p.Name == e[0].GetString() && p.Metadata.GetValueOrDefault("platform") == platform);
                Assert.Equal(e[3].EnumerateArray().Select(d => d.GetString()!).Distinct().Order(StringComparer.Ordinal),
                    packages.DependencyNames(package).Select(d => d.Split('@')[0]).Distinct());
            }
        }
    }
}
