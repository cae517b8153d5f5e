using System.Diagnostics;
using ZeroDrift.Artifacts.Registry;

namespace ZeroDrift.Supply.Tests;

[CollectionDefinition(Name)]
public sealed class SupplyRegistryCollection : ICollectionFixture<SupplyRegistryFixture>
{
    public const string Name = "supply-registry";
}

/// <summary>A real docker-registry on loopback (plain HTTP); images built here and pushed with skopeo, as a user would.</summary>
public sealed class SupplyRegistryFixture : IAsyncLifetime
{
    private RegistryServer? _registry;

    public RegistryServer Registry => _registry ?? throw new InvalidOperationException("not started");
    public string Host => Registry.Host;

    public RegistryClient Client() => new(new RegistryClientOptions { InsecureRegistries = [Host] });

    public async Task InitializeAsync() => _registry = await RegistryServer.StartAsync();

    public static TestImage Image(string marker) => new TestImage()
        .Layer(new TestLayer().File("etc/os-release", "ID=debian\nVERSION_ID=12\n").File("app/marker", marker));

    /// <summary>Pushes a fresh image as <c>repo:tag</c>; returns its manifest digest.</summary>
    public async Task<string> PushAsync(string repoTag, string marker)
    {
        using var layout = new TempDir();
        Image(marker).WriteOciLayout(layout.Path, "pushed");
        var digestFile = layout.Combine("digest.txt");
        await RunAsync("skopeo", "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false", "--digestfile", digestFile,
            $"oci:{layout.Path}:pushed", $"docker://{Host}/{repoTag}");
        return (await File.ReadAllTextAsync(digestFile)).Trim();
    }

    public static async Task<string> RunAsync(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0) throw new InvalidOperationException($"{tool} {string.Join(' ', args)} failed: {await stderr}");
        return await stdout;
    }

    public async Task DisposeAsync()
    {
        if (_registry is not null) await _registry.DisposeAsync();
    }
}
