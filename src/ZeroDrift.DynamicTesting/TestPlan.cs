namespace ZeroDrift.DynamicTesting;

/// <summary>A destination the workload may reach from the sandbox (<c>--allow-egress HOST:PORT</c>).</summary>
public sealed record EgressAllowance(string Host, int Port)
{
    public static EgressAllowance Parse(string value)
    {
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new FormatException($"--allow-egress {value}: expected HOST:PORT");
        return new EgressAllowance(value[..colon].Trim('[', ']'), port);
    }

    public override string ToString() => $"{Host}:{Port}";
}

/// <summary>What <c>zerodrift test IMAGE</c> was asked to do, validated by the command.</summary>
public sealed record TestPlan
{
    /// <summary>A local image reference (podman's storage; nothing is pulled).</summary>
    public required string Image { get; init; }

    /// <summary>A script run on the host beside the sandbox, with the container's address in its environment.</summary>
    public string? ExerciseScript { get; init; }

    /// <summary>URL paths requested with GET on the container's port.</summary>
    public IReadOnlyList<string> Probes { get; init; } = [];

    /// <summary>An OpenAPI 3 document (JSON or YAML) whose operations are called with the document's examples.</summary>
    public string? OpenApi { get; init; }

    /// <summary>The longest the sandbox runs; the test ends earlier when the exercise and probes are done.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The container's HTTP port (probes, OpenAPI, the HTTP baseline); null: no HTTP surface is tested.</summary>
    public int? Port { get; init; }

    public IReadOnlyList<EgressAllowance> AllowedEgress { get; init; } = [];

    /// <summary>Falco rule files loaded after ZeroDrift's built-in rules.</summary>
    public IReadOnlyList<string> RuleFiles { get; init; } = [];

    public bool DefaultRules { get; init; } = true;
}
