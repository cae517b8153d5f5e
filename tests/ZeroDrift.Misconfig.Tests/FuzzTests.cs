using System.Text;

namespace ZeroDrift.Misconfig.Tests;

/// <summary>Mutated inputs (bytes dropped, duplicated, replaced, lines swapped) never make a scan throw: they give findings or warnings.</summary>
public class FuzzTests
{
    private static readonly string[] Seeds =
    [
        KubernetesCheckTests.Pod(spec: "  volumes:\n    - name: d\n      hostPath:\n        path: /var/run/docker.sock\n", sc: "        privileged: true\n"),
        "services:\n  db:\n    image: postgres:17\n    privileged: true\n    ports:\n      - \"5432:5432\"\n    environment:\n      - DB_PASSWORD=x\n    volumes:\n      - /var/run/docker.sock:/s\n",
        "# syntax=docker/dockerfile:1\n# escape=\\\nARG B=alpine:3.20\nFROM ${B} AS a\nRUN <<EOF\ncurl x | sh\nEOF\nRUN apt-get install -y x \\\n  && sudo y\nFROM a\nEXPOSE 22\nENV TOKEN=abc\nADD https://x.example/a /a\nCMD [\"a\"]\n",
    ];

    private const string Syntax = "[]{}:-&*!|>'\"#\\`<$\n \t";

    [Theory]
    [InlineData(0, "pod.yaml")]
    [InlineData(1, "compose.yaml")]
    [InlineData(2, "Dockerfile")]
    public void Mutations_never_throw(int seed, string name)
    {
        var detector = MisconfigDetector.Create();
        var random = new Random(seed * 7919 + 1);
        var original = Encoding.UTF8.GetBytes(Seeds[seed]);
        for (var round = 0; round < 1500; round++)
        {
            var bytes = new List<byte>(original);
            for (var m = random.Next(1, 6); m > 0; m--)
            {
                var at = random.Next(bytes.Count);
                switch (random.Next(4))
                {
                    case 0: bytes.RemoveAt(at); break;
                    case 1: bytes.Insert(at, bytes[random.Next(bytes.Count)]); break;
                    case 2: bytes[at] = (byte)Syntax[random.Next(Syntax.Length)]; break;
                    default: bytes.InsertRange(at, bytes.GetRange(random.Next(bytes.Count / 2), random.Next(1, bytes.Count / 2))); break;
                }
                if (bytes.Count == 0) bytes.Add((byte)'a');
            }
            using var stream = new MemoryStream(bytes.ToArray());
            var exception = Record.Exception(() => detector.Scan("/f/" + name, stream, _ => { }, CancellationToken.None).ToList());
            Assert.True(exception is null, $"round {round}: {exception}\n--- input ---\n{Encoding.UTF8.GetString(bytes.ToArray())}");
        }
    }
}
