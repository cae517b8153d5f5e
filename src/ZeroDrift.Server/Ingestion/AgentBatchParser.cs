using System.Globalization;
using System.Text;
using ZeroDrift.Server.Client;
using ZeroDrift.Server.Storage;

namespace ZeroDrift.Server.Ingestion;

/// <summary>
/// One agent batch: NDJSON, one <see cref="AgentRecord"/> per line, read through the same types the agent wrote it
/// with (<see cref="AgentRecordCodec"/>, docs/server.md "Agent channel"). A malformed line rejects the whole batch
/// with its line number and the reason, so the agent never believes half a batch landed.
/// </summary>
public static class AgentBatchParser
{
    public const int MaxRecords = 200_000;
    public static readonly IReadOnlyList<string> Modes = WireEnumConverter<WorkloadMode>.Names;
    public static readonly IReadOnlyList<string> Severities = WireEnumConverter<AlertSeverity>.Names;

    public static async Task<AgentBatch> ParseAsync(Stream body, long now, CancellationToken ct)
    {
        var hosts = new List<HostRow>();
        var containers = new List<ContainerRow>();
        var events = new List<EventRow>();
        var alerts = new List<AlertRow>();
        var profiles = new List<ProfileRow>();
        // The whole body (bounded by the server's request limit) as UTF-8 bytes, split on '\n': no per-line
        // string decoding, and a record's detail is its own bytes rather than a re-serialisation.
        using var buffer = new MemoryStream();
        await body.CopyToAsync(buffer, ct).ConfigureAwait(false);
        var all = new ReadOnlyMemory<byte>(buffer.GetBuffer(), 0, (int)buffer.Length);
        var number = 0;
        var records = 0;
        while (!all.IsEmpty)
        {
            var end = all.Span.IndexOf((byte)'\n');
            var line = (end < 0 ? all : all[..end]).Span.Trim(" \t\r"u8);
            all = end < 0 ? ReadOnlyMemory<byte>.Empty : all[(end + 1)..];
            number++;
            if (line.IsEmpty) continue;
            if (++records > MaxRecords) throw new IngestException($"a batch holds at most {MaxRecords} records");
            AgentRecord record;
            try
            {
                record = AgentRecordCodec.Read(line);
            }
            catch (AgentRecordException e)
            {
                throw new IngestException($"line {number.ToString(CultureInfo.InvariantCulture)}: {e.Message}");
            }
            switch (record)
            {
                case EventRecord e:
                    events.Add(new EventRow(e.Kind, Ms(e.Time), e.ContainerId, e.Workload, e.Path ?? "", e.Process ?? "", Encoding.UTF8.GetString(line)));
                    break;
                case HostRecord h:
                    hosts.Add(new HostRow(h.Name, Encoding.UTF8.GetString(line), Ms(h.Time) ?? now, h.Enforcement));
                    break;
                case ContainerRecord c:
                    containers.Add(new ContainerRow(c.Id, c.Host, c.Workload, c.Image, c.ImageDigest ?? "", WireEnumConverter<ContainerState>.Name(c.State), c.Exposed,
                        Ms(c.StartedAt) ?? now, Ms(c.Time) ?? now));
                    break;
                case AlertRecord a:
                    alerts.Add(new AlertRow(a.Id, a.Rule, WireEnumConverter<AlertSeverity>.Name(a.Severity), Ms(a.EventTime), Ms(a.Time) ?? now, a.ContainerId, a.Workload,
                        WireEnumConverter<AlertResponse>.Name(a.Action), Ms(a.ActionTime), Encoding.UTF8.GetString(line), a.Learned == true));
                    break;
                case ProfileRecord p:
                    // Stored as the type reads it: what the console and the analyses read back is this same shape.
                    profiles.Add(new ProfileRow(p.Workload, WireEnumConverter<WorkloadMode>.Name(p.Mode),
                        System.Text.Json.JsonSerializer.Serialize(p.Profile, AgentRecordJson.Default.ProfileModel), Ms(p.Time) ?? now));
                    break;
            }
        }
        return new AgentBatch(hosts, containers, events, alerts, profiles);
    }

    private static long Ms(DateTimeOffset time) => time.ToUnixTimeMilliseconds();
    private static long? Ms(DateTimeOffset? time) => time?.ToUnixTimeMilliseconds();
}
