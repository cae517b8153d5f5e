using Spectre.Console;

namespace ZeroDrift.Cli.Output;

/// <summary>Where human output goes: rich on a terminal, plain when piped or quiet.</summary>
public static class Terminal
{
    public static bool StdoutIsInteractive => !Console.IsOutputRedirected;
    public static bool StderrIsInteractive => !Console.IsErrorRedirected;

    /// <summary>A console on stderr, for progress, so stdout stays clean for reports.</summary>
    public static IAnsiConsole Stderr { get; } = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(Console.Error),
    });

    public static void Warn(string message) => Console.Error.WriteLine($"zerodrift: warning: {message}");
}
