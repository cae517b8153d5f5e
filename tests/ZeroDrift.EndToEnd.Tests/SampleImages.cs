namespace ZeroDrift.EndToEnd.Tests;

/// <summary>A small Debian-like image: os-release, a dpkg database over two layers, one package removed later.</summary>
public static class SampleImages
{
    public const string Status0 = """
        Package: base-files
        Status: install ok installed
        Architecture: amd64
        Version: 12.4+deb12u5

        Package: libc6
        Status: install ok installed
        Architecture: amd64
        Source: glibc
        Version: 2.36-9+deb12u4

        """;

    public const string Status1 = Status0 + "\n" + """
        Package: curl
        Status: install ok installed
        Architecture: amd64
        Version: 7.88.1-10+deb12u5
        Depends: libc6 (>= 2.34)

        """;

    public static TestImage Debian() => new TestImage { Labels = { ["org.opencontainers.image.title"] = "sample" } }
        .Layer(new TestLayer { CreatedBy = "ADD rootfs.tar.xz /" }
            .File("etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n")
            .File("var/lib/dpkg/status", Status0)
            .File("var/lib/dpkg/info/libc6:amd64.list", "/.\n/usr/lib/x86_64-linux-gnu/libc.so.6\n"))
        .Layer(new TestLayer { CreatedBy = "RUN apt-get install -y curl" }
            .File("var/lib/dpkg/status", Status1)
            .File("var/lib/dpkg/info/curl.list", "/.\n/usr/bin/curl\n")
            .File("usr/bin/curl", "\x7fELF-not-really"));
}
