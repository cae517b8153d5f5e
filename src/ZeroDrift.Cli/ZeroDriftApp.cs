using System.CommandLine;
using ZeroDrift.Cli.Commands;

namespace ZeroDrift.Cli;

/// <summary>The <c>zerodrift</c> command: composes the libraries, owns exit codes and error lines.</summary>
public static class ZeroDriftApp
{
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("ZeroDrift: zero trust, zero friction, zero loss for cloud-native workloads.");
        root.Options.Add(GlobalOptions.Debug);
        root.Options.Add(GlobalOptions.Quiet);
        root.Subcommands.Add(SbomCommand.Create());
        root.Subcommands.Add(VersionCommand.Create());
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var root = BuildRoot();
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
                Console.Error.WriteLine($"zerodrift: {error.Message}");
            Console.Error.WriteLine("Run 'zerodrift --help' for usage.");
            return ExitCodes.Usage;
        }
        return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
    }
}

public static class ExitCodes
{
    public const int Ok = 0;
    public const int Findings = 1;
    public const int Usage = 2;
    public const int Interrupted = 130;
}
