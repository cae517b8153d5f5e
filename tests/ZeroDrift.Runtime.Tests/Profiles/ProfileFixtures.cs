using ZeroDrift.Runtime.Profiles;

namespace ZeroDrift.Runtime.Tests.Profiles;

internal static class ProfileFixtures
{
    public const string DigestV1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    public const string DigestV2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    public static readonly DateTimeOffset T0 = new(2026, 11, 1, 8, 0, 0, TimeSpan.Zero);

    /// <summary>A small web workload: busybox httpd serving files, calling a backend and resolving names.</summary>
    public static BehaviourProfile Web(string digest = DigestV1, string image = "localhost/web:1")
    {
        var b = ProfileBuilder.New(new WorkloadIdentity("web", digest, image), T0);
        b.ObserveProcess(new ProcessEntry("/bin/httpd", new string('a', 64), "/bin/sh", "www-data"), T0);
        b.ObserveProcess(new ProcessEntry("/bin/sh", null, null, "root"), T0);
        b.ObserveProcess(new ProcessEntry("/bin/busybox", null, "/bin/sh", "root", Name: "wget"), T0);
        b.ObserveFile("/var/www/index.html", FileAccessKind.Read, T0);
        b.ObserveFile("/var/log/httpd.log", FileAccessKind.Write, T0);
        b.ObserveNetwork(new NetworkEntry(NetworkDirection.Ingress, "tcp", "10.0.0.0/8", 8080), T0);
        b.ObserveNetwork(new NetworkEntry(NetworkDirection.Egress, "tcp", "10.1.2.3", 5432, "db.shop.svc"), T0);
        b.ObserveNetwork(new NetworkEntry(NetworkDirection.Egress, "udp", "10.96.0.10", 53), T0);
        foreach (var s in new[] { "read", "write", "accept4", "openat", "close" }) b.ObserveSyscall(s, T0);
        b.ObserveCapability("CAP_NET_BIND_SERVICE", T0);
        return b.Build(T0.AddHours(1));
    }
}
