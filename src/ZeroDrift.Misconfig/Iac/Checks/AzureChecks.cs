using ZeroDrift.Core;
using ZeroDrift.Misconfig.Documents;
using static ZeroDrift.Misconfig.Iac.Checks.CheckBuilder;

namespace ZeroDrift.Misconfig.Iac.Checks;

/// <summary>Azure checks over Terraform (azurerm) and ARM template resources.</summary>
internal static class AzureChecks
{
    private const string Cis = "CIS Azure Foundations v2.0.0";
    private const string Storage = "Microsoft.Storage/storageAccounts";
    private const string Nsg = "Microsoft.Network/networkSecurityGroups";

    public static IEnumerable<IacCheck> All() =>
    [
        Make("ZD-AZ-001", "Storage account accepts HTTP", Severity.High, "Secure transfer is not required: data travels to the account in clear text.",
            "Set https_traffic_only_enabled (enable_https_traffic_only) = true.", $"{Cis} 3.1", "CKV_AZURE_3",
            ("azurerm_storage_account", (r, c) => MustBeTrue(r.Attributes["https_traffic_only_enabled"] is not null ? "https_traffic_only_enabled" : "enable_https_traffic_only", true, "HTTPS-only traffic is off")(r, c)),
            (Storage, MustBeTrue("supportsHttpsTrafficOnly", true, "supportsHttpsTrafficOnly is false"))),
        Make("ZD-AZ-002", "Storage account allows TLS below 1.2", Severity.Medium, "min_tls_version is below TLS1_2.",
            "Set min_tls_version = \"TLS1_2\".", $"{Cis} 3.15", "CKV_AZURE_44",
            ("azurerm_storage_account", (r, _) => Tls(r.Attributes["min_tls_version"], "TLS1_2")), (Storage, (r, _) => Tls(r.Attributes["minimumTlsVersion"], "TLS1_0"))),
        Make("ZD-AZ-003", "Storage account allows public blob access", Severity.High, "Containers of the account may be made readable anonymously.",
            "Set allow_nested_items_to_be_public (allow_blob_public_access) = false.", $"{Cis} 3.7", "CKV_AZURE_190",
            ("azurerm_storage_account", (r, c) => MustBeFalse(r.Attributes["allow_blob_public_access"] is not null ? "allow_blob_public_access" : "allow_nested_items_to_be_public", true, "public access to nested items is allowed")(r, c)),
            (Storage, MustBeFalse("allowBlobPublicAccess", false, "allowBlobPublicAccess is true"))),
        Make("ZD-AZ-004", "Storage container readable anonymously", Severity.High, "container_access_type is blob or container: anyone can read its blobs.",
            "Set container_access_type = \"private\".", $"{Cis} 3.7", "CKV_AZURE_34",
            ("azurerm_storage_container", (r, _) => V.Str(r.Attributes["container_access_type"]) is "blob" or "container" ? Fail($"container_access_type is {V.Str(r.Attributes["container_access_type"])}", r.Attributes["container_access_type"]) : Pass),
            ($"{Storage}/blobServices/containers", (r, _) => V.Str(r.Attributes["publicAccess"]) is "Blob" or "Container" ? Fail($"publicAccess is {V.Str(r.Attributes["publicAccess"])}", r.Attributes["publicAccess"]) : Pass)),
        Make("ZD-AZ-005", "Network security group allows SSH from the internet", Severity.High, "An inbound Allow rule admits any source (*, 0.0.0.0/0, Internet) to port 22.",
            "Restrict source_address_prefix to known networks, or use Azure Bastion.", $"{Cis} 6.2", "CKV_AZURE_10", NsgEvaluators(22)),
        Make("ZD-AZ-006", "Network security group allows RDP from the internet", Severity.High, "An inbound Allow rule admits any source to port 3389.",
            "Restrict source_address_prefix to known networks, or use Azure Bastion.", $"{Cis} 6.1", "CKV_AZURE_9", NsgEvaluators(3389)),
        Make("ZD-AZ-007", "SQL firewall open to the internet", Severity.High, "A firewall rule admits 0.0.0.0 to 255.255.255.255.",
            "Allow only the addresses that need the database.", $"{Cis} 4.1.2", "CKV_AZURE_11",
            ("azurerm_sql_firewall_rule", SqlFirewall), ("azurerm_mssql_firewall_rule", SqlFirewall), ("azurerm_mariadb_firewall_rule", SqlFirewall), ("azurerm_mysql_firewall_rule", SqlFirewall), ("azurerm_postgresql_firewall_rule", SqlFirewall),
            ("Microsoft.Sql/servers/firewallRules", (r, _) => V.Str(r.Attributes["startIpAddress"]) == "0.0.0.0" && V.Str(r.Attributes["endIpAddress"]) == "255.255.255.255" ? Fail("the rule admits every address", r.Attributes["startIpAddress"]) : Pass)),
        Make("ZD-AZ-008", "SQL server reachable from public networks", Severity.Medium, "public_network_access_enabled is not false (the default is true).",
            "Set public_network_access_enabled = false and use private endpoints.", null, "CKV_AZURE_113",
            ("azurerm_mssql_server", MustBeFalse("public_network_access_enabled", true, "public network access is enabled")),
            ("Microsoft.Sql/servers", (r, _) => V.Str(r.Attributes["publicNetworkAccess"]) is null or "Enabled" && !V.Unknown(r.Attributes["publicNetworkAccess"]) ? Fail("publicNetworkAccess is not Disabled", r.Attributes["publicNetworkAccess"]) : Pass)),
        Make("ZD-AZ-009", "Key Vault without purge protection", Severity.Medium, "A deleted vault or key can be purged at once: its keys are lost for good.",
            "Set purge_protection_enabled = true.", $"{Cis} 8.5", "CKV_AZURE_110",
            ("azurerm_key_vault", MustBeTrue("purge_protection_enabled", false, "purge_protection_enabled is not true")),
            ("Microsoft.KeyVault/vaults", MustBeTrue("enablePurgeProtection", false, "enablePurgeProtection is not true"))),
        Make("ZD-AZ-010", "Key Vault key without expiry", Severity.Medium, "The key has no expiration date: it is never forced to rotate.",
            "Set expiration_date.", $"{Cis} 8.1", "CKV_AZURE_40", ("azurerm_key_vault_key", MustBeSet("expiration_date", "no expiration_date"))),
        Make("ZD-AZ-011", "Managed disk encryption settings disabled", Severity.Medium, "encryption_settings are present with enabled = false.",
            "Enable encryption_settings (or use a disk encryption set).", "CIS Azure Foundations v2.0.0 7.3", "CKV_AZURE_2",
            ("azurerm_managed_disk", (r, _) => V.IsFalse(V.Get(r.Attributes, "encryption_settings.enabled")) ? Fail("encryption_settings.enabled is false", V.Get(r.Attributes, "encryption_settings.enabled")) : Pass)),
        Make("ZD-AZ-012", "AKS cluster without Kubernetes RBAC", Severity.High, "role_based_access_control_enabled is false: every authenticated user is cluster-admin.",
            "Set role_based_access_control_enabled = true.", null, "CKV_AZURE_5",
            ("azurerm_kubernetes_cluster", (r, c) => r.Attributes["role_based_access_control"] is not null
                ? MustBeTrue("role_based_access_control.enabled", true, "role_based_access_control.enabled is false")(r, c)
                : MustBeTrue("role_based_access_control_enabled", true, "role_based_access_control_enabled is false")(r, c)),
            ("Microsoft.ContainerService/managedClusters", MustBeTrue("enableRBAC", true, "enableRBAC is false"))),
        Make("ZD-AZ-013", "App Service accepts HTTP", Severity.Medium, "https_only is not true.",
            "Set https_only = true.", $"{Cis} 9.2", "CKV_AZURE_14",
            ("azurerm_app_service", MustBeTrue("https_only", false, "https_only is not true")), ("azurerm_linux_web_app", MustBeTrue("https_only", false, "https_only is not true")),
            ("azurerm_windows_web_app", MustBeTrue("https_only", false, "https_only is not true")), ("Microsoft.Web/sites", MustBeTrue("httpsOnly", false, "httpsOnly is not true"))),
        Make("ZD-AZ-014", "App Service allows TLS below 1.2", Severity.Medium, "site_config.min_tls_version is below 1.2.",
            "Set site_config { min_tls_version = \"1.2\" }.", $"{Cis} 9.3", "CKV_AZURE_15",
            ("azurerm_app_service", (r, _) => Tls(V.Get(r.Attributes, "site_config.min_tls_version"), "1.2")),
            ("azurerm_linux_web_app", (r, _) => Tls(V.Get(r.Attributes, "site_config.minimum_tls_version"), "1.2")),
            ("azurerm_windows_web_app", (r, _) => Tls(V.Get(r.Attributes, "site_config.minimum_tls_version"), "1.2"))),
        Make("ZD-AZ-015", "PostgreSQL server without SSL enforcement", Severity.High, "Clients may connect without TLS.",
            "Set ssl_enforcement_enabled = true.", $"{Cis} 4.3.1", "CKV_AZURE_29",
            ("azurerm_postgresql_server", MustBeTrue("ssl_enforcement_enabled", false, "ssl_enforcement_enabled is not true")),
            ("Microsoft.DBforPostgreSQL/servers", (r, _) => V.Str(r.Attributes["sslEnforcement"]) == "Disabled" ? Fail("sslEnforcement is Disabled", r.Attributes["sslEnforcement"]) : Pass)),
        Make("ZD-AZ-016", "MySQL server without SSL enforcement", Severity.High, "Clients may connect without TLS.",
            "Set ssl_enforcement_enabled = true.", $"{Cis} 4.4.1", "CKV_AZURE_28",
            ("azurerm_mysql_server", MustBeTrue("ssl_enforcement_enabled", false, "ssl_enforcement_enabled is not true")),
            ("Microsoft.DBforMySQL/servers", (r, _) => V.Str(r.Attributes["sslEnforcement"]) == "Disabled" ? Fail("sslEnforcement is Disabled", r.Attributes["sslEnforcement"]) : Pass)),
        Make("ZD-AZ-017", "Linux VM allows password authentication", Severity.Medium, "disable_password_authentication is false: SSH accepts passwords.",
            "Set disable_password_authentication = true and use SSH keys.", null, "CKV_AZURE_1",
            ("azurerm_linux_virtual_machine", MustBeTrue("disable_password_authentication", true, "disable_password_authentication is false")),
            ("azurerm_virtual_machine", (r, c) => r.Attributes["os_profile_linux_config"] is null ? Pass : MustBeTrue("os_profile_linux_config.disable_password_authentication", true, "disable_password_authentication is false")(r, c))),
        Make("ZD-AZ-018", "Storage account network access allowed by default", Severity.Medium, "The account's network rules allow access from all networks.",
            "Set network_rules { default_action = \"Deny\" } and list the allowed networks.", $"{Cis} 3.8", "CKV_AZURE_35",
            ("azurerm_storage_account", (r, _) => V.Get(r.Attributes, "network_rules.default_action") is var a && V.Str(a) == "Allow" || r.Attributes["network_rules"] is null ? Fail("network access is allowed by default", a) : Pass),
            ("azurerm_storage_account_network_rules", (r, _) => V.Str(r.Attributes["default_action"]) == "Allow" ? Fail("default_action is Allow", r.Attributes["default_action"]) : Pass),
            (Storage, (r, _) => V.Get(r.Attributes, "networkAcls.defaultAction") is var a && V.Str(a) == "Deny" || V.Unknown(a) ? Pass : Fail("networkAcls.defaultAction is not Deny", a))),
    ];

