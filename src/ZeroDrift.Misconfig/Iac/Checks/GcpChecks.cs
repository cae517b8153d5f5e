using ZeroDrift.Core;
using ZeroDrift.Misconfig.Documents;
using static ZeroDrift.Misconfig.Iac.Checks.CheckBuilder;

namespace ZeroDrift.Misconfig.Iac.Checks;

/// <summary>GCP checks over Terraform (google provider) resources.</summary>
internal static class GcpChecks
{
    private const string Cis = "CIS GCP Foundations v2.0.0";
    private static readonly string[] Public = ["allUsers", "allAuthenticatedUsers"];

    public static IEnumerable<IacCheck> All() =>
    [
        Make("ZD-GCP-001", "Firewall allows SSH from the internet", Severity.High, "An ingress rule allows 0.0.0.0/0 to port 22.",
            "Restrict source_ranges to known networks, or use IAP TCP forwarding (35.235.240.0/20).", $"{Cis} 3.6", "CKV_GCP_2", ("google_compute_firewall", (r, _) => Firewall(r, 22))),
        Make("ZD-GCP-002", "Firewall allows RDP from the internet", Severity.High, "An ingress rule allows 0.0.0.0/0 to port 3389.",
            "Restrict source_ranges to known networks.", $"{Cis} 3.7", "CKV_GCP_3", ("google_compute_firewall", (r, _) => Firewall(r, 3389))),
        Make("ZD-GCP-003", "Bucket without uniform bucket-level access", Severity.Medium, "Object ACLs can grant access that bucket IAM does not show.",
            "Set uniform_bucket_level_access = true.", $"{Cis} 5.2", "CKV_GCP_29",
            ("google_storage_bucket", MustBeTrue("uniform_bucket_level_access", false, "uniform_bucket_level_access is not true"))),
        Make("ZD-GCP-004", "Bucket readable by everyone", Severity.Critical, "An IAM member or binding grants allUsers or allAuthenticatedUsers access to the bucket.",
            "Remove allUsers and allAuthenticatedUsers from the bucket's IAM.", $"{Cis} 5.1", "CKV_GCP_28",
            ("google_storage_bucket_iam_member", (r, _) => Members(r.Attributes["member"])), ("google_storage_bucket_iam_binding", (r, _) => Members(r.Attributes["members"])),
            ("google_storage_bucket_access_control", (r, _) => Members(r.Attributes["entity"])), ("google_storage_default_object_access_control", (r, _) => Members(r.Attributes["entity"]))),
        Make("ZD-GCP-005", "Cloud SQL open to the internet", Severity.Critical, "An authorized network of the instance is 0.0.0.0/0.",
            "Remove 0.0.0.0/0 from ip_configuration.authorized_networks; use private IP or the Cloud SQL proxy.", $"{Cis} 6.5", "CKV_GCP_11",
            ("google_sql_database_instance", (r, _) => V.All(V.Get(r.Attributes, "settings.ip_configuration"), "authorized_networks").Where(n => V.Str(n["value"]) is "0.0.0.0/0" or "0.0.0.0").Take(1).Select(n => new IacFail("an authorized network is 0.0.0.0/0", n["value"])))),
        Make("ZD-GCP-006", "Cloud SQL does not require SSL", Severity.High, "Clients may connect without TLS.",
            "Set settings.ip_configuration.ssl_mode = \"ENCRYPTED_ONLY\" (or require_ssl = true).", $"{Cis} 6.4", "CKV_GCP_6",
            ("google_sql_database_instance", (r, _) =>
            {
                var ip = V.Get(r.Attributes, "settings.ip_configuration");
                var mode = V.Str(ip?["ssl_mode"]);
                if (mode is "ENCRYPTED_ONLY" or "TRUSTED_CLIENT_CERTIFICATE_REQUIRED" || V.IsTrue(ip?["require_ssl"]) || V.Unknown(ip?["require_ssl"]) || V.Unknown(ip?["ssl_mode"])) return Pass;
                return Fail("SSL is not required", ip?["require_ssl"] ?? ip?["ssl_mode"] ?? ip);
            })),
        Make("ZD-GCP-007", "KMS key rotated less often than every 90 days", Severity.Medium, "rotation_period is missing or longer than 90 days.",
            "Set rotation_period = \"7776000s\" or shorter.", $"{Cis} 1.10", "CKV_GCP_43",
            ("google_kms_crypto_key", (r, _) =>
            {
                var p = r.Attributes["rotation_period"];
                // Only symmetric encryption keys rotate automatically; asymmetric keys cannot have a rotation period.
                if (V.Unknown(p) || (V.Str(r.Attributes["purpose"]) ?? "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT") return Pass;
                var s = V.Str(p);
                if (s is null) return Fail("no rotation_period");
                return s.EndsWith('s') && double.TryParse(s[..^1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds <= 7776000 ? Pass : Fail($"rotation_period {s} is longer than 90 days", p);
            })),
        Make("ZD-GCP-008", "Instance serial port enabled", Severity.Medium, "metadata serial-port-enable is true: the interactive serial console accepts connections.",
            "Remove serial-port-enable or set it to false.", $"{Cis} 4.5", "CKV_GCP_35",
            ("google_compute_instance", (r, _) => V.IsTrue(V.Get(r.Attributes, "metadata.serial-port-enable")) ? Fail("serial-port-enable is true", V.Get(r.Attributes, "metadata.serial-port-enable")) : Pass)),
        Make("ZD-GCP-009", "Instance with a public IP address", Severity.Medium, "A network interface has an access_config: the instance gets an external address.",
            "Remove access_config; reach the instance through IAP or a load balancer.", $"{Cis} 4.9", "CKV_GCP_40",
            ("google_compute_instance", (r, _) => V.All(r.Attributes, "network_interface").Where(n => n["access_config"] is SeqNode { Children.Count: > 0 }).Take(1).Select(n => new IacFail("a network interface has an access_config", n["access_config"])))),
        Make("ZD-GCP-010", "Instance uses the default service account with full API access", Severity.High, "The default compute service account with the cloud-platform scope can do anything the project's editors can.",
            "Use a dedicated service account with the scopes it needs.", $"{Cis} 4.2", "CKV_GCP_31",
            ("google_compute_instance", (r, _) =>
            {
                // A block is a list of maps: the check reads the (single) service_account block, not the list.
                var sa = V.All(r.Attributes, "service_account").FirstOrDefault();
                // Nodes GKE creates are named gke-…: their service account is GKE's to set (Checkov skips them too).
                if (sa is null || V.Str(r.Attributes["name"])?.StartsWith("gke-", StringComparison.Ordinal) == true) return Pass;
                var email = V.Str(sa["email"]);
                var defaultSa = email is null && !V.Unknown(sa["email"]) || email?.EndsWith("-compute@developer.gserviceaccount.com", StringComparison.Ordinal) == true;
                return defaultSa && V.Strings(sa["scopes"]).Any(s => s is "cloud-platform" or "https://www.googleapis.com/auth/cloud-platform") ? Fail("the default service account has the cloud-platform scope", sa["scopes"]) : Pass;
            })),
        Make("ZD-GCP-011", "GKE legacy ABAC enabled", Severity.High, "Legacy attribute-based access control grants broad, static permissions.",
            "Set enable_legacy_abac = false.", null, "CKV_GCP_7", ("google_container_cluster", MustBeFalse("enable_legacy_abac", false, "enable_legacy_abac is true"))),
        Make("ZD-GCP-012", "GKE control plane without authorized networks", Severity.Medium, "No master_authorized_networks_config: the API endpoint accepts connections from any address.",
            "Add master_authorized_networks_config with the admin networks.", null, "CKV_GCP_20",
            ("google_container_cluster", (r, _) => r.Attributes["master_authorized_networks_config"] is null ? Fail("no master_authorized_networks_config") : Pass)),
        Make("ZD-GCP-013", "GKE logging disabled", Severity.Medium, "logging_service is \"none\": the cluster's logs go nowhere.",
            "Remove logging_service or set it to logging.googleapis.com/kubernetes.", null, "CKV_GCP_1",
            ("google_container_cluster", (r, _) => V.Str(r.Attributes["logging_service"]) == "none" ? Fail("logging_service is none", r.Attributes["logging_service"]) : Pass)),
        Make("ZD-GCP-014", "Bucket versioning off", Severity.Low, "Overwritten or deleted objects cannot be recovered.",
            "Add versioning { enabled = true }.", null, "CKV_GCP_78", ("google_storage_bucket", MustBeTrue("versioning.enabled", false, "versioning is not enabled"))),
        Make("ZD-GCP-015", "Bucket access logging off", Severity.Low, "Requests to the bucket leave no usage log.",
            "Add logging { log_bucket = … }.", null, "CKV_GCP_62", ("google_storage_bucket", MustBeSet("logging", "no logging block"))),
        Make("ZD-GCP-016", "Disk not encrypted with a customer key", Severity.Low, "The disk uses Google-managed keys only.",
            "Set disk_encryption_key with kms_key_self_link (or raw_key).", $"{Cis} 4.7", "CKV_GCP_37", ("google_compute_disk", MustBeSet("disk_encryption_key", "no disk_encryption_key"))),
        Make("ZD-GCP-017", "BigQuery dataset readable by everyone", Severity.Critical, "An access entry grants allUsers or allAuthenticatedUsers.",
            "Remove the public access entries.", $"{Cis} 7.1", "CKV_GCP_15",
            ("google_bigquery_dataset", (r, _) => V.All(r.Attributes, "access").Where(PublicDatasetAccess).Take(1).Select(a => new IacFail("an access entry is public", a)))),
    ];

    /// <summary>Who a dataset access entry grants to; an entry naming none of them (a role alone) is not limited to
    /// anyone, which Checkov also counts as public.</summary>
    private static readonly string[] DatasetGrantees = ["special_group", "user_by_email", "group_by_email", "domain", "view", "routine", "dataset", "iam_member"];

    private static bool PublicDatasetAccess(DocNode a) =>
        V.Str(a["special_group"]) is "allAuthenticatedUsers" or "allUsers" || V.Str(a["iam_member"]) is "allUsers" or "allAuthenticatedUsers"
        || a is MapNode m && !m.Pairs.Any(p => DatasetGrantees.Contains(p.Key));

    private static IEnumerable<IacFail> Members(DocNode? members) =>
        V.Strings(members).FirstOrDefault(m => Public.Contains(m)) is { } p ? Fail($"{p} is granted access", members) : Pass;

    private static IEnumerable<IacFail> Firewall(IacResource r, int port)
    {
        var a = r.Attributes;
        if ((V.Str(a["direction"]) ?? "INGRESS") != "INGRESS" || V.IsTrue(a["disabled"])) return Pass;
        var world = V.Strings(a["source_ranges"]).FirstOrDefault(V.IsWorld);
        if (world is null) return Pass;
        foreach (var allow in V.All(a, "allow"))
        {
            var protocol = V.Str(allow["protocol"])?.ToLowerInvariant();
            if (protocol is not ("tcp" or "all")) continue;
            var ports = V.Strings(allow["ports"]).ToList();
            if (allow["ports"] is null || protocol == "all") return Fail($"allows {world} on every port", allow);
            foreach (var p in ports)
            {
                var parts = p.Split('-');
                if (int.TryParse(parts[0], out var lo) && int.TryParse(parts[^1], out var hi) && lo <= port && port <= hi)
                    return Fail($"allows {world} to port {port}", allow["ports"]);
            }
        }
        return Pass;
    }
}
