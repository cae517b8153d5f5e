namespace ZeroDrift.Misconfig.Tests;

public class ComposeTests
{
    private const string Good = """
        services:
          web:
            image: nginx:1.27
            ports:
              - "8080:80"
            environment:
              LOG_LEVEL: info
              DB_PASSWORD_FILE: /run/secrets/db
            cap_drop: [ALL]
            cap_add: [NET_BIND_SERVICE]
          db:
            image: postgres:17
            ports:
              - "127.0.0.1:5432:5432"
            volumes:
              - data:/var/lib/postgresql/data
        volumes:
          data: {}
        """;

    public static TheoryData<string, string> Failing => new()
    {
        { "ZD-DC-001", "services:\n  app:\n    image: a:1\n    privileged: true # <-\n" },
        { "ZD-DC-002", "services:\n  app:\n    image: a:1\n    network_mode: host # <-\n" },
        { "ZD-DC-002", "services:\n  app:\n    image: a:1\n    pid: \"host\" # <-\n" },
        { "ZD-DC-002", "services:\n  app:\n    image: a:1\n    ipc: host # <-\n" },
        { "ZD-DC-003", "services:\n  app:\n    image: a:1\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock:ro # <-\n" },
        { "ZD-DC-003", "services:\n  app:\n    image: a:1\n    volumes:\n      - type: bind\n        source: /run/containerd/containerd.sock # <-\n        target: /c.sock\n" },
        { "ZD-DC-004", "services:\n  app:\n    image: a:1\n    cap_add:\n      - SYS_ADMIN # <-\n" },
        { "ZD-DC-004", "services:\n  app:\n    image: a:1\n    cap_add: [CAP_NET_ADMIN] # <-\n" },
        { "ZD-DC-005", "services:\n  app:\n    image: a:1\n    environment:\n      POSTGRES_PASSWORD: example # <-\n" },
        { "ZD-DC-005", "services:\n  app:\n    image: a:1\n    environment:\n      - LOG=1\n      - API_KEY=abc123 # <-\n" },
        { "ZD-DC-006", "services:\n  db:\n    image: postgres:17\n    ports:\n      - \"5432:5432\" # <-\n" },
        { "ZD-DC-006", "services:\n  cache:\n    image: redis:7\n    ports:\n      - 0.0.0.0:6379:6379/tcp # <-\n" },
        { "ZD-DC-006", "services:\n  db:\n    image: mongo:8\n    ports:\n      - target: 27017 # <-\n        published: \"27017\"\n" },
        { "ZD-DC-006", "services:\n  db:\n    image: mysql:8\n    ports:\n      - \"3306\" # <-\n" },
    };

    public static TheoryData<string, string> Passing => new()
    {
        { "ZD-DC-001", "services:\n  app:\n    image: a:1\n    privileged: false\n" },
        { "ZD-DC-002", "services:\n  app:\n    image: a:1\n    network_mode: bridge\n    pid: service:other\n" },
        { "ZD-DC-003", "services:\n  app:\n    image: a:1\n    volumes:\n      - ./conf:/etc/app:ro\n      - type: volume\n        source: data\n        target: /data\nvolumes:\n  data: {}\n" },
        { "ZD-DC-004", "services:\n  app:\n    image: a:1\n    cap_add: [NET_BIND_SERVICE, CHOWN]\n" },
        { "ZD-DC-005", "services:\n  app:\n    image: a:1\n    environment:\n      - DB_PASSWORD_FILE=/run/secrets/db\n      - TOKEN=${TOKEN}\n      - SECRET\n" },
        { "ZD-DC-006", "services:\n  db:\n    image: postgres:17\n    ports:\n      - \"127.0.0.1:5432:5432\"\n      - target: 6379\n        host_ip: 127.0.0.1\n      - \"8080:80\"\n" },
    };

    [Theory]
    [MemberData(nameof(Failing))]
    public void Failing_example_is_reported_at_its_line(string checkId, string yaml) => Scan.AssertReportedAtMarker(checkId, "docker-compose.yml", yaml);

    [Theory]
    [MemberData(nameof(Passing))]
    public void Passing_example_is_not_reported(string checkId, string yaml) => Scan.AssertNotReported(checkId, "compose.yaml", yaml);

    [Fact]
    public void Every_compose_check_has_a_failing_and_a_passing_example()
    {
        var ids = Checks.All.Select(c => c.Id).Where(id => id.StartsWith("ZD-DC-", StringComparison.Ordinal)).ToHashSet();
        Assert.Equal(ids, Failing.Select(r => (string)r[0]).ToHashSet());
        Assert.Equal(ids, Passing.Select(r => (string)r[0]).ToHashSet());
    }

    [Fact]
    public void Good_compose_file_has_no_findings() => Assert.Empty(Scan.Text("compose.yaml", Good));

    [Theory]
    [InlineData("compose.yaml")]
    [InlineData("compose.yml")]
    [InlineData("docker-compose.yml")]
    [InlineData("docker-compose.prod.yaml")]
    [InlineData("compose.override.yml")]
    public void Compose_names_are_recognized(string name) =>
        Assert.Equal(MisconfigDetector.FileKind.Compose, MisconfigDetector.KindOf("/repo/" + name));

    [Fact]
    public void Yaml_anchors_and_merge_keys_are_followed()
    {
        const string yaml = "x-base: &base\n  privileged: true\nservices:\n  a:\n    <<: *base\n    image: a:1\n";
        var finding = Assert.Single(Scan.Text("compose.yaml", yaml));
        Assert.Equal("ZD-DC-001", finding.RuleId);
        Assert.Equal(2, finding.Span!.StartLine); // where the value is written
    }
}