    private static IEnumerable<IacFail> Tls(DocNode? v, string missingMeans)
    {
        if (V.Unknown(v)) return Pass;
        var s = V.Str(v) ?? missingMeans;
        var digits = new string(s.Where(c => char.IsAsciiDigit(c)).ToArray());
        return digits.Length > 0 && string.CompareOrdinal(digits, "12") < 0 ? Fail($"minimum TLS version is {s}", v) : Pass;
    }

    private static IEnumerable<IacFail> SqlFirewall(IacResource r, IacContext _) =>
        V.Str(r.Attributes["start_ip_address"]) == "0.0.0.0" && V.Str(r.Attributes["end_ip_address"]) == "255.255.255.255" ? Fail("the rule admits every address", r.Attributes["start_ip_address"]) : Pass;

    private static (string, Func<IacResource, IacContext, IEnumerable<IacFail>>)[] NsgEvaluators(int port) =>
    [
        ("azurerm_network_security_rule", (r, _) => NsgRule(r.Attributes, port, false)),
        ("azurerm_network_security_group", (r, _) => V.All(r.Attributes, "security_rule").SelectMany(s => NsgRule(s, port, false))),
        (Nsg, (r, _) => V.All(r.Attributes, "securityRules").SelectMany(s => NsgRule(s["properties"] ?? s, port, true))),
        ($"{Nsg}/securityRules", (r, _) => NsgRule(r.Attributes, port, true)),
    ];

