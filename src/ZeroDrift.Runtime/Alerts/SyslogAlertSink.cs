using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ZeroDrift.Runtime.Alerts;

/// <summary>
/// Alerts as RFC 5424 syslog messages (facility local0, severity from the alert's priority), to the local
/// daemon's datagram socket (<c>/dev/log</c>) or to a UDP collector. Datagrams do not wait on the receiver.
/// </summary>
public sealed class SyslogAlertSink : IAlertSink
{
    private const int Facility = 16; // local0
    private readonly Socket _socket;
    private readonly EndPoint _endpoint;
    private readonly string _hostname = Dns.GetHostName();
    private long _delivered, _failed;

    private SyslogAlertSink(string name, Socket socket, EndPoint endpoint)
    {
        Name = name;
        _socket = socket;
        _endpoint = endpoint;
    }

    public static SyslogAlertSink Udp(IPEndPoint collector) =>
        new($"syslog:udp://{collector}", new Socket(collector.AddressFamily, SocketType.Dgram, ProtocolType.Udp), collector);

    public static SyslogAlertSink Local(string socketPath = "/dev/log") =>
        new($"syslog:{socketPath}", new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified), new UnixDomainSocketEndPoint(socketPath));

    public string Name { get; }

    public AlertSinkStats Stats => new(Interlocked.Read(ref _delivered), 0, Interlocked.Read(ref _failed));

    public bool Publish(string jsonLine)
    {
        var message = Format(jsonLine, Severity(jsonLine), DateTimeOffset.UtcNow, _hostname);
        try
        {
            _socket.SendTo(Encoding.UTF8.GetBytes(message), _endpoint);
            Interlocked.Increment(ref _delivered);
        }
        catch (SocketException)
        {
            Interlocked.Increment(ref _failed);
        }
        return true;
    }

    /// <summary><c>&lt;PRI&gt;1 TIMESTAMP HOST zerodrift PID - - MSG</c>, the JSON alert as the message.</summary>
    public static string Format(string jsonLine, int severity, DateTimeOffset at, string hostname) =>
        string.Create(CultureInfo.InvariantCulture, $"<{Facility * 8 + severity}>1 {at:yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'} {hostname} zerodrift {Environment.ProcessId} alert - {jsonLine}");

    /// <summary>Falco's priorities are syslog's severities by name; an alert without one is a warning.</summary>
    public static int Severity(string jsonLine)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(jsonLine);
            var priority = doc.RootElement.TryGetProperty("priority", out var p) ? p.GetString() : null;
            return priority?.ToUpperInvariant() switch
            {
                "EMERGENCY" => 0,
                "ALERT" => 1,
                "CRITICAL" => 2,
                "ERROR" => 3,
                "WARNING" => 4,
                "NOTICE" => 5,
                "INFORMATIONAL" or "INFO" => 6,
                "DEBUG" => 7,
                _ => 4,
            };
        }
        catch (System.Text.Json.JsonException)
        {
            return 4;
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
