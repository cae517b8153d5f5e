using System.Diagnostics;
using System.Text;

namespace ZeroDrift.Vulnerabilities.Tests.Versions;

/// <summary>Runs an ecosystem's own tool over many version pairs at once and reads back one symbol per pair.</summary>
internal static class Oracle
{
    /// <summary>Runs <paramref name="file"/> with the pairs ("A B" lines) on stdin; returns its stdout lines.</summary>
    public static string[] Run(string file, IReadOnlyList<string> args, IEnumerable<(string A, string B)> pairs, string? stdinOverride = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {file}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"the oracle '{file}' is not installed on this machine ({e.Message})", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardInput.Write(stdinOverride ?? string.Concat(pairs.Select(p => $"{p.A} {p.B}\n")));
            process.StandardInput.Close();
            if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{file} did not finish");
            }
            if (process.ExitCode != 0) throw new InvalidOperationException($"{file} failed ({process.ExitCode}): {stderr.Result}");
            return stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
    }

    public const string MavenJar = "/usr/share/java/maven-artifact-3.x.jar";

    /// <summary>Maven's own ComparableVersion (Debian's libmaven3-core-java, maven-artifact 3.8.7), through java's source launcher.</summary>
    public static string[] Maven(IReadOnlyList<(string A, string B)> pairs)
    {
        if (!File.Exists(MavenJar)) throw new InvalidOperationException($"{MavenJar} is missing: apt-get install libmaven3-core-java default-jre-headless");
        using var dir = new TempDir();
        var source = dir.Combine("Cmp.java");
        File.WriteAllText(source, """
            import org.apache.maven.artifact.versioning.ComparableVersion;
            import java.io.*;
            public class Cmp {
              public static void main(String[] args) throws Exception {
                BufferedReader r = new BufferedReader(new InputStreamReader(System.in));
                for (String line; (line = r.readLine()) != null; ) {
                  String[] p = line.split(" ");
                  int c = new ComparableVersion(p[0]).compareTo(new ComparableVersion(p[1]));
                  System.out.println(c < 0 ? "<" : c > 0 ? ">" : "=");
                }
              }
            }
            """);
        return Run("java", ["-cp", MavenJar, source], pairs);
    }

    /// <summary>PHP's own version_compare (php-cli).</summary>
    public static string[] Php(IReadOnlyList<(string A, string B)> pairs)
    {
        const string script = """while (($l = fgets(STDIN)) !== false) { [$a, $b] = explode(" ", trim($l)); $c = version_compare($a, $b); echo $c < 0 ? "<" : ($c > 0 ? ">" : "="), "\n"; }""";
        return Run("php", ["-r", script], pairs);
    }

    /// <summary>A symbol from a three-way result printed by a tool (-1/0/1 or any sign).</summary>
    public static string Symbol(string number) => int.Parse(number.Trim(), System.Globalization.CultureInfo.InvariantCulture) switch
    {
        < 0 => "<",
        0 => "=",
        _ => ">",
    };
}

/// <summary>Random versions built from each ecosystem's vocabulary, so that pairs share prefixes and tie often.</summary>
internal sealed class VersionGenerator(int seed)
{
    private readonly Random random = new(seed);

    public int Next(int max) => random.Next(max);

    public T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];

    public string Digits() => random.Next(10) switch
    {
        0 => "0",
        1 => "00",
        2 => "01",
        3 => random.Next(100, 99999).ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => random.Next(0, 4).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public string FromAlphabet(string alphabet, int min, int max)
    {
        var sb = new StringBuilder();
        var n = random.Next(min, max + 1);
        for (var i = 0; i < n; i++) sb.Append(alphabet[random.Next(alphabet.Length)]);
        return sb.ToString();
    }

    /// <summary>Pairs where the second is often a small mutation of the first, so the interesting cases come up.</summary>
    public List<(string A, string B)> Pairs(int count, Func<string> make)
    {
        var pairs = new List<(string, string)>(count);
        for (var i = 0; i < count; i++)
        {
            var a = make();
            var b = random.Next(8) == 0 ? a : make();
            pairs.Add((a, b));
        }
        return pairs;
    }
}
