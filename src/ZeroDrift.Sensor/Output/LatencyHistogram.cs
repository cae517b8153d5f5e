namespace ZeroDrift.Sensor.Output;

/// <summary>Kernel-to-user latency in 10 µs buckets up to 1 s (the last bucket holds everything slower); no allocation per sample.</summary>
public sealed class LatencyHistogram
{
    private const long BucketNs = 10_000;
    private readonly long[] buckets = new long[100_001];
    public long Count { get; private set; }
    public long MaxNs { get; private set; }

    public void Add(long ns)
    {
        if (ns < 0) ns = 0;
        var i = Math.Min(ns / BucketNs, buckets.Length - 1);
        buckets[i]++;
        Count++;
        if (ns > MaxNs) MaxNs = ns;
    }

    /// <summary>The upper bound of the bucket holding the given quantile, in microseconds.</summary>
    public double QuantileUs(double q)
    {
        if (Count == 0) return 0;
        var target = (long)Math.Ceiling(q * Count);
        long seen = 0;
        for (var i = 0; i < buckets.Length; i++)
        {
            seen += buckets[i];
            if (seen >= target) return (i + 1) * (BucketNs / 1000.0);
        }
        return MaxNs / 1000.0;
    }

    public void Reset()
    {
        Array.Clear(buckets);
        Count = 0;
        MaxNs = 0;
    }
}
