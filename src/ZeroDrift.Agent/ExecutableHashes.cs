using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Win32.SafeHandles;
using ZeroDrift.Sensor.Enforcement;

namespace ZeroDrift.Agent;

/// <summary>
/// An executable file as the kernel reported it at exec: device, inode, size and modification time. The same key
/// means the same content (a rewrite changes the size or the mtime), so each file is hashed once.
/// </summary>
public readonly record struct ExecutableKey(uint Device, ulong Inode, ulong Size, long MtimeNs);

/// <summary>
/// SHA-256 of executables, computed off the hot path: the sensor thread asks <see cref="Get"/> (a dictionary look-up,
/// no allocation) and, for a file not hashed yet, <see cref="Request"/> queues it for a background worker, which
/// opens it inside the container's root (through <c>/proc/PID/root</c>, resolved in that root), checks with
/// <c>fstat</c> that it is still the file the kernel reported (inode, size, mtime), hashes it and calls back.
/// Bounded: a queue of <see cref="QueueCapacity"/> files (a request beyond it is dropped and counted; the next exec
/// of the file asks again), a cache of <see cref="CacheCapacity"/> hashes (forgotten all at once when full, and a container's with it: <see cref="Forget"/>), files
/// up to <see cref="MaxFileBytes"/>.
/// </summary>
public sealed class ExecutableHashes : IDisposable
{
    public const int QueueCapacity = 256;
    public const int CacheCapacity = 16_384;
    public const long MaxFileBytes = 512L << 20;

    private readonly ConcurrentDictionary<ExecutableKey, string> _hashes = new();
    private readonly Dictionary<ExecutableKey, List<Action<string>>> _pending = [];
    private int _delivering;
    private readonly Lock _lock = new();
    private readonly Channel<(ExecutableKey Key, string Path, Func<IEnumerable<int>> Pids)> _queue =
        Channel.CreateBounded<(ExecutableKey, string, Func<IEnumerable<int>>)>(new BoundedChannelOptions(QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Func<int, string, SafeFileHandle?> _open;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _worker;
    private long _hashed, _dropped, _failed;

    /// <param name="open">Opens a path inside a process's root (tests substitute their own).</param>
    public ExecutableHashes(Func<int, string, SafeFileHandle?>? open = null)
    {
        _open = open ?? ContainerFiles.OpenIn;
        _worker = Task.Run(WorkAsync);
    }

    public long Hashed => Interlocked.Read(ref _hashed);
    public long Dropped => Interlocked.Read(ref _dropped);
    public long Failed => Interlocked.Read(ref _failed);
    public int Count => _hashes.Count;

    /// <summary>
    /// Forgets the hashes of files on <paramref name="device"/>: a container's overlay, gone with the container (each
    /// container's overlay is a device of its own, so on a long-lived node its hashes would otherwise stay until the
    /// cache is full; and the device's number is given to a later mount).
    /// </summary>
    public void Forget(uint device)
    {
        foreach (var key in _hashes.Keys)
            if (key.Device == device) _hashes.TryRemove(key, out _);
    }

    /// <summary>The hash, lowercase hex, when the file was hashed.</summary>
    public string? Get(in ExecutableKey key) => _hashes.TryGetValue(key, out var hash) ? hash : null;

    /// <summary>
    /// Queues <paramref name="path"/> for hashing; <paramref name="pids"/> are processes whose root holds it (tried in
    /// order: the one that ran it may have exited). <paramref name="ready"/> runs on the worker when the hash is
    /// known. Requests for a file already queued share one hashing. Returns false when the queue was full.
    /// </summary>
    public bool Request(in ExecutableKey key, string path, Func<IEnumerable<int>> pids, Action<string> ready)
    {
        if (Get(key) is { } known)
        {
            ready(known);
            return true;
        }
        lock (_lock)
        {
            if (_pending.TryGetValue(key, out var waiting))
            {
                if (waiting.Count < 64) waiting.Add(ready);
                return true;
            }
            if (!_queue.Writer.TryWrite((key, path, pids)))
            {
                Interlocked.Increment(ref _dropped);
                return false;
            }
            _pending[key] = [ready];
            return true;
        }
    }

    /// <summary>Waits until the queue is empty and every waiter has been given its hash (tests).</summary>
    public async Task IdleAsync(TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            lock (_lock)
                if (_pending.Count == 0 && _delivering == 0) return;
            await Task.Delay(20).ConfigureAwait(false);
        }
    }

    private async Task WorkAsync()
    {
        try
        {
            await foreach (var (key, path, pids) in _queue.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                string? hash = null;
                try { hash = Hash(key, path, pids); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException) { }
                List<Action<string>>? waiting;
                // Idle (IdleAsync) means the waiters were told too, not only that nothing is queued.
                lock (_lock)
                {
                    _pending.Remove(key, out waiting);
                    _delivering++;
                }
                try
                {
                    if (hash is null)
                    {
                        Interlocked.Increment(ref _failed);
                        continue;
                    }
                    if (_hashes.Count >= CacheCapacity) _hashes.Clear();
                    _hashes[key] = hash;
                    Interlocked.Increment(ref _hashed);
                    foreach (var ready in waiting ?? [])
                    {
                        try { ready(hash); }
                        catch (Exception e) when (e is not OutOfMemoryException) { Interlocked.Increment(ref _failed); }
                    }
                }
                finally
                {
                    lock (_lock) _delivering--;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private string? Hash(ExecutableKey key, string path, Func<IEnumerable<int>> pids)
    {
        if ((long)key.Size > MaxFileBytes) return null;
        foreach (var pid in pids().Distinct())
        {
            using var handle = _open(pid, path);
            if (handle is null) continue;
            // The file the kernel ran, not whatever holds that path now (replaced, or a different mount namespace).
            if (RootedPath.Stat(handle) is not { IsRegular: true } facts || facts.Inode != key.Inode || facts.Size != (long)key.Size || facts.MtimeNs != key.MtimeNs)
                continue;
            using var stream = new FileStream(handle, FileAccess.Read, bufferSize: 0);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        return null;
    }

    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _queue.Writer.TryComplete();
        _stop.Cancel();
        try { _worker.Wait(TimeSpan.FromSeconds(2)); }
        catch (AggregateException) { }
        _stop.Dispose();
    }
}
