using System.Diagnostics;
using System.Formats.Tar;
using System.Text;

namespace ZeroDrift.TestSupport;

/// <summary>
/// A podman image made of Debian packages installed on this machine: the files <c>dpkg -L</c> lists for the
/// packages' dependency closure (Depends and Pre-Depends, from <c>dpkg-query</c>) plus Debian's Essential set, as
/// a <c>debian:bookworm-slim</c> base has them (documentation, manuals and translations left out, as there), and
/// what the program needs at run time: passwd and group entries copied from this machine, its own files
/// (configuration, an entrypoint script) and data directories. Imported with <c>podman import</c> as one layer that
/// holds a fresh GUID, so images built by parallel tests never share a layer.
/// </summary>
public sealed class HostPackageImage
{
    private static readonly string[] Excluded = ["/usr/share/doc/", "/usr/share/man/", "/usr/share/info/", "/usr/share/locale/", "/usr/share/lintian/", "/usr/share/linda/"];
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly List<(string Path, byte[] Content, int Mode, string Owner)> _files = [];
    private readonly List<(string Path, int Mode, string Owner)> _directories = [];
    private readonly List<(string Path, string Target)> _links = [];
    private readonly List<string> _changes = [];

    /// <summary>The image reference without tag, e.g. <c>localhost/zd-redis-1a2b3c</c>.</summary>
    public required string Repository { get; init; }

    /// <summary>Packages to install (their dependency closure comes along).</summary>
    public required IReadOnlyList<string> Packages { get; init; }

    /// <summary>System users whose passwd and group lines are copied from this machine (root is always there).</summary>
    public IReadOnlyList<string> Users { get; init; } = [];

    /// <summary>Adds a file (the image's own: a configuration, an entrypoint script), owned by <paramref name="owner"/> (a user of <see cref="Users"/> or root).</summary>
    public HostPackageImage File(string path, string content, int mode = 0b110_100_100, string owner = "root")
    {
        _files.Add((path, Encoding.UTF8.GetBytes(content), mode, owner));
        return this;
    }

    /// <summary>Adds an empty directory (data, run time state).</summary>
    public HostPackageImage Directory(string path, int mode = 0b111_101_101, string owner = "root")
    {
        _directories.Add((path, mode, owner));
        return this;
    }

    /// <summary>
    /// Adds a symlink: what a package's maintainer script makes and <c>dpkg -L</c> does not list, such as an
    /// alternative (<c>/usr/bin/nc</c> → <c>/usr/bin/nc.openbsd</c>, <c>libblas.so.3</c>).
    /// </summary>
    public HostPackageImage Symlink(string path, string target)
    {
        _links.Add((path, target));
        return this;
    }

    /// <summary>A Dockerfile instruction <c>podman import --change</c> takes: <c>ENTRYPOINT […]</c>, <c>CMD […]</c>, <c>ENV K=V</c>, <c>WORKDIR</c>, <c>STOPSIGNAL</c>, <c>USER</c>.</summary>
    public HostPackageImage Change(string instruction)
    {
        _changes.Add(instruction);
        return this;
    }

    /// <summary>Builds and imports the image; returns its reference (<c>REPOSITORY:1</c>).</summary>
    public string Build(string workDirectory)
    {
        var tar = System.IO.Path.Combine(workDirectory, System.IO.Path.GetFileName(Repository) + ".tar");
        WriteRootFs(tar);
        var reference = Repository + ":1";
        var args = new List<string> { "import", "--quiet" };
        foreach (var change in _changes) args.AddRange(["--change", change]);
        args.AddRange([tar, reference]);
        Run("podman", args);
        System.IO.File.Delete(tar);
        return reference;
    }

