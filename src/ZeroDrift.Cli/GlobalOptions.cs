using System.CommandLine;

namespace ZeroDrift.Cli;

public static class GlobalOptions
{
    public static readonly Option<bool> Debug = new("--debug")
    {
        Description = "Show stack traces and internal details on errors",
        Recursive = true,
    };

    public static readonly Option<bool> Quiet = new("--quiet", "-q")
    {
        Description = "No progress output; errors and warnings only",
        Recursive = true,
    };
}
