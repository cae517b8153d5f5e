using ZeroDrift.Sensor.Attribution;
using ZeroDrift.Sensor.Events;

namespace ZeroDrift.Sensor.Output;

/// <summary>
/// Keeps the agent's status file (<c>zerodrift agent status</c>) whenever the agent runs, with or without an event
/// stream: counts what the sensor delivers per type and its kernel-to-user latency, and writes them with the sensor's
/// own figures (programs, drops, ring use), the containers known and the enforcement as soon as the sensor runs, then
/// every <see cref="Interval"/>.
/// A sink in the chain: each record is passed on to <paramref name="inner"/>.
/// </summary>
public sealed class AgentStatusWriter(StatusFile file, Attributor attributor, ISensorSink? inner = null) : ISensorSink
{
    private readonly long[] _received = new long[EventLayout.TypeCount];
    private readonly long[] _receivedAtLastWrite = new long[EventLayout.TypeCount];
    private readonly LatencyHistogram _latency = new();
    private readonly DateTime _startedAt = DateTime.UtcNow;
    private long _lastWrite = Environment.TickCount64;
    private long _sinceCheck;
    private bool _written;

    public StatusFile File => file;
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The sensor whose programs, drops and ring use the status reports (set once it is started).</summary>
    public KernelSensor? Sensor { get; set; }

    /// <summary>How the agent enforces Protect, asked at each write (null: no enforcement to report).</summary>
    public Func<StatusEnforcement?>? Enforcement { get; set; }

    /// <summary>The sizes of what the agent keeps per container, process and workload, asked at each write on the
    /// sensor's thread (the loop's owner); null once that thread is gone.</summary>
    public Func<IReadOnlyDictionary<string, long>>? Structures { get; set; }

    /// <summary>Why the last write failed (it never stops the agent).</summary>
    public string? Error { get; private set; }

    public void OnEvent(scoped in SensorEvent ev, long receivedNs)
    {
        var h = ev.Header;
        _latency.Add(receivedNs - (long)h.KTime);
        if ((int)h.Type < _received.Length) _received[(int)h.Type]++;
        inner?.OnEvent(ev, receivedNs);
        // A sensor that is never idle (a busy host) still updates the file: the clock is looked at every 4096 records.
        if ((++_sinceCheck & 4095) == 0) MaybeWrite();
    }

    public void OnIdle()
    {
        MaybeWrite();
        inner?.OnIdle();
    }

    /// <summary>The first time the sensor is there (so a status never lists no programs), then every <see cref="Interval"/>.</summary>
    private void MaybeWrite()
    {
        if (Sensor is null || (_written && Environment.TickCount64 - _lastWrite < Interval.TotalMilliseconds)) return;
        Write("running");
    }

    /// <summary>Writes the status now: from the sensor's thread, or once the sensor is disposed (<paramref name="lost"/> read before).</summary>
    public void Write(string state, ulong[]? lost = null)
    {
        var now = Environment.TickCount64;
        var seconds = Math.Max(0.001, (now - _lastWrite) / 1000.0);
        _lastWrite = now;
        _written = true;
        var received = new Dictionary<string, long>();
        var perSecond = new Dictionary<string, double>();
        var lostByName = new Dictionary<string, ulong>();
        lost ??= Sensor?.ReadLost() ?? new ulong[EventLayout.TypeCount];
        for (var t = 1; t < EventLayout.TypeCount; t++)
        {
            var name = EventLayout.Name((EventType)t);
            received[name] = _received[t];
            perSecond[name] = Math.Round((_received[t] - _receivedAtLastWrite[t]) / seconds, 1);
            _receivedAtLastWrite[t] = _received[t];
            lostByName[name] = lost[t];
        }
        var containers = new List<StatusContainer>();
        var host = 0;
        foreach (var (cgroup, c) in attributor.Known)
        {
            if (c.IsHost) host++;
            else containers.Add(new StatusContainer(cgroup, c.Id, c.Runtime, c.Name, c.Image, c.ImageDigest, c.PodName, c.PodNamespace));
        }
        var p99 = _latency.Count > 0 ? _latency.QuantileUs(0.99) : 0;
        _latency.Reset();
        var status = new AgentStatus
        {
            State = state,
            Pid = Environment.ProcessId,
            StartedAt = _startedAt,
            UpdatedAt = DateTime.UtcNow,
            IntervalSeconds = Interval.TotalSeconds,
            Attached = Sensor?.AttachedPrograms ?? [],
            ProgramIds = Sensor?.ProgramIds ?? [],
            SyscallExitHook = Sensor?.SyscallExitHook ?? "",
            PollerScheduling = Sensor?.PollerScheduling ?? "",
            RingBufferBytes = Sensor?.RingBufferBytes ?? 0,
            RingBufferHighWaterBytes = Sensor?.TakeRingBufferHighWater() ?? 0,
            Received = received,
            PerSecond = perSecond,
            Lost = lostByName,
            Malformed = Sensor?.Malformed ?? 0,
            LatencyP99Us = p99,
            RssBytes = Environment.WorkingSet,
            Containers = containers,
            HostCgroups = host,
            Enforcement = Enforcement?.Invoke(),
            Structures = Structures?.Invoke(),
        };
        try
        {
            file.Write(status);
            Error = null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Error = e.Message;
        }
    }
}
