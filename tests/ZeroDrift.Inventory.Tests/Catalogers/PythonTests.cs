using System.Diagnostics;
using System.Text.Json;
using ZeroDrift.Core;
using ZeroDrift.Inventory.Catalogers.Python;

namespace ZeroDrift.Inventory.Tests.Catalogers;

public sealed class PythonTests
{
    private const string RequestsMetadata = """
        Metadata-Version: 2.1
        Name: requests
        Version: 2.31.0
        Summary: Python HTTP for Humans.
        Home-page: https://requests.readthedocs.io
        Author: Kenneth Reitz
        License: Apache 2.0
        Classifier: License :: OSI Approved :: Apache Software License
        Requires-Python: >=3.7
        Requires-Dist: charset-normalizer (<4,>=2)
        Requires-Dist: idna (<4,>=2.5)
        Requires-Dist: urllib3 (<3,>=1.21.1)
        Requires-Dist: certifi (>=2017.4.17)
        Requires-Dist: PySocks (!=1.5.7,>=1.5.6) ; extra == 'socks'
        Requires-Dist: chardet (<6,>=3.0.2) ; extra == "use_chardet_on_py3"

        # Requests
        Requests is a simple, yet elegant, HTTP library.
        """;

    [Fact]
    public void Installed_dist_info_egg_info_and_egg_file_with_graph_and_licences()
    {
        using var dir = new TempDir();
        const string site = "usr/lib/python3/dist-packages/";
        dir.File(site + "requests-2.31.0.dist-info/METADATA", RequestsMetadata);
        dir.File(site + "requests-2.31.0.dist-info/RECORD", "requests/__init__.py,sha256=x,4000\n");
        dir.File(site + "idna-3.4.dist-info/METADATA", "Metadata-Version: 2.1\nName: idna\nVersion: 3.4\nClassifier: License :: OSI Approved :: BSD License\n");
        dir.File(site + "charset_normalizer-3.2.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: charset-normalizer\nVersion: 3.2.0\nLicense-Expression: MIT\nLicense: MIT License\n");
        dir.File(site + "urllib3.egg-info/PKG-INFO", "Metadata-Version: 1.2\nName: urllib3\nVersion: 1.26.12\nLicense: MIT\n");
        dir.File(site + "urllib3.egg-info/requires.txt", "\n[brotli]\nbrotli>=1.0.9\n\n[socks]\nPySocks!=1.5.7,<2.0,>=1.5.6\n");
        dir.File(site + "certifi-2022.9.24.egg-info", "Metadata-Version: 2.1\nName: certifi\nVersion: 2022.9.24\nLicense: MPL-2.0\n");
        dir.File(site + "PySocks-1.7.1.dist-info/METADATA", "Metadata-Version: 2.1\nName: PySocks\nVersion: 1.7.1\n");
        dir.File(site + "Flask_Login-0.6.2.dist-info/METADATA", "Metadata-Version: 2.1\nName: Flask-Login\nVersion: 0.6.2\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: MIT License\nClassifier: License :: OSI Approved\n");
        // Another site-packages: never a dependency target of the first.
        dir.File("opt/venv/lib/python3.11/site-packages/chardet-5.1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: chardet\nVersion: 5.1.0\nRequires-Dist: idna\n");

        var result = LanguageScan.Run(dir.Path, new PythonInstalledCataloger());
        Assert.Empty(result.Warnings);
        var packages = result.Packages;
        Assert.Equal(8, packages.Count);

        var requests = packages.Single("requests");
        Assert.Equal("pkg:pypi/requests@2.31.0", requests.Purl.ToString());
        Assert.Equal(["Apache 2.0"], requests.Licenses);
        Assert.Equal("python-installed", requests.FoundBy);
        Assert.Equal("/usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA", requests.Locations[0].Path);
        Assert.Equal(["certifi@2022.9.24", "charset-normalizer@3.2.0", "idna@3.4", "urllib3@1.26.12"], packages.DependencyNames(requests));
        Assert.Equal(">=3.7", requests.Metadata["requiresPython"]);

        Assert.Equal(["MIT"], packages.Single("charset-normalizer").Licenses);
        Assert.Equal("pkg:pypi/charset-normalizer@3.2.0", packages.Single("charset-normalizer").Purl.ToString());
        Assert.Equal(["BSD-3-Clause"], packages.Single("idna").Licenses);
        Assert.Equal(["MIT"], packages.Single("Flask-Login").Licenses);
        Assert.Equal("pkg:pypi/flask-login@0.6.2", packages.Single("Flask-Login").Purl.ToString());
        Assert.Empty(packages.Single("urllib3").DependsOn); // requires.txt has only extras
        Assert.Equal("/usr/lib/python3/dist-packages/certifi-2022.9.24.egg-info", packages.Single("certifi").Locations[0].Path);
        Assert.Empty(packages.Single("chardet").DependsOn);
    }

