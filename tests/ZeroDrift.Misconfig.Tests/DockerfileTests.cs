using ZeroDrift.Misconfig.Dockerfiles;

namespace ZeroDrift.Misconfig.Tests;

public class DockerfileTests
{
    /// <summary>A Dockerfile that passes every check; failing examples change one line of it.</summary>
    private const string Good = """
        # syntax=docker/dockerfile:1
        ARG BASE=debian:12.8-slim
        FROM golang:1.23 AS build
        RUN go build -o /app ./cmd/app
        FROM ${BASE}
        RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
            && rm -rf /var/lib/apt/lists/*
        COPY --from=build /app /app
        EXPOSE 8080
        USER 10001:10001
        HEALTHCHECK CMD ["/app", "health"]
        ENTRYPOINT ["/app"]
        """;

    private static void Reported(string checkId, string dockerfile, int line, int? column = null)
    {
        var findings = Scan.Text("Dockerfile", dockerfile).Where(f => f.RuleId == checkId).ToList();
        Assert.True(findings.Count > 0, $"{checkId} not reported in:\n{dockerfile}");
        Assert.Contains(findings, f => f.Span!.StartLine == line && (column is null || f.Span.StartColumn == column));
    }

    private static void NotReported(string checkId, string dockerfile)
    {
        var findings = Scan.Text("Dockerfile", dockerfile).Where(f => f.RuleId == checkId).ToList();
        Assert.True(findings.Count == 0, string.Join("; ", findings.Select(f => $"{f.Span?.StartLine}: {f.Message}")));
    }

    [Fact]
    public void Good_dockerfile_has_no_findings() => Assert.Empty(Scan.Text("Dockerfile", Good));

    [Fact]
    public void ZD_DF_001_runs_as_root()
    {
        Reported("ZD-DF-001", Good.Replace("USER 10001:10001", "USER root", StringComparison.Ordinal), 10, 6);
        Reported("ZD-DF-001", Good.Replace("USER 10001:10001", "USER 0:0", StringComparison.Ordinal), 10);
        Reported("ZD-DF-001", Good.Replace("USER 10001:10001\n", "", StringComparison.Ordinal), 5, 1); // no USER: the final FROM
        // A USER in an earlier stage does not carry over to an unrelated final stage.
        Reported("ZD-DF-001", "FROM alpine:3.20 AS a\nUSER app\nFROM alpine:3.20\nHEALTHCHECK NONE\n", 3);
        NotReported("ZD-DF-001", Good);
        // ...but it does to a stage built on it.
        NotReported("ZD-DF-001", "FROM alpine:3.20 AS base\nUSER app\nFROM base\nHEALTHCHECK NONE\n");
    }

    [Fact]
    public void ZD_DF_002_latest_or_untagged_base()
    {
        Reported("ZD-DF-002", Good.Replace("golang:1.23", "golang", StringComparison.Ordinal), 3, 6);
        Reported("ZD-DF-002", Good.Replace("ARG BASE=debian:12.8-slim", "ARG BASE=debian:latest", StringComparison.Ordinal), 5);
        Reported("ZD-DF-002", "FROM --platform=$BUILDPLATFORM registry.local:5000/base AS b\nUSER 1\nHEALTHCHECK NONE\n", 1, 32);
        NotReported("ZD-DF-002", Good);
        NotReported("ZD-DF-002", "FROM alpine@sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d AS base\nFROM base AS again\nFROM scratch\nCOPY --from=again / /\n");
    }

    [Fact]
    public void ZD_DF_003_add_of_a_url()
    {
        Reported("ZD-DF-003", Good + "\nADD https://example.org/tool.tar.gz /opt/", 13, 5);
        Reported("ZD-DF-003", Good + "\nADD [\"http://example.org/a\", \"/a\"]", 13);
        NotReported("ZD-DF-003", Good + "\nADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.org/tool.tar.gz /opt/");
        NotReported("ZD-DF-003", Good + "\nADD app.tar.gz /opt/");
    }

    [Fact]
    public void ZD_DF_004_curl_piped_to_a_shell()
    {
        Reported("ZD-DF-004", Good + "\nRUN curl -fsSL https://get.example.sh | sh", 13, 5);
        Reported("ZD-DF-004", Good + "\nRUN set -e; \\\n    wget -qO- https://x.example/install \\\n    | sudo bash -s -- --yes", 14, 5); // continued: the line where wget starts
        Reported("ZD-DF-004", Good + "\nRUN sh -c \"$(curl -fsSL https://x.example/i.sh)\"", 13);
        Reported("ZD-DF-004", Good + "\nRUN <<EOF\nset -e\ncurl -s https://x.example/i | bash\nEOF", 15, 1); // inside a heredoc
        NotReported("ZD-DF-004", Good + "\nRUN curl -fsSLo /tmp/i.sh https://x.example/i.sh && sha256sum -c i.sha && sh /tmp/i.sh");
    }

    [Fact]
    public void ZD_DF_005_secrets_in_env_or_arg()
    {
        Reported("ZD-DF-005", Good + "\nENV DB_PASSWORD=hunter2 LOG=debug", 13, 5);
        Reported("ZD-DF-005", Good + "\nENV GITHUB_TOKEN ghp_abc", 13);  // legacy form
        Reported("ZD-DF-005", Good + "\nARG LOG=1 NPM_TOKEN=abc", 13, 11);
        NotReported("ZD-DF-005", Good + "\nARG NPM_TOKEN\nENV API_KEY_FILE=/run/secrets/key TOKEN=$NPM_TOKEN");
    }