    /// <summary>The root filesystem as a tar: the packages' files, the image's own files, passwd and group, a marker.</summary>
    public void WriteRootFs(string tarPath)
    {
        var installed = InstalledPackages();
        var closure = Closure(installed, Packages.Concat(installed.Values.Where(p => p.Essential).Select(p => p.Name)));
        var paths = Run("dpkg", ["-L", .. closure.Order(StringComparer.Ordinal)])
            .Split('\n').Where(l => l.StartsWith('/') && !Excluded.Any(l.StartsWith)).Distinct(StringComparer.Ordinal).ToList();
        var users = ReadAccounts("/etc/passwd");
        var groups = ReadAccounts("/etc/group");
        var layout = new RootLayout();
        foreach (var path in paths) layout.Add(path);

        var passwd = new StringBuilder();
        var group = new StringBuilder();
        foreach (var name in new[] { "root" }.Concat(Users).Distinct(StringComparer.Ordinal))
        {
            passwd.Append(users.TryGetValue(name, out var u) ? u : throw new InvalidOperationException($"no user {name} on this machine")).Append('\n');
            // Without its members: the image has only the users it was given.
            if (groups.TryGetValue(name, out var g)) group.Append(g[..(g.LastIndexOf(':') + 1)]).Append('\n');
        }
        layout.Own("/etc/passwd", Encoding.UTF8.GetBytes(passwd.ToString()), 0b110_100_100, 0, 0);
        layout.Own("/etc/group", Encoding.UTF8.GetBytes(group.ToString()), 0b110_100_100, 0, 0);
        layout.Own("/etc/zerodrift-test-image", Encoding.UTF8.GetBytes(Guid.NewGuid().ToString("N") + "\n"), 0b110_100_100, 0, 0);
        layout.Own("/tmp", null, 0b1_111_111_111, 0, 0);
        foreach (var (path, mode, owner) in _directories)
        {
            var (uid, gid) = Ids(users, owner);
            layout.Own(path, null, mode, uid, gid);
        }
        foreach (var (path, content, mode, owner) in _files)
        {
            var (uid, gid) = Ids(users, owner);
            layout.Own(path, content, mode, uid, gid);
        }
        foreach (var (path, target) in _links) layout.Link(path, target);
        using var file = System.IO.File.Create(tarPath);
        using var writer = new TarWriter(file, TarEntryFormat.Pax);
        layout.WriteTo(writer);
    }

    private static (int Uid, int Gid) Ids(Dictionary<string, string> users, string name)
    {
        var fields = users[name].Split(':');
        return (int.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture), int.Parse(fields[3], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static Dictionary<string, string> ReadAccounts(string file) =>
        System.IO.File.ReadLines(file).Where(l => l.Contains(':')).GroupBy(l => l[..l.IndexOf(':')]).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

    private sealed record Installed(string Name, bool Essential, IReadOnlyList<IReadOnlyList<string>> Depends, IReadOnlyList<string> Provides);

    /// <summary>Every installed package, by name, with its dependencies as lists of alternatives.</summary>
    private static Dictionary<string, Installed> InstalledPackages()
    {
        var output = Run("dpkg-query", ["-W", "-f", "${Package}\t${db:Status-Status}\t${Essential}\t${Pre-Depends}\t${Depends}\t${Provides}\n"]);
        var packages = new Dictionary<string, Installed>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split('\t');
            if (f.Length < 6 || f[1] != "installed") continue;
            var depends = string.Join(", ", new[] { f[3], f[4] }.Where(s => s.Length > 0))
                .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(d => (IReadOnlyList<string>)d.Split('|', StringSplitOptions.TrimEntries).Select(BareName).ToList()).ToList();
            var provides = f[5].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(BareName).ToList();
            packages[f[0]] = new Installed(f[0], f[2] == "yes", depends, provides);
        }
        return packages;
    }

    /// <summary><c>perl:any (>= 5.36)</c> → <c>perl</c>.</summary>
    private static string BareName(string dependency)
    {
        var name = dependency.Split(' ', 2)[0];
        var colon = name.IndexOf(':');
        return colon < 0 ? name : name[..colon];
    }

    /// <summary>The dependency closure: for each dependency the first alternative installed here, directly or as a virtual package another one provides.</summary>
    private static HashSet<string> Closure(Dictionary<string, Installed> installed, IEnumerable<string> roots)
    {
        var providers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in installed.Values)
            foreach (var virtualName in p.Provides) providers.TryAdd(virtualName, p.Name);
        var closure = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>();
        foreach (var root in roots)
        {
            if (!installed.ContainsKey(root)) throw new InvalidOperationException($"package {root} is not installed here (apt-get install {root})");
            pending.Push(root);
        }
        while (pending.TryPop(out var name))
        {
            if (!closure.Add(name)) continue;
            foreach (var alternatives in installed[name].Depends)
            {
                var chosen = alternatives.FirstOrDefault(installed.ContainsKey) ?? alternatives.Select(a => providers.GetValueOrDefault(a)).FirstOrDefault(p => p is not null);
                if (chosen is not null) pending.Push(chosen);
            }
        }
        return closure;
    }