    [Fact]
    public void Installed_metadata_without_name_is_an_error()
    {
        using var dir = new TempDir();
        dir.File("site/broken-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nVersion: 1.0\n");
        dir.File("site/garbage-1.0.dist-info/METADATA", "this is not a header\n");
        var result = LanguageScan.Run(dir.Path, new PythonInstalledCataloger());
        Assert.Empty(result.Packages);
        Assert.Equal(2, result.Warnings.Count);
        Assert.All(result.Warnings, w => Assert.Contains("without Name or Version", w, StringComparison.Ordinal));
    }

    /// <summary>Oracle: Debian's own python3 lists the distributions installed in /usr/lib/python3/dist-packages.</summary>
    [Fact]
    public void Installed_packages_match_importlib_metadata_for_debian_dist_packages()
    {
        const string site = "/usr/lib/python3/dist-packages";
        const string python = "/usr/bin/python3";
        Assert.True(File.Exists(python), $"{python} is missing: install Debian's python3 (apt-get install python3) to run this oracle test");
        Assert.True(Directory.Exists(site), $"{site} is missing");
        // Each distribution's name, version and run-time requirements (those whose marker names no extra; importlib
        // turns an egg's requires.txt "[extra]" sections into such markers).
        const string script = """
            import importlib.metadata as m, json, re, sys
            from pip._vendor.packaging.requirements import Requirement
            out = []
            for d in m.distributions(path=[sys.argv[1]]):
                deps = []
                for r in d.requires or []:
                    req = Requirement(r)
                    if req.marker is not None and 'extra' in str(req.marker): continue
                    deps.append(re.sub(r'[-_.]+', '-', req.name).lower())
                out.append([d.metadata['Name'], d.version, sorted(set(deps))])
            print(json.dumps(out))
            """;
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-I");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(site);
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, process.StandardError.ReadToEnd());
        var distributions = JsonSerializer.Deserialize<JsonElement[][]>(output)!;
        var expected = distributions.Select(d => $"{PythonNames.Normalize(d[0].GetString()!)}@{d[1].GetString()}").Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(expected);

