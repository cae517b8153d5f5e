using System.Net;
using ZeroDrift.Runtime.Alerts;

namespace ZeroDrift.Agent;

/// <summary>
/// <c>--alerts</c> values: <c>stdout</c>, <c>file:PATH</c>, <c>webhook:URL</c> (http or https),
/// <c>syslog</c> (the local daemon at /dev/log), <c>syslog:/path/to/socket</c> or <c>syslog:udp://HOST:PORT</c>.
/// </summary>
public static class AlertSinkSpec
{
    /// <summary>Checks a value without opening anything; throws <see cref="FormatException"/> with one line naming it.</summary>
    public static void Validate(string spec) => Parse(spec, open: false, http: null);

    public static IAlertSink Open(string spec, Func<HttpClient> http) => Parse(spec, open: true, http)!;

    private static IAlertSink? Parse(string spec, bool open, Func<HttpClient>? http)
    {
        if (spec == "stdout") return open ? WriterAlertSink.Stdout() : null;
        if (spec.StartsWith("file:", StringComparison.Ordinal))
        {
            var path = spec[5..];
            if (path.Length == 0) throw new FormatException($"--alerts {spec}: no path after 'file:'");
            var directory = Path.GetDirectoryName(Path.GetFullPath(path));
            if (directory is not null && !Directory.Exists(directory)) throw new FormatException($"--alerts {spec}: directory {directory} does not exist");
            return open ? WriterAlertSink.File(path) : null;
        }
        if (spec.StartsWith("webhook:", StringComparison.Ordinal))
        {
            var url = spec[8..];
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                throw new FormatException($"--alerts {spec}: expected webhook:http://… or webhook:https://…");
            return open ? new WebhookAlertSink(uri, http!()) : null;
        }
        if (spec == "syslog") return open ? SyslogAlertSink.Local() : null;
        if (spec.StartsWith("syslog:", StringComparison.Ordinal))
        {
            var target = spec[7..];
            if (target.StartsWith("udp://", StringComparison.Ordinal))
            {
                if (!IPEndPoint.TryParse(target[6..], out var endpoint) || endpoint.Port == 0)
                    throw new FormatException($"--alerts {spec}: expected syslog:udp://ADDRESS:PORT (an IP address and a port)");
                return open ? SyslogAlertSink.Udp(endpoint) : null;
            }
            if (!target.StartsWith('/')) throw new FormatException($"--alerts {spec}: expected syslog, syslog:/path/to/socket or syslog:udp://ADDRESS:PORT");
            return open ? SyslogAlertSink.Local(target) : null;
        }
        throw new FormatException($"--alerts {spec}: unknown sink (known: stdout, file:PATH, webhook:URL, syslog, syslog:/SOCKET, syslog:udp://ADDRESS:PORT)");
    }
}