    private static IEnumerable<IacFail> NsgRule(DocNode rule, int port, bool arm)
    {
        string? Get(string tf, string armKey) => V.Str(rule[arm ? armKey : tf]);
        if (!string.Equals(Get("direction", "direction"), "Inbound", StringComparison.OrdinalIgnoreCase)) return Pass;
        if (!string.Equals(Get("access", "access"), "Allow", StringComparison.OrdinalIgnoreCase)) return Pass;
        if (Get("protocol", "protocol")?.ToLowerInvariant() is "udp" or "icmp") return Pass;
        var sources = V.Strings(rule[arm ? "sourceAddressPrefix" : "source_address_prefix"]).Concat(V.Strings(rule[arm ? "sourceAddressPrefixes" : "source_address_prefixes"]));
        var world = sources.FirstOrDefault(s => V.IsWorld(s) || s.Equals("internet", StringComparison.OrdinalIgnoreCase));
        if (world is null) return Pass;
        var ranges = V.Strings(rule[arm ? "destinationPortRange" : "destination_port_range"]).Concat(V.Strings(rule[arm ? "destinationPortRanges" : "destination_port_ranges"]));
        foreach (var range in ranges)
        {
            if (range == "*") return Fail($"inbound from {world} to every port, {port} included", rule);
            var parts = range.Split('-');
            if (int.TryParse(parts[0], out var lo) && int.TryParse(parts[^1], out var hi) && lo <= port && port <= hi)
                return Fail($"inbound from {world} to port {port}", rule[arm ? "destinationPortRange" : "destination_port_range"] ?? rule);
        }
        return Pass;
    }
}
