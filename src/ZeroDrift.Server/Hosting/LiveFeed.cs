using System.Threading.Channels;

namespace ZeroDrift.Server.Hosting;

/// <summary>
/// Tells connected consoles that something changed (Server-Sent Events on /api/v1/live): the topic only, never
/// the data, so a viewer re-reads through the same authenticated API. A slow console drops notices, not memory.
/// </summary>
public sealed class LiveFeed
{
    private readonly Lock _gate = new();
    private readonly List<Channel<string>> _subscribers = [];

    public void Publish(string topic)
    {
        lock (_gate)
            foreach (var s in _subscribers) s.Writer.TryWrite(topic);
    }

    public (ChannelReader<string> Reader, IDisposable Subscription) Subscribe()
    {
        var channel = Channel.CreateBounded<string>(new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest });
        lock (_gate) _subscribers.Add(channel);
        return (channel.Reader, new Unsubscribe(this, channel));
    }

    private sealed class Unsubscribe(LiveFeed feed, Channel<string> channel) : IDisposable
    {
        public void Dispose()
        {
            lock (feed._gate) feed._subscribers.Remove(channel);
            channel.Writer.TryComplete();
        }
    }
}
