using Microsoft.Extensions.Logging;

namespace ZeroDrift.Cli.Commands;

/// <summary>
/// The agent's own lines on stderr as docs/agent.md promises them: one line each, <c>zerodrift: agent: …</c>, and
/// <c>zerodrift: agent: warning: …</c> for what failed while it went on. <c>--quiet</c> keeps warnings and errors,
/// <c>--debug</c> adds debug lines.
/// </summary>
internal sealed class AgentLoggerProvider(TextWriter writer, LogLevel minimum) : ILoggerProvider
{
    private readonly Lock _gate = new();
    private readonly TextWriter _writer = writer;
    private readonly LogLevel _minimum = minimum;

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(AgentLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= provider._minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var prefix = logLevel switch
            {
                >= LogLevel.Error => "zerodrift: agent: error: ",
                LogLevel.Warning => "zerodrift: agent: warning: ",
                LogLevel.Information => "zerodrift: agent: ",
                _ => "zerodrift: agent: debug: ",
            };
            var line = prefix + formatter(state, exception);
            lock (provider._gate) provider._writer.WriteLine(line);
        }
    }
}
