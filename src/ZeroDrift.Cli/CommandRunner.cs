using System.CommandLine;
using ZeroDrift.Artifacts;

namespace ZeroDrift.Cli;

/// <summary>
/// Runs a command body and maps failures to the contract: a user's mistake or a bad input is one line on stderr
/// and exit 2 (stack trace only with --debug); Ctrl-C removes temporary files and exits 130.
/// </summary>
public static class CommandRunner
{
    public static async Task<int> RunAsync(ParseResult parse, Func<CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        var debug = parse.GetValue(GlobalOptions.Debug);
        try
        {
            return await body(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // Cancellation surfaces as whatever the interrupted I/O threw (an aborted HTTP read is an IOException).
            Artifacts.Temp.PrivateTempDirectory.RemoveAll();
            Console.Error.WriteLine("zerodrift: interrupted");
            return ExitCodes.Interrupted;
        }
        catch (Exception e) when (e is ArtifactException or UsageException or IOException or UnauthorizedAccessException or Vulnerabilities.Database.VulnerabilityDatabaseException
            or Sensor.SensorException or Runtime.Audit.AuditInputException or Runtime.Rules.RuleFileException or Runtime.Profiles.ProfileFormatException or Runtime.Profiles.ProfileStoreException
            or DynamicTesting.DynamicTestException)
        {
            Console.Error.WriteLine($"zerodrift: error: {e.Message}");
            if (debug) Console.Error.WriteLine(e);
            return ExitCodes.Usage;
        }
        catch (Commands.AttestationMissingException e)
        {
            Console.Error.WriteLine($"zerodrift: {e.Message}");
            return ExitCodes.Findings;
        }
        catch (Exception e) when (!debug)
        {
            Console.Error.WriteLine($"zerodrift: internal error: {e.GetType().Name}: {e.Message.Split('\n')[0]} (run with --debug for details)");
            return 3;
        }
    }
}

/// <summary>A bad combination of options or values that the parser cannot see.</summary>
public sealed class UsageException(string message) : Exception(message);