    /// <summary>
    /// Paths as the image holds them: a path through a symlinked directory (merged /usr: <c>/bin</c> → <c>usr/bin</c>)
    /// is stored under the directory it resolves to, the link itself once; parents come before their entries; a
    /// link into /etc/alternatives brings the alternative's link along.
    /// </summary>
    private sealed class RootLayout
    {
        private readonly SortedDictionary<string, Action<TarWriter>> _entries = new(StringComparer.Ordinal);

        public void Add(string hostPath)
        {
            if (hostPath is "/." or "/") return;
            var resolved = ResolveParents(hostPath);
            if (resolved is null) return;
            var info = new FileInfo(resolved);
            if (!info.Exists && !System.IO.Directory.Exists(resolved) && info.LinkTarget is null) return; // listed, but removed on this machine
            AddParents(resolved);
            FromHost(resolved);
            if (info.LinkTarget is { } target)
            {
                var absolute = System.IO.Path.IsPathRooted(target) ? target : System.IO.Path.GetFullPath(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(resolved)!, target));
                if (absolute.StartsWith("/etc/alternatives/", StringComparison.Ordinal) && !_entries.ContainsKey(absolute.TrimStart('/'))) Add(absolute);
            }
        }

        /// <summary>The image's own file (<paramref name="content"/>) or directory (null), in place of what the packages have there.</summary>
        public void Own(string path, byte[]? content, int mode, int uid, int gid)
        {
            path = ResolveParents(path) ?? path;
            AddParents(path);
            _entries[path.TrimStart('/')] = content is null
                ? w => w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, path.TrimStart('/')) { Mode = (UnixFileMode)mode, Uid = uid, Gid = gid, ModificationTime = Epoch })
                : w => w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, path.TrimStart('/')) { DataStream = new MemoryStream(content), Mode = (UnixFileMode)mode, Uid = uid, Gid = gid, ModificationTime = Epoch });
        }

        /// <summary>A symlink of the image's own at <paramref name="path"/>, in place of what the packages have there.</summary>
        public void Link(string path, string target)
        {
            path = ResolveParents(path) ?? path;
            AddParents(path);
            _entries[path.TrimStart('/')] = w => w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, path.TrimStart('/')) { LinkName = target, Mode = (UnixFileMode)0b111_111_111, ModificationTime = Epoch });
        }

        /// <summary>Parents before their entries (ordinal order puts a folder before what it holds), each name once.</summary>
        public void WriteTo(TarWriter writer)
        {
            foreach (var write in _entries.Values) write(writer);
        }

        private void FromHost(string path)
        {
            var name = path.TrimStart('/');
            if (name.Length > 0) _entries.TryAdd(name, w => w.WriteEntry(path, name));
        }

        private void AddParents(string path)
        {
            for (var dir = System.IO.Path.GetDirectoryName(path); dir is not null && dir != "/"; dir = System.IO.Path.GetDirectoryName(dir))
            {
                var name = dir.TrimStart('/');
                if (System.IO.Directory.Exists(dir)) FromHost(dir);
                else _entries.TryAdd(name, w => w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, name) { Mode = (UnixFileMode)0b111_101_101, ModificationTime = Epoch }));
            }
        }

        /// <summary>The path with every symlinked parent directory replaced by its target (the links recorded); null when it leads outside the root.</summary>
        private string? ResolveParents(string path)
        {
            var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var current = "";
            for (var i = 0; i < parts.Length; i++)
            {
                var next = current + "/" + parts[i];
                if (i < parts.Length - 1 && new DirectoryInfo(next).LinkTarget is { } target)
                {
                    FromHost(next);
                    next = System.IO.Path.IsPathRooted(target) ? target.TrimEnd('/') : System.IO.Path.GetFullPath(System.IO.Path.Combine(current.Length == 0 ? "/" : current, target)).TrimEnd('/');
                    if (new DirectoryInfo(next).LinkTarget is not null) return ResolveParents(next + "/" + string.Join('/', parts[(i + 1)..]));
                }
                current = next;
            }
            return current.Length == 0 ? null : current;
        }
    }

    private static string Run(string file, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish in 5 minutes");
        }
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', start.ArgumentList.Take(4))} failed ({process.ExitCode}): {stderr.Result}");
        return stdout.Result;
    }
}
