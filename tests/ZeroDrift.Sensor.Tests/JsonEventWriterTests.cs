using System.Text.Json;
using ZeroDrift.Sensor.Attribution;
using ZeroDrift.Sensor.Events;
using ZeroDrift.Sensor.Output;

namespace ZeroDrift.Sensor.Tests;

public class JsonEventWriterTests
{
    private const string Id = "013b04955ff1b36d17983211d43d97daf35fd5afa2f4de6cd4047fae5b36889b";

    private static (JsonEventWriter Writer, MemoryStream Output, ulong CgroupId, TempDir Dir) Writer()
    {
        var dir = new TempDir();
        var leaf = Path.Combine(dir.Path, "libpod_parent", "libpod-" + Id);
        Directory.CreateDirectory(leaf);
        var attributor = new Attributor(new CgroupPaths(dir.Path, new ProcFs(dir.Combine("no-proc"))), new ContainerMetadata(dir.Combine("no-storage")), fetchLabels: false);
        var output = new MemoryStream();
        return (new JsonEventWriter(output, attributor, ProcessTable.Create(new ProcFs(dir.Combine("no-proc")))), output, Native.LibC.Inode(leaf), dir);
    }

    private static JsonElement Line(MemoryStream output) =>
        JsonDocument.Parse(System.Text.Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).First()).RootElement;

    [Fact]
    public void An_exec_record_becomes_the_documented_json_line()
    {
        var (writer, output, cgroup, dir) = Writer();
        using var scratch = dir;
        var bytes = EventLayoutTests.ExecBytes("/tmp/echo", ["/tmp/echo", "hi"], "/");
        BitConverter.TryWriteBytes(bytes.AsSpan(16), cgroup);
        Assert.True(SensorEvent.TryRead(bytes, out var ev, out _));
        writer.OnEvent(ev, 123456789 + 2_000_000);
        writer.Flush();
        var line = Line(output);
        Assert.Equal(EventLayout.Version, line.GetProperty("v").GetInt32());
        Assert.Equal("exec", line.GetProperty("type").GetString());
        Assert.Equal(12, line.GetProperty("vpid").GetInt32());
        Assert.Equal(34816, line.GetProperty("tty").GetInt32());
        Assert.Equal(40, line.GetProperty("pid").GetInt32());
        Assert.Equal(41, line.GetProperty("tid").GetInt32());
        Assert.Equal(Id, line.GetProperty("container").GetProperty("id").GetString());
        Assert.Equal("podman", line.GetProperty("container").GetProperty("runtime").GetString());
        Assert.Equal("/tmp/echo", line.GetProperty("exe").GetString());
        Assert.Equal(["/tmp/echo", "hi"], line.GetProperty("args").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal("upper-layer", line.GetProperty("exeOrigin").GetString());
        Assert.Equal(2010, writer.Latency.QuantileUs(0.99)); // 2 ms from ktime to receipt, in its 10 µs bucket's upper bound
    }

    [Fact]
    public void Invalid_utf8_in_a_path_is_replaced_not_fatal()
    {
        var (writer, output, _, dir) = Writer();
        using var scratch = dir;
        var bytes = EventLayoutTests.ExecBytes("/tmp/x\u00e9", ["x"], "/");
        var at = Array.IndexOf(bytes, (byte)0xc3, EventLayout.ExecSize); // in the path (the record's size may be 0xc3 too)
        bytes[at] = 0xff; // break the two-byte sequence
        Assert.True(SensorEvent.TryRead(bytes, out var ev, out _));
        writer.OnEvent(ev, 123456789);
        writer.Flush();
        Assert.Contains("\uFFFD", Line(output).GetProperty("exe").GetString());
    }

    [Fact]
    public void Ancestors_come_from_the_process_table_the_loop_shares_and_one_exec_makes_one_entry()
    {
        using var dir = new TempDir();
        var leaf = Path.Combine(dir.Path, "libpod_parent", "libpod-" + Id);
        Directory.CreateDirectory(leaf);
        var attributor = new Attributor(new CgroupPaths(dir.Path, new ProcFs(dir.Combine("no-proc"))), new ContainerMetadata(dir.Combine("no-storage")), fetchLabels: false);
        var table = ProcessTable.Create(new ProcFs(dir.Combine("no-proc")));
        table.OnExec(new ProcessFacts { Pid = 7, Ppid = 1, ExePath = "/bin/sh", StartTimeNs = 5 });
        var output = new MemoryStream();
        using var writer = new JsonEventWriter(output, attributor, table);
        var bytes = EventLayoutTests.ExecBytes("/tmp/echo", ["/tmp/echo", "hi"], "/");
        Assert.True(SensorEvent.TryRead(bytes, out var ev, out _));
        // The loop, first on the same thread, made the process's entry from this record; the writer reuses it.
        var made = table.OnExec(ProcessFacts.FromExec(ev));
        writer.OnEvent(ev, 123456789);
        writer.Flush();
        Assert.Same(made, table.Peek(40));
        var parent = Line(output).GetProperty("ancestors")[0];
        Assert.Equal((7, "/bin/sh"), (parent.GetProperty("pid").GetInt32(), parent.GetProperty("exe").GetString()));
    }
}
