using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using ZeroDrift.Server.Client;
using ZeroDrift.Server.Storage;

namespace ZeroDrift.Server.Metrics;

/// <summary>This replica's counters (requests, ingested records) and the Prometheus text exposition (version 0.0.4).</summary>
public sealed class ServerMetrics
{
    private readonly ConcurrentDictionary<(string Method, string Route, int Status), long> _requests = new();
    private readonly ConcurrentDictionary<string, long> _ingested = new(StringComparer.Ordinal);

    public void Request(string method, string route, int status) => _requests.AddOrUpdate((method, route, status), 1, (_, n) => n + 1);
    public void Ingested(string kind, long count) { if (count > 0) _ingested.AddOrUpdate(kind, count, (_, n) => n + count); }
    public long IngestedCount(string kind) => _ingested.TryGetValue(kind, out var n) ? n : 0;

    /// <param name="seed">The seed's numbers over all time.</param>
    /// <param name="hosts">The nodes agents registered, with how each enforces Protect.</param>
    public string Render(SeedNumbers seed, IReadOnlyList<HostView> hosts)
    {
        var sb = new StringBuilder();
        void Family(string name, string type, string help)
        {
            sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
            sb.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        }
        void Sample(string name, string labels, double value) =>
            sb.Append(name).Append(labels.Length > 0 ? "{" + labels + "}" : "").Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');

        Family("zerodrift_http_requests_total", "counter", "HTTP requests answered by this replica.");
        foreach (var ((method, route, status), n) in _requests.OrderBy(k => k.Key.Route, StringComparer.Ordinal).ThenBy(k => k.Key.Status))
            Sample("zerodrift_http_requests_total", $"method=\"{method}\",route=\"{Escape(route)}\",status=\"{status}\"", n);
        Family("zerodrift_ingested_total", "counter", "Records ingested by this replica, by kind.");
        foreach (var (kind, n) in _ingested.OrderBy(k => k.Key, StringComparer.Ordinal))
            Sample("zerodrift_ingested_total", $"kind=\"{kind}\"", n);

        Family("zerodrift_incidents_open", "gauge", "Incidents not resolved.");
        Sample("zerodrift_incidents_open", "", seed.IncidentsOpen);
        Family("zerodrift_risks_found_before_deployment", "gauge", "Vulnerabilities, secrets, PII and misconfigurations first found by a build or registry scan, and deployments refused at admission.");
        Sample("zerodrift_risks_found_before_deployment", "", seed.RisksFoundBeforeDeployment);
        Family("zerodrift_risks_found_before_deployment_by_kind", "gauge", "The same, by what was found.");
        Sample("zerodrift_risks_found_before_deployment_by_kind", "kind=\"vulnerability\"", seed.RisksBeforeDeploymentByKind.Vulnerabilities);
        Sample("zerodrift_risks_found_before_deployment_by_kind", "kind=\"content\"", seed.RisksBeforeDeploymentByKind.ContentFindings);
        Sample("zerodrift_risks_found_before_deployment_by_kind", "kind=\"admission_denied\"", seed.RisksBeforeDeploymentByKind.DeploymentsDenied);
        Family("zerodrift_vulnerabilities_fixed", "gauge", "Vulnerabilities present in one scan and gone in a later scan of the same workload.");
        Sample("zerodrift_vulnerabilities_fixed", "severity=\"critical\"", seed.FixedCritical);
        Sample("zerodrift_vulnerabilities_fixed", "severity=\"high\"", seed.FixedHigh);
        Sample("zerodrift_vulnerabilities_fixed", "severity=\"medium\"", seed.FixedMedium);
        Quantiles("zerodrift_vulnerability_response_seconds", "First seen to fixed.", seed.VulnerabilityResponse);
        Family("zerodrift_vulnerabilities_fixed_by_source", "gauge", "Vulnerabilities fixed, by who fixed them: zerodrift (a rescan of an image it patched, a dependency fix reported back) or scan (only seen gone in a later scan).");
        foreach (var (source, counts) in new[] { ("zerodrift", seed.FixedByZeroDrift), ("scan", seed.FixedSeenInLaterScans) })
        {
            Sample("zerodrift_vulnerabilities_fixed_by_source", $"source=\"{source}\",severity=\"critical\"", counts.Critical);
            Sample("zerodrift_vulnerabilities_fixed_by_source", $"source=\"{source}\",severity=\"high\"", counts.High);
            Sample("zerodrift_vulnerabilities_fixed_by_source", $"source=\"{source}\",severity=\"medium\"", counts.Medium);
            Sample("zerodrift_vulnerabilities_fixed_by_source", $"source=\"{source}\",severity=\"all\"", counts.Total);
        }
        Quantiles("zerodrift_vulnerability_response_by_zerodrift_seconds", "First seen to fixed, for the fixes ZeroDrift made.", seed.VulnerabilityResponseByZeroDrift);
        Quantiles("zerodrift_vulnerability_response_seen_in_scans_seconds", "First seen to fixed, for fixes only seen in later scans.", seed.VulnerabilityResponseSeenInLaterScans);
        Quantiles("zerodrift_time_to_detect_seconds", "Offending kernel event to alert.", seed.TimeToDetect);
        Quantiles("zerodrift_time_to_block_seconds", "First offending kernel event to automatic containment.", seed.TimeToBlock);
        Family("zerodrift_manual_intervention_seconds_total", "gauge", "Time people spent on incidents: first human action to resolution.");
        Sample("zerodrift_manual_intervention_seconds_total", "", seed.ManualInterventionSeconds);
        Family("zerodrift_incidents_closed_automatically", "gauge", "Incidents contained by automation without a person.");
        Sample("zerodrift_incidents_closed_automatically", "", seed.IncidentsClosedAutomatically);
        Family("zerodrift_attacks_blocked", "gauge", "Incidents contained automatically (blocked at the source or by a playbook).");
        Sample("zerodrift_attacks_blocked", "", seed.AttacksBlocked);

        // A state set per node: one series per mode, 1 for the node's, so `zerodrift_agent_enforcement{mode="kernel"} == 0`
        // alerts on any node that degraded. Nodes whose agent does not report enforcement have no series.
        var reporting = hosts.Where(h => h.Enforcement is not null).ToList();
        Family("zerodrift_agent_enforcement", "gauge", "How each node's agent enforces Protect: 1 for its mode (kernel; user-space: best effort, after the event; none: alerts only), 0 for the others.");
        foreach (var host in reporting)
            foreach (var mode in WireEnumConverter<EnforcementKind>.Names)
                Sample("zerodrift_agent_enforcement", $"node=\"{Escape(host.Name)}\",mode=\"{mode}\"", mode == WireEnumConverter<EnforcementKind>.Name(host.Enforcement!.Mode) ? 1 : 0);
        Family("zerodrift_agent_enforcement_degraded_info", "gauge", "Nodes whose agent does not enforce Protect in the kernel, and why.");
        foreach (var host in reporting.Where(h => h.Enforcement!.Degraded))
            Sample("zerodrift_agent_enforcement_degraded_info",
                $"node=\"{Escape(host.Name)}\",mode=\"{WireEnumConverter<EnforcementKind>.Name(host.Enforcement!.Mode)}\",reason=\"{Escape(host.Enforcement.Reason ?? "")}\"", 1);
        Family("zerodrift_agent_bpffs_mounted_by_agent", "gauge", "1 where the agent mounted the BPF filesystem its kernel enforcement is pinned on (none was mounted at boot).");
        foreach (var host in reporting)
            Sample("zerodrift_agent_bpffs_mounted_by_agent", $"node=\"{Escape(host.Name)}\"", host.Enforcement!.MountedBpfFs ? 1 : 0);
        return sb.ToString();

        void Quantiles(string name, string help, Distribution d)
        {
            Family(name, "gauge", help);
            if (d.MedianSeconds is { } m) Sample(name, "quantile=\"0.5\"", m);
            if (d.P90Seconds is { } p) Sample(name, "quantile=\"0.9\"", p);
            Sample(name + "_count", "", d.Count);
        }
    }

    /// <summary>A label value as the text format requires: backslash, double quote and line feed escaped.</summary>
    private static string Escape(string s) =>
        s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