    [Fact]
    public void ZD_DF_006_sudo()
    {
        Reported("ZD-DF-006", Good + "\nRUN make && sudo make install", 13, 13);
        NotReported("ZD-DF-006", Good + "\nRUN echo pseudocode > /x && make sudoers-check");
    }

    [Fact]
    public void ZD_DF_007_package_cache_left()
    {
        Reported("ZD-DF-007", Good.Replace("\\\n    && rm -rf /var/lib/apt/lists/*", "", StringComparison.Ordinal), 6);
        Reported("ZD-DF-007", Good + "\nRUN apk add curl", 13, 5);
        Reported("ZD-DF-007", Good + "\nRUN dnf -y install git", 13);
        NotReported("ZD-DF-007", Good + "\nRUN apk add --no-cache curl\nRUN yum install -y git && yum clean all");
        NotReported("ZD-DF-007", Good + "\nRUN --mount=type=cache,target=/var/cache/apt apt-get install -y git");
    }

    [Fact]
    public void ZD_DF_008_no_healthcheck()
    {
        Reported("ZD-DF-008", Good.Replace("HEALTHCHECK CMD [\"/app\", \"health\"]\n", "", StringComparison.Ordinal), 5);
        NotReported("ZD-DF-008", Good.Replace("HEALTHCHECK CMD [\"/app\", \"health\"]", "HEALTHCHECK NONE", StringComparison.Ordinal));
    }

    [Fact]
    public void ZD_DF_009_ssh_port()
    {
        Reported("ZD-DF-009", Good.Replace("EXPOSE 8080", "EXPOSE 8080 22/tcp", StringComparison.Ordinal), 9, 13);
        Reported("ZD-DF-009", Good.Replace("EXPOSE 8080", "EXPOSE 20-25", StringComparison.Ordinal), 9);
        NotReported("ZD-DF-009", Good.Replace("EXPOSE 8080", "EXPOSE 2222 220", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_dockerfile_check_is_tested()
    {
        var tested = typeof(DockerfileTests).GetMethods().Select(m => m.Name).Where(n => n.StartsWith("ZD_DF_", StringComparison.Ordinal))
            .Select(n => n[..9].Replace('_', '-')).ToHashSet();
        Assert.Equal(Checks.All.Select(c => c.Id).Where(id => id.StartsWith("ZD-DF-", StringComparison.Ordinal)).ToHashSet(), tested);
    }

    [Fact]
    public void Parser_handles_directives_continuations_comments_heredocs_and_json_form()
    {
        const string text = "# syntax=docker/dockerfile:1.7\n# escape=`\n\nFROM alpine:3.20\nRUN echo a `\n# a comment inside\n\n    && echo b\n" +
                            "COPY <<-EOT /etc/motd\n\thello\n\tEOT\nRUN <<A <<\"B\"\na\nA\nb\nB\nCMD [\"sh\", \"-c\", \"echo $HOME\"]\nENV X=\"a b\" Y=c\\ d\n";
        var file = DockerfileParser.Parse(text);
        Assert.Equal('`', file.Escape);
        Assert.Equal("docker/dockerfile:1.7", file.Directives["syntax"]);
        Assert.Equal(["FROM", "RUN", "COPY", "RUN", "CMD", "ENV"], file.Instructions.Select(i => i.Keyword));
        var run = file.Instructions[1];
        Assert.Equal(5, run.Line);
        Assert.Equal("echo a     && echo b", run.Arguments);
        Assert.Equal((8, 5), run.PositionOf(run.Arguments.IndexOf("&&", StringComparison.Ordinal)));
        var copy = file.Instructions[2];
        Assert.Equal(["hello"], Assert.Single(copy.Heredocs).Lines);
        var twoDocs = file.Instructions[3];
        Assert.Equal(["A", "B"], twoDocs.Heredocs.Select(h => h.Delimiter));
        Assert.Equal(12, twoDocs.Line);
        Assert.Equal(["sh", "-c", "echo $HOME"], file.Instructions[4].JsonArgs);
        Assert.Equal(17, file.Instructions[4].Line);
        Assert.Equal(["X=a b", "Y=c d"], DockerfileParser.Words(file.Instructions[5].Arguments, '\\'));
    }

    [Fact]
    public void A_directive_after_a_comment_is_a_comment()
    {
        var file = DockerfileParser.Parse("# hello\n# escape=`\nFROM alpine:3.20\nRUN echo a \\\n  b\n");
        Assert.Equal('\\', file.Escape);
        Assert.Equal("echo a   b", file.Instructions[1].Arguments);
    }

    [Theory]
    [InlineData("Dockerfile")]
    [InlineData("Containerfile")]
    [InlineData("Dockerfile.prod")]
    [InlineData("api.dockerfile")]
    public void Dockerfile_names_are_recognized(string name) =>
        Assert.Equal(MisconfigDetector.FileKind.Dockerfile, MisconfigDetector.KindOf("/repo/" + name));
}
