namespace ZeroDrift.Server.Tests.Console;

/// <summary>
/// The browser test classes run one after another, not in parallel: each starts a server and a Chromium, and on two
/// shared cores their live-update waits would otherwise race each other's page loads.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ConsoleBrowserCollection
{
    public const string Name = "console-browser";
}
