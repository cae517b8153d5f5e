using System.CommandLine;
using System.Runtime.InteropServices;
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
        root.Subcommands.Add(UpCommand.Create());
        root.Subcommands.Add(SbomCommand.Create());
        root.Subcommands.Add(DbCommand.Create());
        root.Subcommands.Add(ScanCommand.Create());
        root.Subcommands.Add(ServerCommand.Create());
        root.Subcommands.Add(VersionCommand.Create());
        root.Subcommands.Add(ProfileCommand.Create());
        root.Subcommands.Add(AgentCommand.Create());
        root.Subcommands.Add(RulesCommand.Create());
        root.Subcommands.Add(AuditCommand.Create());
        root.Subcommands.Add(KeyCommand.Create());
        root.Subcommands.Add(SignCommands.Sign());
        root.Subcommands.Add(SignCommands.Verify());
        root.Subcommands.Add(SignCommands.Attest());
        root.Subcommands.Add(SignCommands.VerifyAttestation());
        root.Subcommands.Add(VerifyBundleCommand.Create());
        root.Subcommands.Add(TrustCommand.Create());
        root.Subcommands.Add(PolicyCommand.Create());
        root.Subcommands.Add(AdmissionCommand.Create());
        root.Subcommands.Add(AssetsCommand.Create());
        root.Subcommands.Add(FixCommand.Create());
        root.Subcommands.Add(TestCommand.Create());
        root.Subcommands.Add(VexCommand.Create());
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
        // Ctrl-C and SIGTERM cancel the command, which removes its temporary files and exits 130; a second
        // signal while that is under way removes them and lets the process die at once.
        using var interrupted = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            if (interrupted.IsCancellationRequested)
            {
                Artifacts.Temp.PrivateTempDirectory.RemoveAll();
                return;
            }
            context.Cancel = true;
            interrupted.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        var configuration = new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
        return await parse.InvokeAsync(configuration, interrupted.Token).ConfigureAwait(false);
    }
}

public static class ExitCodes
{
    public const int Ok = 0;
    public const int Findings = 1;
    public const int Usage = 2;
    public const int Interrupted = 130;
}