        var result = LanguageScan.Run(site, new PythonInstalledCataloger());
        Assert.Empty(result.Warnings);
        var actual = result.Packages.Select(p => $"{PythonNames.Normalize(p.Name)}@{p.Version}").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, actual);

        // The graph: requirements of each distribution that are installed in the same directory.
        var installed = distributions.Select(d => PythonNames.Normalize(d[0].GetString()!)).ToHashSet(StringComparer.Ordinal);
        var expectedEdges = distributions.SelectMany(d => d[2].EnumerateArray().Select(r => r.GetString()!).Where(installed.Contains)
                .Select(r => $"{PythonNames.Normalize(d[0].GetString()!)}@{d[1].GetString()} -> {r}"))
            .Distinct().Order(StringComparer.Ordinal).ToList();
        var edges = result.Packages.SelectMany(p => result.Packages.DependencyNames(p).Select(d => $"{PythonNames.Normalize(p.Name)}@{p.Version} -> {PythonNames.Normalize(d.Split('@')[0])}"))
            .Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(expectedEdges);
        Assert.Equal(expectedEdges, edges);
    }

    [Fact]
    public void Requirements_exact_pins_with_extras_markers_hashes_continuations_and_includes()
    {
        using var dir = new TempDir();
        dir.File("app/requirements.txt", """
            # production pins
            -r base.txt
            --index-url https://pypi.example.test/simple
            requests[security,socks]==2.31.0 ; python_version >= "3.7" \
                --hash=sha256:58cd2187c01e70e6e26505bca751777aa9f2ee0b7f4300988b709f44e013003f \
                --hash=sha256:942c5a758f98d790eaed1a29cb6eefc7ffb0d1cf7af05c3d2791656dbd6ad1e1
            Django == 4.2.7  # inline comment
            flask>=2.0
            numpy~=1.26
            pandas==2.*
            -e git+https://github.com/org/proj.git#egg=proj
            https://example.com/pkg-1.0.tar.gz
            ./local/path
            zope.interface===6.0
            """);
        dir.File("app/base.txt", "six==1.16.0\n-r requirements.txt\n-r nested/more.txt\n");
        dir.File("app/nested/more.txt", "PyYAML==6.0.1\n");

        var result = LanguageScan.Run(dir.Path, new RequirementsTxtCataloger());
        Assert.Empty(result.Warnings);
        var names = result.Packages.Select(p => p.Purl.ToString()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal([
            "pkg:pypi/django@4.2.7", "pkg:pypi/pyyaml@6.0.1", "pkg:pypi/requests@2.31.0", "pkg:pypi/six@1.16.0", "pkg:pypi/zope.interface@6.0",
        ], names);
        var requests = result.Packages.Single("requests");
        Assert.Equal("security,socks", requests.Metadata["extras"]);
        Assert.Equal("python_version >= \"3.7\"", requests.Metadata["markers"]);
        Assert.Equal(2, requests.Metadata["hashes"].Split(' ').Length);
        var six = result.Packages.Single("six");
        Assert.Equal(["/app/requirements.txt", "/app/base.txt"], six.Locations.Select(l => l.Path));
        Assert.Equal("/app/nested/more.txt", result.Packages.Single("PyYAML").Locations[1].Path);
    }

    [Fact]
    public void Requirements_options_end_the_requirement_wherever_they_start()
    {
        using var dir = new TempDir();
        dir.File("requirements.txt", """
            short-config==1.0 -C editable_mode=compat
            after-options==2.0 --hash=sha256:00ff a_stray_word
            name--hash==3.0
            hashed==4.0 --hash sha256:00ff --hash=sha256:11ee
            before-options==5.0 a_stray_word --hash=sha256:00ff
            """);
        var result = LanguageScan.Run(dir.Path, new RequirementsTxtCataloger());
        // pip reads the requirement up to the first word starting with "-"; a stray word before it makes the line
        // invalid (pip refuses it), one after it is ignored.
        Assert.Equal(["after-options@2.0", "hashed@4.0", "name--hash@3.0", "short-config@1.0"],
            result.Packages.Select(p => $"{p.Name}@{p.Version}").Order(StringComparer.Ordinal));
        Assert.Equal("sha256:00ff sha256:11ee", result.Packages.Single("hashed").Metadata["hashes"]);
        Assert.False(result.Packages.Single("name--hash").Metadata.ContainsKey("hashes"));
    }

    [Fact]
    public void Requirements_missing_include_warns_and_deep_includes_are_bounded()
    {
        using var dir = new TempDir();
        dir.File("requirements.txt", "-r missing.txt\n-r l0.txt\nattrs==23.1.0\n");
        for (var i = 0; i < 12; i++) dir.File($"l{i}.txt", $"-r l{i + 1}.txt\npkg{i}==1.0\n");
        var result = LanguageScan.Run(dir.Path, new RequirementsTxtCataloger());
        Assert.Contains(result.Warnings, w => w.Contains("missing.txt not found", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.Contains("nested deeper than", StringComparison.Ordinal));
        Assert.Contains(result.Packages, p => p.Name == "attrs");
        Assert.Contains(result.Packages, p => p.Name == "pkg0");
        Assert.DoesNotContain(result.Packages, p => p.Name == "pkg11");
    }

    [Fact]
    public void Poetry_lock_with_categories_groups_and_graph()
    {
        using var dir = new TempDir();
        dir.File("poetry.lock", """
            # This file is automatically @generated by Poetry 1.4.2 and should not be changed by hand.

            [[package]]
            name = "certifi"
            version = "2023.7.22"
            description = "Python package for providing Mozilla's CA Bundle."
            category = "main"
            optional = false
            python-versions = ">=3.6"
            files = [
                {file = "certifi-2023.7.22-py3-none-any.whl", hash = "sha256:92d6037539857d8206b8f6ae472e8b77db8058fec5937a1ef3f54304089edbb9"},
            ]

            [[package]]
            name = "requests"
            version = "2.31.0"
            description = "Python HTTP for Humans."
            category = "main"
            optional = false
            python-versions = ">=3.7"
            files = []

            [package.dependencies]
            certifi = ">=2017.4.17"
            charset-normalizer = ">=2,<4"
            PySocks = {version = ">=1.5.6,!=1.5.7", optional = true, markers = "extra == \"socks\""}

            [package.extras]
            socks = ["PySocks (>=1.5.6,!=1.5.7)"]

            [[package]]
            name = "charset_normalizer"
            version = "3.2.0"
            category = "main"
            optional = false
            python-versions = ">=3.7"
            files = []

            [[package]]
            name = "pytest"
            version = "7.4.0"
            category = "dev"
            optional = false
            python-versions = ">=3.7"
            files = []

            [package.dependencies]
            iniconfig = "*"

            [[package]]
            name = "iniconfig"
            version = "2.0.0"
            category = "dev"
            optional = false
            python-versions = ">=3.7"
            files = []

            [[package]]
            name = "mylib"
            version = "0.3.0"
            groups = ["main", "dev"]
            optional = false
            python-versions = "*"
            files = []

            [package.source]
            type = "git"
            url = "https://github.com/org/mylib.git"
            reference = "main"
            resolved_reference = "0123456789abcdef"

            [[package]]
            name = "ruff"
            version = "0.1.0"
            groups = ["lint"]
            optional = false
            python-versions = "*"
            files = []

            [metadata]
            lock-version = "2.0"
            python-versions = "^3.11"
            content-hash = "abc"
            """);
        var result = LanguageScan.Run(dir.Path, new PoetryLockCataloger());
        Assert.Empty(result.Warnings);
        var packages = result.Packages;
        Assert.Equal(7, packages.Count);
        var requests = packages.Single("requests");
        Assert.Equal(["certifi@2023.7.22", "charset_normalizer@3.2.0"], packages.DependencyNames(requests));
        Assert.False(requests.Dev);
        Assert.True(packages.Single("pytest").Dev);
        Assert.Equal(["iniconfig@2.0.0"], packages.DependencyNames(packages.Single("pytest")));
        Assert.False(packages.Single("mylib").Dev);
        Assert.Equal("git", packages.Single("mylib").Metadata["sourceType"]);
        Assert.True(packages.Single("ruff").Dev);
        Assert.Equal("pkg:pypi/charset-normalizer@3.2.0", packages.Single("charset_normalizer").Purl.ToString());
    }

    [Fact]
    public void Poetry_lock_malformed_toml_is_an_error()
    {
        using var dir = new TempDir();
        dir.File("poetry.lock", "[[package]]\nname = \"x\nversion = 1\n");
        var result = LanguageScan.Run(dir.Path, new PoetryLockCataloger());
        Assert.Empty(result.Packages);
        Assert.Single(result.Warnings);
        Assert.Contains("invalid TOML", result.Warnings[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Pipfile_lock_default_and_develop()
    {
        using var dir = new TempDir();
        dir.File("Pipfile.lock", """
            {
                "_meta": {"hash": {"sha256": "abc"}, "pipfile-spec": 6, "requires": {"python_version": "3.11"},
                          "sources": [{"name": "pypi", "url": "https://pypi.example.test/simple", "verify_ssl": true}]},
                "default": {
                    "requests": {"hashes": ["sha256:58cd", "sha256:942c"], "index": "pypi", "markers": "python_version >= '3.7'", "version": "==2.31.0"},
                    "urllib3": {"hashes": ["sha256:1"], "version": "==2.0.4"},
                    "mylib": {"editable": true, "git": "https://github.com/org/mylib.git", "ref": "0123"}
                },
                "develop": {
                    "pytest": {"hashes": [], "version": "==7.4.0"},
                    "urllib3": {"hashes": ["sha256:1"], "version": "==2.0.4"}
                }
            }
            """);
        var result = LanguageScan.Run(dir.Path, new PipfileLockCataloger());
        Assert.Empty(result.Warnings);
        Assert.Equal(3, result.Packages.Count);
        Assert.False(result.Packages.Single("requests").Dev);
        Assert.Equal("2.31.0", result.Packages.Single("requests").Version);
        Assert.Equal("pypi", result.Packages.Single("requests").Metadata["index"]);
        Assert.False(result.Packages.Single("urllib3").Dev);
        Assert.True(result.Packages.Single("pytest").Dev);
    }

    [Fact]
    public void Pipfile_lock_too_deep_is_an_error()
    {
        using var dir = new TempDir();
        dir.File("Pipfile.lock", new string('[', 200) + new string(']', 200));
        var result = LanguageScan.Run(dir.Path, new PipfileLockCataloger());
        Assert.Empty(result.Packages);
        Assert.Single(result.Warnings);
    }

    [Fact]
    public void Uv_lock_skips_project_and_splits_dev()
    {
        using var dir = new TempDir();
        dir.File("uv.lock", """
            version = 1
            revision = 2
            requires-python = ">=3.12"

            [[package]]
            name = "anyio"
            version = "4.4.0"
            source = { registry = "https://pypi.example.test/simple" }
            dependencies = [
                { name = "idna" },
                { name = "sniffio" },
            ]
            sdist = { url = "https://files.example.test/anyio-4.4.0.tar.gz", hash = "sha256:5aad", size = 163930 }
            wheels = [
                { url = "https://files.example.test/anyio-4.4.0-py3-none-any.whl", hash = "sha256:c1b2", size = 86780 },
            ]

            [[package]]
            name = "idna"
            version = "3.7"
            source = { registry = "https://pypi.example.test/simple" }

            [[package]]
            name = "sniffio"
            version = "1.3.1"
            source = { registry = "https://pypi.example.test/simple" }

            [[package]]
            name = "myapp"
            version = "0.1.0"
            source = { editable = "." }
            dependencies = [
                { name = "anyio" },
            ]

            [package.optional-dependencies]
            socks = [
                { name = "pysocks" },
            ]

            [package.dev-dependencies]
            dev = [
                { name = "pytest" },
                { name = "idna" },
            ]

            [[package]]
            name = "pysocks"
            version = "1.7.1"
            source = { registry = "https://pypi.example.test/simple" }

            [[package]]
            name = "pytest"
            version = "8.2.0"
            source = { registry = "https://pypi.example.test/simple" }
            dependencies = [
                { name = "iniconfig" },
            ]

            [[package]]
            name = "iniconfig"
            version = "2.0.0"
            source = { git = "https://github.com/pytest-dev/iniconfig?rev=v2.0.0#abc" }
            """);
        var result = LanguageScan.Run(dir.Path, new UvLockCataloger());
        Assert.Empty(result.Warnings);
        var packages = result.Packages;
        Assert.Equal(["anyio", "idna", "iniconfig", "pysocks", "pytest", "sniffio"], packages.Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["idna@3.7", "sniffio@1.3.1"], packages.DependencyNames(packages.Single("anyio")));
        Assert.False(packages.Single("idna").Dev); // run-time through anyio, even though also a dev root
        Assert.False(packages.Single("pysocks").Dev);
        Assert.True(packages.Single("pytest").Dev);
        Assert.True(packages.Single("iniconfig").Dev);
        Assert.Equal("git", packages.Single("iniconfig").Metadata["sourceType"]);
    }

    /// <summary>Oracle: pip's own requirements parser (Debian's pip, offline) on the same files, reduced to exact pins.</summary>
    [Fact]
    public void Requirements_match_pips_parser()
    {
        const string python = "/usr/bin/python3";
        Assert.True(File.Exists(python), $"{python} is missing: apt-get install python3 python3-pip");
        using var dir = new TempDir();
        dir.File("requirements.txt", """
            -r base.txt
            --index-url https://pypi.example.test/simple
            requests[security,socks]==2.31.0 ; python_version >= "3.7" \
                --hash=sha256:58cd2187c01e70e6e26505bca751777aa9f2ee0b7f4300988b709f44e013003f \
                --hash=sha256:942c5a758f98d790eaed1a29cb6eefc7ffb0d1cf7af05c3d2791656dbd6ad1e1
            Django == 4.2.7  # inline comment
            # a comment ending in a backslash does not continue \
            flask==3.0.0
            numpy~=1.26
            pandas==2.*
            -e git+https://github.com/org/proj.git#egg=proj
            zope.interface===6.0
            attrs \
              ==23.1.0
            alpha==1.0 --hash=sha256:0123abcd --global-option=x
            gamma==3.0 --hash=sha256:0123abcd trailing_word_after_options
            epsilon--hash==5.0
            zeta==6.0 ; python_version >= "3" --hash=sha256:0123abcd
            eta==7.0 a_word_before_options --hash=sha256:0123abcd
            """);
        dir.File("base.txt", "six==1.16.0\n-r nested/more.txt\n");
        dir.File("nested/more.txt", "PyYAML==6.0.1 ; sys_platform == 'linux'\n");
        const string script = """
            import json, sys
            from pip._internal.req.req_file import parse_requirements
            from pip._internal.network.session import PipSession
            from pip._vendor.packaging.requirements import Requirement
            out = []
            for r in parse_requirements(sys.argv[1], session=PipSession()):
                if r.is_editable: continue
                try: req = Requirement(r.requirement)
                except Exception: continue
                specs = list(req.specifier)
                if len(specs) == 1 and specs[0].operator in ('==', '===') and '*' not in specs[0].version:
                    out.append(req.name + '@' + specs[0].version)
            print(json.dumps(out))
            """;
        var (code, output, error) = ProcessRunner.Run(python, ["-I", "-c", script, dir.Combine("requirements.txt")]);
        Assert.True(code == 0, "pip's parser failed (apt-get install python3-pip): " + error);
        var expected = JsonSerializer.Deserialize<string[]>(output)!.Order(StringComparer.Ordinal).ToList();
        Assert.Equal(11, expected.Count);

        var result = LanguageScan.Run(dir.Path, new RequirementsTxtCataloger());
        Assert.Empty(result.Warnings);
        Assert.Equal(expected, result.Packages.Select(p => $"{p.Name}@{p.Version}").Order(StringComparer.Ordinal));
    }
}
