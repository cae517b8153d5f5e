namespace ZeroDrift.Secrets;

/// <summary>The rows of <see cref="BuiltInRules"/>; kept apart so the table reads as data.</summary>
internal static class BuiltInRuleTable
{
    // Built on first use: only files with a finding need the allowlists. Like the rules' own allowlists, they run on
    // the bounded backtracking engine (see LazyRegex.IsMatch), not on a NonBacktracking engine built for them.
    private static LazyRegex Lazy(string re2) => new(re2, validate: false);

    /// <summary>Obvious placeholders and examples that are never real secrets.</summary>
    public static readonly SecretAllowlist Placeholders = new()
    {
        Description = "placeholders",
        Regexes = [Lazy(@"(?i)^(?:x{6,}|\*{6,}|0{8,}|(?:your|my|example|sample|dummy|fake|changeme|placeholder)[_-][\w-]*|<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\}|\$[A-Z_][A-Z0-9_]*|pass(?:word|wd)?|secret|changeme|admin|root|guest|user(?:name)?)$")],
        StopWords = ["example", "xxxxxxxx", "placeholder", "changeme", "your_", "your-", "redacted", "dummy"],
    };

    /// <summary>Files that hold hashes and checksums rather than secrets.</summary>
    public static readonly SecretAllowlist GlobalPaths = new()
    {
        Description = "lockfiles, checksums and binary-ish assets",
        Paths = [Lazy(@"(?i)(?:^|/)(?:go\.sum|package-lock\.json|yarn\.lock|pnpm-lock\.yaml|poetry\.lock|Cargo\.lock|composer\.lock|Gemfile\.lock|packages\.lock\.json)$|\.(?:png|jpe?g|gif|svg|ico|woff2?|ttf|eot|pdf)$")],
    };

    private static BuiltInRules.Definition R(string id, string description, string keywords, string regex, double entropy = 0, int group = 0) =>
        new(id, description, keywords.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries), regex, entropy, group);

    /// <summary>A token recognisable by its own shape (a vendor prefix): word boundary, token, then a delimiter.</summary>
    private static BuiltInRules.Definition T(string id, string description, string keywords, string token, double entropy = 0) =>
        R(id, description, keywords, @"\b(" + token + ")" + End, entropy);

    /// <summary>A value that only means something after a vendor's name: <c>name… = value</c> in any config syntax.</summary>
    private static BuiltInRules.Definition KA(string id, string description, string keywords, string name, string value, double entropy = 3.0) =>
        R(id, description, keywords, @"(?i)[\w.-]{0,50}?(?:" + name + ")" + Assign + "(" + value + ")" + End, entropy);

    // The token ends at a quote, space, punctuation, a backslash (an escaped newline or quote in a string) or the line
    // end, which it does not take: a rule that can match a line end runs over more than the keyword's line.
    private const string End = @"(?:[\x60'"" \t\f\r;,.)\]}>&<|#\\]|(?m:$))";
    // For tokens whose shape also occurs in file and asset names (name.ico-<hash>.png): a quote, space, backslash, ';' or the end.
    private const string StrictEnd = @"(?:[\x60'"" \t\f\r;\\]|(?m:$))";
    // "name <sep> value" in shell, YAML, JSON, TOML, INI, XML and code: what may follow the name (a suffix, a type as in
    // `var x string =`), quotes, the operator (gitleaks' set: = : := ::= :::= ?= .= => > , ||), then quotes and spaces
    // and at most one line break: the value of an XML element, or of a key, on the next line.
    private const string Assign = @"(?:[ \t\w.-]{0,20})[ \t'""]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)[\x60'"" \t=]{0,5}(?:\r?\n[\x60'"" \t=]{0,16})?";
    // A value without a digit that reads as code (Async.CancellationToken, process.env.API_TOKEN, getToken) is a
    // reference to a secret, not one: real generated secrets practically always hold a digit.
    private const string CodeReference = @"^[A-Za-z_$][A-Za-z_$.\-]*(?:\(\))?$";
    // Where a generic value ends: a quote, space, ',', ';', ')', '&', '<', a backslash or the line end. Not '.', which
    // values hold, so that an elided value ("ops_eyJzaWdu...") is seen whole, nor '#' or '[', which make it something else.
    private const string GenericEnd = @"(?:[\x60'"" \t\f\r;,)&<\\]|(?m:$))";
    // Values that are something else: elided (ends in ".."), a setting (id=name), a name with a version (jjwt-jackson-0.11.2),
    // a SOPS-encrypted value.
    private const string Elided = @"\.\.$";
    private const string Setting = @"^[a-z_]+=[a-z_]+$";
    private const string VersionedName = @"^[A-Za-z][A-Za-z-]*-v?[0-9]+(?:\.[0-9]+)+$";
    private const string SopsEncrypted = @"^ENC\[";
    private const string Url = @"^[A-Za-z][A-Za-z0-9+.-]*://";
    // A value in UPPER_SNAKE_CASE names a constant or a variable (XXH3_SECRET_SIZE_MIN, or the next line's DYNATRACE_API_KEY=).
    private const string ConstantName = @"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+=*$";
    // Dot-separated lower-case labels ending in a word read as a host or a property name (sm02915.int.contoso.com, jdbc.snowflake.url).
    private const string DottedName = @"^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}=*$";
    // A name that says what else the value is: an id, a name, a size, a URL, a file, a public or anti-forgery token.
    private const string NamesSomethingElse =
        @"(?i)(?:secrets?|tokens?|auth|credentials?|creds|keys?)[_.-]?(?:ids?|names?|sizes?|len(?:gth)?|urls?|uris?|endpoints?|files?|paths?|types?|versions?|source|results?|prefix|header|field|ttl|expir[a-z]*|store|format|mode|hash)(?:[^A-Za-z0-9]|$)" +
        @"|(?i)(?:public|csrf|xsrf)[_.-]?(?:token|key)|(?i)key[_.-]?vault";
    private const string Uuid = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

    /// <summary>
    /// A vendor name that is also a common part of other words (okta in "rookTable", meraki in "CameraKit", sumo in
    /// "sumOf"), matched only where it begins a word of an identifier: in lower case after a character that is not a
    /// letter (or at a line start), Capitalised anywhere (a camelCase word), in capitals after a character that is not one.
    /// </summary>
    private static string Word(string name)
    {
        var lower = name.ToLowerInvariant();
        var capitalised = char.ToUpperInvariant(lower[0]) + lower[1..];
        var upper = name.ToUpperInvariant();
        return $@"(?:(?:(?m:^)|[^A-Za-z\n])(?-i:{lower})|(?-i:{capitalised})|(?-i:(?:(?m:^)|[^A-Z\n]){upper}))";
    }

    /// <summary>A rule on the file's path alone: the file itself is the secret (a PKCS#12 key store).</summary>
    private static BuiltInRules.Definition FileRule(string id, string description, string path) =>
        new(id, description, [], "") { Path = path };

    // Browser keys Google publishes in its own apps and libraries (gitleaks' list): public by design, restricted by referrer.
    private const string GooglePublicApiKeys = "^AIza(?:Syabcdefghijklmnopqrstuvwxyz1234567|SyAnLA7NfeLquW1tJFpx_eQCxoX-oo6YyIs|SyCkEhVjf3pduRDt6d1yKOMitrUEke8agEM" +
        "|SyDMAScliyLx7F0NPDEJi1QmyCgHIAODrlU|SyD3asb-2pEZVqMkmL6M9N6nHZRR_znhrh0|yDNSXIbFmlXbIE6mCzDLQAqITYefhixbX4A|SyAdOS2zB6NCsk1pCdZ4-P6GBdi_UUPwX7c" +
        "|SyASWm6HmTMdYWpgMnjRBjxcQ9CKctWmLd4|SyANUvH9H9BsUccjsu2pCmEkOPjjaXeDQgY|SyA5_iVawFQ8ABuTZNUdcwERLJv_a_p4wtM|SyA4UrcGxgwQFTfaI3no3t7Lt1sjmdnP5sQ" +
        "|SyDSb51JiIcB6OJpwwMicseKRhhrOq1cS7g|SyBF2RrAIm4a0mO64EShQfqfd2AFnzAvvuU|SyBcE-OOIbhjyR83gm4r2MFCu4MJmprNXsw|SyB8qGxt4ec15vitgn44duC5ucxaOi4FmqE" +
        "|SyA8vmApnrHNFE0bApF4hoZ11srVL_n0nvY)$";

    // The example passwords of Microsoft's nuget.config reference.
    private const string NuGetDocumentationPasswords = @"^(?:33f!!lloppa|hal\+9ooo_da!sY)$";

    // One entry of a Secret's data: (comment or other entry lines, then) key: base64, possibly as a YAML block scalar.
    private const string KubernetesDataEntry =
        @"(?:[ \t]*#[^\n]*\n|[ \t]+[^\n]*\n){0,30}?[ \t]+[\w.-]+:[ \t]*(?:[|>][-+]?[ \t]*\r?\n[ \t]+)?[""']?([A-Za-z0-9+/]{10,}={0,3})[""']?[ \t]*(?:\r?\n|$)";

    public static readonly BuiltInRules.Definition[] Rows =
    [
        // ---- Cloud providers
        R("aws-access-key-id", "AWS access key ID", "akia,asia,abia,acca", @"\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b", 3.0),
        KA("aws-secret-access-key", "AWS secret access key", "aws,secret_access_key,secretaccesskey", @"aws[\w.-]{0,20}secret|secret_?access_?key", @"[A-Za-z0-9/+]{40}", 4.0),
        KA("aws-session-token", "AWS session token", "session_token,security-token,sessiontoken", @"aws_?session_?token|x-amz-security-token|sessiontoken", @"[A-Za-z0-9/+=]{100,1000}[A-Za-z0-9/+=]{0,200}", 4.0),
        R("aws-mws-key", "Amazon MWS auth token", "amzn.mws.", @"\b(amzn\.mws\." + Uuid + ")"),
        T("aws-bedrock-api-key", "Amazon Bedrock long-term API key", "absk", @"ABSK[A-Za-z0-9+/]{109,269}={0,2}", 3.0),
        T("aws-bedrock-api-key-short-lived", "Amazon Bedrock short-term API key (a presigned bedrock.amazonaws.com URL)", "bedrock-api-key-",
            @"bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t[A-Za-z0-9+/=]{0,1000}", 3.0),
        T("gcp-api-key", "Google Cloud / Firebase API key", "aiza", @"AIza[0-9A-Za-z_-]{35}", 3.0) with { AllowSecrets = [GooglePublicApiKeys] },
        R("gcp-service-account-key-id", "Google Cloud service account private key id", "private_key_id", @"""private_key_id""[ \t]*:[ \t]*""([a-f0-9]{40})""", 3.0),
        T("gcp-oauth-client-secret", "Google OAuth client secret", "gocspx-", @"GOCSPX-[A-Za-z0-9_-]{28}", 3.0),
        T("google-oauth-access-token", "Google OAuth access token", "ya29.", @"ya29\.[0-9A-Za-z_-]{30,300}", 3.5),
        R("google-oauth-refresh-token", "Google OAuth refresh token", "1//0", @"(?:(?m:^)|[^0-9A-Za-z_/\n-])(1//0[0-9A-Za-z_-]{40,300})" + End, 3.5),
        R("azure-storage-account-key", "Azure storage account key in a connection string", "accountkey=", @"(?i)AccountKey=([A-Za-z0-9+/]{86}==)"),
        R("azure-sas-token", "Azure shared access signature", "sig=", @"\bsv=\d{4}-\d{2}-\d{2}&[^\s""'<>]{0,300}?\bsig=([A-Za-z0-9%+/]{40,90}(?:%3D|=)?)"),
        R("azure-ad-client-secret", "Azure AD (Entra ID) client secret", "q~", @"(?:(?m:^)|[\x60'"" \t>=:(,\\])([A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34})" + End, 3.0),
        T("azure-devops-pat", "Azure DevOps personal access token", "azdo", @"[A-Za-z0-9]{76}AZDO[A-Za-z0-9]{4}", 4.0),
        KA("azure-devops-pat-legacy", "Azure DevOps personal access token (legacy)", "devops,vsts,ado_pat,azure_pat", @"devops|vsts|ado_?pat|azure_?pat", @"[a-z2-7]{52}", 3.5),
        R("azure-cosmosdb-key", "Azure Cosmos DB account key", "documents.azure.com", @"(?i)AccountEndpoint=https://[a-z0-9-]+\.documents\.azure\.com:443/?;[ \t]*AccountKey=([A-Za-z0-9+/]{86}==)"),
        R("azure-service-bus-key", "Azure Service Bus / Event Hubs shared access key", "sharedaccesskey=", @"(?i)SharedAccessKeyName=[^;""'\s]{1,100};[ \t]*SharedAccessKey=([A-Za-z0-9+/]{43}=)"),
        KA("azure-apim-subscription-key", "Azure API Management subscription key", "ocp-apim-subscription-key,subscription_key,subscriptionkey", @"ocp-apim-subscription-key|apim[\w.-]{0,20}subscription_?key", @"[a-f0-9]{32}", 3.0),
        T("alibaba-access-key-id", "Alibaba Cloud AccessKey ID", "ltai", @"LTAI[A-Za-z0-9]{12,20}", 3.0),
        KA("alibaba-access-key-secret", "Alibaba Cloud AccessKey secret", "alibaba,aliyun,alicloud,accesskeysecret,access_key_secret", @"alibaba|aliyun|alicloud|access_?key_?secret", @"[A-Za-z0-9]{30}", 3.5),
        T("tencent-secret-id", "Tencent Cloud SecretId", "akid", @"AKID[A-Za-z0-9]{32}", 3.5),
        KA("tencent-secret-key", "Tencent Cloud SecretKey", "tencent,qcloud,tccloud", @"(?:tencent|qcloud|tccloud)[\w.-]{0,20}secret", @"[A-Za-z0-9]{32}", 3.5),
        KA("huawei-access-key", "Huawei Cloud access key (AK)", "huawei,hwcloud", @"(?:huawei|hwcloud)[\w.-]{0,20}(?:access|ak)", @"[A-Z0-9]{20}", 3.0),
        KA("huawei-secret-key", "Huawei Cloud secret access key (SK)", "huawei,hwcloud", @"(?:huawei|hwcloud)[\w.-]{0,20}(?:secret|sk)", @"[A-Za-z0-9]{40}", 3.5),
        T("baidu-cloud-access-key", "Baidu AI Cloud access key", "altak", @"ALTAK[A-Za-z0-9]{21}", 3.0),
        KA("baidu-cloud-secret-key", "Baidu AI Cloud secret key", "baidu,bce", @"(?:baidu|bce)[\w.-]{0,20}secret", @"[a-f0-9]{32}", 3.0),
        T("volcengine-access-key", "Volcengine (ByteDance) access key ID", "aklt", @"AKLT[A-Za-z0-9_-]{40,50}", 3.5),
        T("jdcloud-access-key", "JD Cloud access key", "jdc_", @"JDC_[A-F0-9]{28}", 3.0),
        KA("ksyun-secret-key", "Kingsoft Cloud secret key", "ksyun,kingsoft", @"(?:ksyun|kingsoft)[\w.-]{0,20}secret", @"[A-Za-z0-9+/]{40}", 3.5),
        KA("ibm-cloud-api-key", "IBM Cloud API key", "ibm", @"ibm[\w.-]{0,20}(?:api_?key|apikey)", @"[A-Za-z0-9_-]{44}", 3.5),
        T("digitalocean-pat", "DigitalOcean personal access token", "dop_v1_", @"dop_v1_[a-f0-9]{64}", 3.0),
        T("digitalocean-oauth-token", "DigitalOcean OAuth access token", "doo_v1_", @"doo_v1_[a-f0-9]{64}", 3.0),
        T("digitalocean-refresh-token", "DigitalOcean OAuth refresh token", "dor_v1_", @"dor_v1_[a-f0-9]{64}", 3.0),
        KA("linode-token", "Linode (Akamai) personal access token", "linode", "linode", @"[a-f0-9]{64}", 3.0),
        KA("heroku-api-key", "Heroku API key", "heroku", "heroku", Uuid, 3.0),
        T("heroku-api-key-v2", "Heroku API key (HRKU format)", "hrku-", @"HRKU-AA[0-9A-Za-z_-]{58}", 3.5),
        KA("cloudflare-api-token", "Cloudflare API token", "cloudflare,cf_api", @"cloudflare|cf_api", @"[A-Za-z0-9_-]{40}", 3.5),
        KA("cloudflare-global-api-key", "Cloudflare global API key", "cloudflare,cf_api", @"cloudflare|cf_api", @"[a-f0-9]{37}", 3.0),
        T("cloudflare-origin-ca-key", "Cloudflare Origin CA key", "v1.0-", @"v1\.0-[a-f0-9]{24}-[a-f0-9]{146}", 3.0),
        KA("fastly-api-token", "Fastly API token", "fastly", "fastly", @"[A-Za-z0-9_=-]{32}", 3.5),
        KA("vercel-token", "Vercel access token", "vercel", "vercel", @"[A-Za-z0-9]{24}", 3.5),
        KA("netlify-token", "Netlify access token", "netlify", "netlify", @"[A-Za-z0-9_=-]{40,46}", 3.5),
        KA("scaleway-secret-key", "Scaleway secret key", "scaleway,scw_secret", @"scaleway|scw_secret", Uuid, 3.0),
        T("hashicorp-vault-service-token", "HashiCorp Vault service token", "hvs.", @"hvs\.[A-Za-z0-9_-]{90,120}", 3.5),
        T("hashicorp-vault-batch-token", "HashiCorp Vault batch token", "hvb.", @"hvb\.[A-Za-z0-9_-]{138,300}", 3.5),
        T("terraform-cloud-token", "Terraform Cloud / HCP Terraform API token", "atlasv1", @"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}", 3.5),
        T("doppler-token", "Doppler API token", "dp.pt.,dp.st.,dp.sa.,dp.ct.", @"dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,44}", 3.5),
        T("pulumi-access-token", "Pulumi access token", "pul-", @"pul-[a-f0-9]{40}", 3.0),
        KA("snyk-token", "Snyk API token", "snyk", "snyk", Uuid, 3.0),
        T("sentry-user-token", "Sentry user auth token", "sntryu_", @"sntryu_[a-f0-9]{64}", 3.0),
        T("sentry-org-token", "Sentry organization auth token", "sntrys_", @"sntrys_eyJ[A-Za-z0-9+/]{10,400}={0,2}_[A-Za-z0-9+/]{43}", 3.5),
        KA("sentry-auth-token-legacy", "Sentry auth token (before the sntryu_ prefix)", "sentry", "sentry", @"[a-f0-9]{64}", 3.0),
        KA("datadog-api-key", "Datadog API key", "datadog,dd_api_key,dd-api-key", @"datadog[\w.-]{0,20}api|dd[_-]api[_-]?key", @"[a-f0-9]{32}", 3.0),
        KA("datadog-app-key", "Datadog application key", "datadog,dd_app_key,dd-application-key", @"datadog|dd[_-]app(?:lication)?[_-]?key", @"[a-z0-9]{40}", 3.0),
        T("newrelic-user-key", "New Relic user API key", "nrak-", @"NRAK-(?i:[A-Z0-9]{27})", 3.0),
        KA("newrelic-user-api-id", "New Relic user API id", "new-relic,newrelic,new_relic", @"new[_-]?relic", @"[a-z0-9]{64}", 3.0),
        T("newrelic-insert-key", "New Relic insights insert key", "nrii-", @"NRII-[A-Za-z0-9_-]{32}", 3.0),
        T("newrelic-browser-key", "New Relic browser API key", "nrjs-", @"NRJS-[a-f0-9]{19}", 3.0),
        T("grafana-cloud-token", "Grafana Cloud API token", "glc_", @"glc_[A-Za-z0-9+/]{32,400}={0,2}", 3.5),
        T("grafana-service-account-token", "Grafana service account token", "glsa_", @"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}", 3.5),
        T("dynatrace-token", "Dynatrace API token", "dt0c01.", @"dt0c01\.(?i:[A-Z0-9]{24}\.[A-Z0-9]{64})", 3.5),
        T("grafana-api-key", "Grafana API key (before service accounts)", "eyjrijoi", @"eyJrIjoi[A-Za-z0-9]{70,400}={0,3}", 3.0),
        KA("splunk-hec-token", "Splunk HTTP Event Collector token", "splunk", "splunk", Uuid, 3.0),
        KA("pagerduty-api-key", "PagerDuty API key", "pagerduty", "pagerduty", @"[A-Za-z0-9+_-]{20}", 3.5),
        KA("opsgenie-api-key", "Opsgenie API key", "opsgenie", "opsgenie", Uuid, 3.0),
        KA("sumologic-access-id", "Sumo Logic access id", "sumo", Word("sumo"), @"su[A-Za-z0-9]{12}", 3.0),
        KA("sumologic-access-key", "Sumo Logic access key", "sumo", Word("sumo"), @"[A-Za-z0-9]{64}", 3.0),
        KA("yandex-iam-token", "Yandex Cloud IAM token", "yandex", "yandex", @"t1\.[A-Za-z0-9_-]{1,100}={0,2}\.[A-Za-z0-9_-]{86}={0,2}", 3.0),
        KA("yandex-static-access-key", "Yandex Cloud static access key id", "yandex", "yandex", @"YC[A-Za-z0-9_-]{38}", 3.0),
        T("defined-networking-api-token", "Defined Networking (Nebula) API token", "dnkey-", @"dnkey-[A-Za-z0-9=_-]{26}-[A-Za-z0-9=_-]{52}", 3.0),
        T("openshift-user-token", "OpenShift user (OAuth access) token", "sha256~", @"sha256~[A-Za-z0-9_-]{43}", 3.5),
        T("scalingo-api-token", "Scalingo API token", "tk-us-", @"tk-us-[A-Za-z0-9_-]{48}", 3.0),
        T("clickhouse-cloud-secret-key", "ClickHouse Cloud API secret key", "4b1d", @"4b1d[A-Za-z0-9]{38}", 3.0),
        T("authress-access-key", "Authress service client access key", "sc_,ext_,scauth_,authress_",
            @"(?:sc|ext|scauth|authress)_(?i:[a-z0-9]{5,30}\.[a-z0-9]{4,6}\.)acc[_-](?i:[a-z0-9-]{10,32}\.[a-z0-9+/_=-]{30,120})", 3.0),
        T("harness-api-key", "Harness personal or service account token", "pat.,sat.", @"(?:pat|sat)\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20}", 3.0),
        T("settlemint-token", "SettleMint application, personal or service access token", "sm_aat_,sm_pat_,sm_sat_", @"sm_(?:aat|pat|sat)_[A-Za-z0-9]{16}", 3.0),
        T("maxmind-license-key", "MaxMind license key", "_mmk", @"[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk", 3.5),

        // ---- Source hosting and CI
        T("github-pat", "GitHub personal access token (classic)", "ghp_", @"ghp_[0-9A-Za-z]{36}", 3.0),
        T("github-fine-grained-pat", "GitHub fine-grained personal access token", "github_pat_", @"github_pat_[0-9A-Za-z_]{82}", 3.0),
        T("github-oauth-token", "GitHub OAuth access token", "gho_", @"gho_[0-9A-Za-z]{36}", 3.0),
        T("github-user-to-server-token", "GitHub App user-to-server token", "ghu_", @"ghu_[0-9A-Za-z]{36}", 3.0),
        T("github-server-to-server-token", "GitHub App installation token", "ghs_", @"ghs_[0-9A-Za-z]{36}", 3.0),
        T("github-refresh-token", "GitHub refresh token", "ghr_", @"ghr_[0-9A-Za-z]{36,76}", 3.0),
        T("gitlab-pat", "GitLab personal access token", "glpat-", @"glpat-[0-9A-Za-z_-]{20}", 3.0),
        T("gitlab-pat-routable", "GitLab routable personal access token", "glpat-", @"glpat-[0-9A-Za-z_-]{27,300}\.[0-9a-z]{2}[0-9a-z]{7}", 3.5),
        T("gitlab-pipeline-trigger-token", "GitLab pipeline trigger token", "glptt-", @"glptt-[0-9a-f]{40}", 3.0),
        T("gitlab-runner-registration-token", "GitLab runner registration token", "gr1348941", @"GR1348941[0-9A-Za-z_-]{20}", 3.0),
        T("gitlab-runner-auth-token", "GitLab runner authentication token", "glrt-", @"glrt-[0-9A-Za-z_-]{20}", 3.0),
        T("gitlab-runner-auth-token-routable", "GitLab routable runner authentication token", "glrt-", @"glrt-t\d_[0-9A-Za-z_-]{27,300}\.[0-9a-z]{2}[0-9a-z]{7}", 3.5),
        R("gitlab-session-cookie", "GitLab session cookie", "_gitlab_session=", @"_gitlab_session=([0-9a-z]{32})" + End, 3.0),
        T("gitlab-deploy-token", "GitLab deploy token", "gldt-", @"gldt-[0-9A-Za-z_-]{20}", 3.0),
        T("gitlab-feed-token", "GitLab feed token", "glft-", @"glft-[0-9A-Za-z_-]{20}", 3.0),
        T("gitlab-oauth-app-secret", "GitLab OAuth application secret", "gloas-", @"gloas-[0-9A-Za-z_-]{64}", 3.5),
        T("gitlab-scim-token", "GitLab SCIM token", "glsoat-", @"glsoat-[0-9A-Za-z_-]{20}", 3.0),
        T("gitlab-incoming-mail-token", "GitLab incoming mail token", "glimt-", @"glimt-[0-9A-Za-z_-]{25}", 3.0),
        T("gitlab-agent-token", "GitLab agent for Kubernetes token", "glagent-", @"glagent-[0-9A-Za-z_-]{50}", 3.5),
        T("gitlab-cicd-job-token", "GitLab CI/CD job token", "glcbt-", @"glcbt-[0-9A-Za-z]{1,5}_[0-9A-Za-z_-]{20}", 3.0),
        T("gitlab-feature-flag-token", "GitLab feature flags client token", "glffct-", @"glffct-[0-9A-Za-z_-]{20}", 3.0),
        T("bitbucket-app-password", "Bitbucket app password / Atlassian API token (ATBB)", "atbb", @"ATBB[A-Za-z0-9_=.-]{28,64}", 3.5),
        KA("bitbucket-client-id", "Bitbucket OAuth consumer key", "bitbucket", "bitbucket", @"[A-Za-z0-9]{32}", 3.0),
        KA("bitbucket-client-secret", "Bitbucket OAuth consumer secret", "bitbucket", "bitbucket", @"[A-Za-z0-9=_-]{64}", 3.5),
        T("atlassian-api-token", "Atlassian API token", "atatt3", @"ATATT3[A-Za-z0-9_=-]{186}", 3.5),
        KA("atlassian-api-token-legacy", "Atlassian, Jira or Confluence API token (24 characters)", "atlassian,confluence,jira",
            Word("atlassian") + "|" + Word("confluence") + "|" + Word("jira"), @"[a-z0-9]{20}[a-f0-9]{4}", 3.0),
        T("circleci-pat", "CircleCI personal API token", "ccipat_", @"CCIPAT_[A-Za-z0-9]{22}_[a-f0-9]{40}", 3.5),
        KA("travis-ci-token", "Travis CI access token", "travis", "travis", @"[A-Za-z0-9_-]{22}", 3.5),
        KA("jenkins-api-token", "Jenkins API token", "jenkins", "jenkins", @"[a-f0-9]{32,34}", 3.0),
        T("buildkite-token", "Buildkite API access token", "bkua_", @"bkua_[a-f0-9]{40}", 3.0),
        KA("drone-ci-token", "Drone CI token", "drone", "drone", @"[A-Za-z0-9]{32}", 3.0),
        T("sourcegraph-token", "Sourcegraph access token", "sgp_", @"sgp_(?:[a-fA-F0-9]{16}_|local_)?[a-fA-F0-9]{40}", 3.0),
        KA("sourcegraph-token-legacy", "Sourcegraph access token (before the sgp_ prefix)", "sourcegraph", "sourcegraph", @"[a-f0-9]{40}", 3.0),
        KA("gitea-token", "Gitea / Forgejo access token", "gitea,forgejo", "gitea|forgejo", @"[a-f0-9]{40}", 3.0),
        KA("gitee-token", "Gitee private token", "gitee", "gitee", @"[a-f0-9]{32}", 3.0),
        KA("jfrog-api-key", "JFrog Artifactory API key", "jfrog,artifactory,bintray,xray", "jfrog|artifactory|bintray|xray", @"[A-Za-z0-9]{73}", 3.5),
        KA("jfrog-access-token", "JFrog Artifactory identity or access token (64 characters)", "jfrog,artifactory,bintray,xray", "jfrog|artifactory|bintray|xray", @"[A-Za-z0-9]{64}", 3.5),
        T("jfrog-identity-token", "JFrog identity / reference token", "cmvmdgtuojaxoj", @"cmVmdGtuOjAxOj[A-Za-z0-9]{40,80}", 3.5),
        T("sonarqube-token", "SonarQube / SonarCloud token", "sqp_,sqa_,squ_", @"sq[pua]_[a-f0-9]{40}", 3.0),
        KA("sonar-login-token", "SonarQube / SonarCloud token assigned to sonar.login or SONAR_TOKEN", "sonar", @"sonar[_.-]?(?:login|token)", @"(?:sq[pua]_)?[A-Za-z0-9=_-]{40}", 3.0),
        KA("codecov-token", "Codecov upload or access token", "codecov", "codecov", Uuid + @"|[a-z0-9]{32}", 3.0),
        KA("droneci-token", "Drone CI access token (DRONECI_)", "droneci", "droneci", @"[A-Za-z0-9]{32}", 3.0),
        T("octopus-deploy-api-key", "Octopus Deploy API key", "api-", @"API-[A-Z0-9]{26}", 3.0),

        // ---- Package registries
        T("npm-access-token", "npm access token", "npm_", @"npm_[A-Za-z0-9]{36}", 3.0),
        R("npmrc-auth-token", "npm registry auth token in .npmrc", "_authtoken", @"//[^\s""']{1,200}:_authToken[ \t]*=[ \t]*([A-Za-z0-9_.+/=-]{20,200})" + End, 3.0),
        R("npmrc-auth", "npm registry basic auth in .npmrc", "_auth", @"(?:(?m:^)|[ \t:])_auth[ \t]*=[ \t]*([A-Za-z0-9+/]{16,200}={0,2})" + End, 3.5),
        T("pypi-upload-token", "PyPI upload token", "pypi-ageichlwas5vcmc", @"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,1000}", 3.5),
        T("testpypi-upload-token", "TestPyPI upload token", "pypi-agendgvzdc5wexbplm9yzw", @"pypi-AgENdGVzdC5weXBpLm9yZw[A-Za-z0-9_-]{50,1000}", 3.5),
        T("nuget-api-key", "NuGet.org API key", "oy2", @"oy2[a-z0-9]{43}", 3.5),
        T("rubygems-api-key", "RubyGems API key", "rubygems_", @"rubygems_[a-f0-9]{48}", 3.0),
        T("dockerhub-pat", "Docker Hub personal access token", "dckr_pat_", @"dckr_pat_[A-Za-z0-9_-]{27}", 3.5),
        T("dockerhub-oat", "Docker Hub organization access token", "dckr_oat_", @"dckr_oat_[A-Za-z0-9_-]{32}", 3.5),
        R("docker-config-auth", "Registry credentials in a Docker config.json", "\"auth\"", @"""auth""[ \t]*:[ \t]*""([A-Za-z0-9+/]{16,500}={0,2})""", 3.5),
        T("crates-io-token", "crates.io API token", "cio", @"cio[A-Za-z0-9]{32}", 3.5),
        T("clojars-token", "Clojars deploy token", "clojars_", @"CLOJARS_[a-z0-9]{60}", 3.0),
        R("maven-settings-password", "Password in a Maven settings.xml", "<password>", @"<password>([^<\s$]{8,128})</password>", 3.0),
        KA("gradle-repository-password", "Repository password in gradle.properties", "ossrh,sonatype,nexus,maven", @"(?:ossrh|sonatype|nexus|maven)[\w.-]{0,20}(?:password|token)", @"[^\s'""$]{8,64}", 3.0),
        T("huggingface-token", "Hugging Face access token", "hf_", @"hf_[A-Za-z]{34}", 3.5),
        T("huggingface-org-token", "Hugging Face organization API token", "api_org_", @"api_org_[A-Za-z]{34}", 3.5),

        // ---- Chat, webhooks, messaging
        T("slack-bot-token", "Slack bot token", "xoxb-", @"xoxb-[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{24,32}", 3.0),
        T("slack-legacy-bot-token", "Slack legacy bot token", "xoxb-", @"xoxb-[0-9]{8,14}-[A-Za-z0-9]{18,26}", 3.0),
        T("slack-user-token", "Slack user token", "xoxp-,xoxe-", @"xox[pe](?:-[0-9]{10,13}){3}-[A-Za-z0-9]{28,34}", 3.0),
        T("slack-app-token", "Slack app-level token", "xapp-", @"xapp-\d-[A-Z0-9]{9,12}-\d{10,14}-[A-Za-z0-9]{64}", 3.0),
        T("slack-config-access-token", "Slack configuration access token", "xoxe.xox", @"xoxe\.xox[bp]-\d-[A-Za-z0-9]{163,166}", 3.0),
        T("slack-config-refresh-token", "Slack configuration refresh token", "xoxe-", @"xoxe-\d-[A-Za-z0-9]{146}", 3.0),
        T("slack-legacy-token", "Slack legacy workspace or user token", "xoxo-,xoxs-", @"xox[os]-\d{1,15}-\d{1,15}-\d{1,15}-[a-fA-F0-9]{8,64}", 3.0),
        T("slack-workspace-token", "Slack workspace app access or refresh token", "xoxa-,xoxr-", @"xox[ar]-(?:\d-)?[0-9A-Za-z]{8,48}(?:-[0-9A-Za-z]{1,64}){0,4}", 2.0),
        KA("sidekiq-gem-credentials", "Sidekiq Pro / Enterprise gem server credentials", "bundle_enterprise__contribsys__com,bundle_gems__contribsys__com",
            @"BUNDLE_(?:ENTERPRISE|GEMS)__CONTRIBSYS__COM", @"[a-f0-9]{8}:[a-f0-9]{8}", 2.0),
        R("sidekiq-gem-url", "Sidekiq Pro / Enterprise gem server URL with credentials", "gems.contribsys.com,enterprise.contribsys.com",
            @"(?i)\bhttps?://([a-f0-9]{8}:[a-f0-9]{8})@(?:gems|enterprise)\.contribsys\.com(?:[/#?:]|" + End + ")"),
        R("slack-webhook-url", "Slack incoming webhook URL", "hooks.slack.com", @"((?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{43,90})" + End, 3.5),
        R("dingtalk-webhook", "DingTalk robot webhook access token", "oapi.dingtalk.com", @"https?://oapi\.dingtalk\.com/robot/send\?access_token=([a-f0-9]{64})" + End, 3.0),
        T("dingtalk-robot-secret", "DingTalk robot signing secret", "sec", @"SEC[a-f0-9]{64}", 3.0),
        KA("dingtalk-app-secret", "DingTalk application secret", "dingtalk,dingding", @"(?:dingtalk|dingding)[\w.-]{0,20}secret", @"[A-Za-z0-9_-]{64}", 3.5),
        R("feishu-webhook", "Feishu / Lark bot webhook", "open.feishu.cn,open.larksuite.com", @"https?://open\.(?:feishu\.cn|larksuite\.com)/open-apis/bot/v2/hook/(" + Uuid + ")" + End, 3.0),
        KA("feishu-app-secret", "Feishu / Lark application secret", "feishu,lark", @"(?:feishu|lark)[\w.-]{0,20}secret", @"[A-Za-z0-9]{32}", 3.5),
        R("wecom-webhook", "WeCom (WeChat Work) group robot webhook key", "qyapi.weixin.qq.com", @"https?://qyapi\.weixin\.qq\.com/cgi-bin/webhook/send\?key=(" + Uuid + ")" + End, 3.0),
        KA("wecom-corp-secret", "WeCom application corp secret", "corpsecret,wecom,wework,qywx", @"corp_?secret|(?:wecom|wework|qywx)[\w.-]{0,20}secret", @"[A-Za-z0-9_-]{43}", 3.5),
        KA("wechat-app-secret", "WeChat official account / mini program AppSecret", "wechat,weixin,wx", @"(?:wechat|weixin|wx)[\w.-]{0,20}(?:app_?)?secret", @"[a-f0-9]{32}", 3.0),
        R("discord-webhook", "Discord webhook URL", "/api/webhooks/", @"(https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/[A-Za-z0-9_-]{60,68})" + End, 3.5),
        KA("discord-bot-token", "Discord bot token", "discord", "discord", @"[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}", 3.5),
        KA("discord-client-secret", "Discord client secret", "discord", "discord", @"[A-Za-z0-9=_-]{32}", 3.0),
        KA("discord-client-id", "Discord application (client) id", "discord", "discord", @"[0-9]{17,19}", 2.5),
        KA("discord-public-key", "Discord application public key or token (64 hex)", "discord", "discord", @"[a-f0-9]{64}", 3.0),
        R("telegram-bot-token", "Telegram bot API token", ":aa", @"(?:(?m:^)|[^0-9A-Za-z_:\n-])([0-9]{8,10}:AA[0-9A-Za-z_-]{33})" + End, 3.5),
        KA("telegram-bot-token-assigned", "Telegram bot API token assigned to a Telegram name", "telegr", "telegr", @"[0-9]{5,16}:(?-i:A)[A-Za-z0-9_-]{34}", 3.0),
        R("teams-webhook", "Microsoft Teams incoming webhook URL", "webhook.office.com", @"(https://[a-z0-9-]+\.webhook\.office\.com/webhookb2/[a-z0-9-]{36}@[a-z0-9-]{36}/IncomingWebhook/[a-z0-9]{32}/[a-z0-9-]{36})" + End, 3.5),
        KA("mattermost-token", "Mattermost access token", "mattermost", "mattermost", @"[a-z0-9]{26}", 3.5),
        T("twilio-api-key", "Twilio API key SID", "sk", @"SK[0-9a-f]{32}", 3.0),
        KA("twilio-auth-token", "Twilio auth token", "twilio", "twilio", @"[a-f0-9]{32}", 3.0),
        T("sendgrid-api-key", "SendGrid API key", "sg.", @"SG\.[A-Za-z0-9_=.-]{66}", 3.5),
        T("sendinblue-api-key", "Brevo (Sendinblue) API key", "xkeysib-", @"xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}", 3.0),
        T("mailgun-api-key", "Mailgun private API key", "key-", @"key-[a-f0-9]{32}", 3.0),
        KA("mailgun-public-key", "Mailgun public validation key", "mailgun", "mailgun", @"pubkey-[a-f0-9]{32}", 3.0),
        KA("mailgun-signing-key", "Mailgun webhook signing key", "mailgun", "mailgun", @"[a-h0-9]{32}-[a-h0-9]{8}-[a-h0-9]{8}", 3.0),
        T("mailchimp-api-key", "Mailchimp API key", "-us", @"[a-f0-9]{32}-us[0-9]{1,2}", 3.0),
        KA("postmark-server-token", "Postmark server token", "postmark", "postmark", Uuid, 3.0),
        KA("mandrill-api-key", "Mandrill API key", "mandrill", "mandrill", @"[A-Za-z0-9_-]{22}", 3.5),
        KA("zendesk-api-token", "Zendesk API token", "zendesk", "zendesk", @"[A-Za-z0-9]{40}", 3.5),
        KA("intercom-access-token", "Intercom access token", "intercom", "intercom", @"[A-Za-z0-9=_-]{60}", 3.5),
        KA("okta-api-token", "Okta API token", "okta", Word("okta"), @"00[A-Za-z0-9_=-]{40}", 3.5),
        KA("messagebird-api-key", "MessageBird (Bird) API key", "messagebird,message-bird,message_bird", @"message[_-]?bird", @"[A-Za-z0-9]{25}", 3.0),
        KA("messagebird-client-id", "MessageBird (Bird) client id", "messagebird,message-bird,message_bird", @"message[_-]?bird", Uuid, 3.0),
        KA("sendbird-token", "Sendbird API token", "sendbird", "sendbird", @"[a-f0-9]{40}", 3.0),
        KA("sendbird-app-id", "Sendbird application id", "sendbird", "sendbird", Uuid, 3.0),
        KA("twitter-api-key", "Twitter / X API key (consumer key)", "twitter", "twitter", @"[A-Za-z0-9]{25}", 3.0),
        KA("twitter-access-secret", "Twitter / X access token secret", "twitter", "twitter", @"[A-Za-z0-9]{45}", 3.0),
        KA("twitter-api-secret", "Twitter / X API secret (consumer secret)", "twitter", "twitter", @"[A-Za-z0-9]{50}", 3.0),
        KA("twitter-access-token", "Twitter / X access token", "twitter", "twitter", @"[0-9]{15,25}-[A-Za-z0-9]{20,40}", 3.0),
        KA("twitter-bearer-token-assigned", "Twitter / X bearer token assigned to a Twitter name", "twitter", "twitter", @"A{22}[A-Za-z0-9%]{80,100}", 3.0),
        KA("twitch-api-token", "Twitch API token", "twitch", "twitch", @"[A-Za-z0-9]{30}", 3.0),
        KA("gitter-access-token", "Gitter access token", "gitter", "gitter", @"[A-Za-z0-9_-]{40}", 3.0),
        KA("auth0-client-secret", "Auth0 client secret", "auth0", @"auth0[\w.-]{0,20}secret", @"[A-Za-z0-9_-]{64}", 3.5),

        // ---- Payment and commerce
        T("stripe-secret-key", "Stripe secret key", "sk_live_,sk_test_,sk_prod_", @"sk_(?:live|test|prod)_[0-9A-Za-z]{10,99}", 3.0),
        T("stripe-restricted-key", "Stripe restricted key", "rk_live_,rk_test_,rk_prod_", @"rk_(?:live|test|prod)_[0-9A-Za-z]{10,99}", 3.0),
        T("stripe-webhook-secret", "Stripe webhook signing secret", "whsec_", @"whsec_[A-Za-z0-9]{32,64}", 3.5),
        T("braintree-access-token", "PayPal Braintree access token", "access_token$production$", @"access_token\$production\$[0-9a-z]{16}\$[0-9a-f]{32}", 3.0),
        T("square-access-token", "Square access token", "eaaa,sq0atp-", @"(?:EAAA|sq0atp-)[0-9A-Za-z_-]{22,60}", 3.5),
        T("square-oauth-secret", "Square OAuth secret", "sq0csp-", @"sq0csp-[0-9A-Za-z_-]{43}", 3.5),
        T("razorpay-key", "Razorpay API key id", "rzp_", @"rzp_(?:live|test)_[A-Za-z0-9]{14}", 3.0),
        T("flutterwave-secret-key", "Flutterwave secret key", "flwseck", @"FLWSECK(?:_TEST)?-[a-h0-9]{32}-X", 3.0),
        T("flutterwave-public-key", "Flutterwave public key", "flwpubk", @"FLWPUBK(?:_TEST)?-[a-h0-9]{32}-X", 3.0),
        T("flutterwave-encryption-key", "Flutterwave encryption key", "flwseck", @"FLWSECK(?:_TEST)?-?[a-h0-9]{12}", 3.0),
        T("paystack-secret-key", "Paystack secret key", "sk_live_,sk_test_", @"sk_(?:live|test)_[a-f0-9]{40}", 3.0),
        KA("wechat-pay-api-key", "WeChat Pay merchant API key", "wxpay,wechatpay,mch_key,mchkey", @"(?:wxpay|wechatpay|wechat_pay|mch)[\w.-]{0,20}key", @"[A-Za-z0-9]{32}", 3.5),
        KA("alipay-private-key", "Alipay application private key", "alipay", @"alipay[\w.-]{0,20}private", @"MII[A-Za-z0-9+/]{200,}={0,2}", 4.0),
        T("shopify-access-token", "Shopify access token", "shpat_", @"shpat_[a-fA-F0-9]{32}", 3.0),
        T("shopify-custom-app-token", "Shopify custom app access token", "shpca_", @"shpca_[a-fA-F0-9]{32}", 3.0),
        T("shopify-private-app-token", "Shopify private app access token", "shppa_", @"shppa_[a-fA-F0-9]{32}", 3.0),
        T("shopify-shared-secret", "Shopify shared secret", "shpss_", @"shpss_[a-fA-F0-9]{32}", 3.0),
        KA("plaid-secret", "Plaid secret", "plaid", "plaid", @"[a-z0-9]{30}", 3.0),
        KA("plaid-client-id", "Plaid client id", "plaid", "plaid", @"[a-z0-9]{24}", 3.0),
        T("plaid-access-token", "Plaid access token", "access-sandbox-,access-development-,access-production-", @"access-(?:sandbox|development|production)-" + Uuid, 3.0),
        KA("gocardless-token", "GoCardless access token", "gocardless", "gocardless", @"live_[A-Za-z0-9_=-]{40}", 3.5),
        T("shippo-token", "Shippo API token", "shippo_", @"shippo_(?:live|test)_[a-f0-9]{40}", 3.0),
        T("easypost-api-key", "EasyPost API key", "ezak", @"EZAK[A-Za-z0-9]{54}", 3.5),
        T("easypost-test-api-key", "EasyPost test API key", "eztk", @"EZTK[A-Za-z0-9]{54}", 3.5),
        T("duffel-api-token", "Duffel API token", "duffel_", @"duffel_(?:test|live)_[A-Za-z0-9_=-]{43}", 3.0),
        KA("coinbase-access-token", "Coinbase access token", "coinbase", "coinbase", @"[A-Za-z0-9_-]{64}", 3.0),
        KA("kraken-access-token", "Kraken API key or secret", "kraken", "kraken", @"[A-Za-z0-9/=_+-]{80,90}", 3.0),
        KA("kucoin-access-token", "KuCoin API key", "kucoin", "kucoin", @"[a-f0-9]{24}", 3.0),
        KA("kucoin-secret-key", "KuCoin API secret", "kucoin", "kucoin", Uuid, 3.0),
        KA("bittrex-api-key", "Bittrex API key or secret", "bittrex", "bittrex", @"[A-Za-z0-9]{32}", 3.0),
        KA("finicity-app-key", "Finicity app key", "finicity", "finicity", @"[a-f0-9]{32}", 3.0),
        KA("finicity-partner-secret", "Finicity partner secret", "finicity", "finicity", @"[A-Za-z0-9]{20}", 3.0),
        KA("squarespace-access-token", "Squarespace access token", "squarespace", "squarespace", Uuid, 3.0),
        KA("etsy-access-token", "Etsy API key", "etsy", Word("etsy"), @"[A-Za-z0-9]{24}", 3.0),
        KA("freshbooks-access-token", "FreshBooks access token", "freshbooks", "freshbooks", @"[A-Za-z0-9]{64}", 3.0),
        // Keyed on the value's prefix: "lob" is in every "global" and "blob" (20,000 lines of a node_modules tree, 800 hold live_ or test_).
        KA("lob-api-key", "Lob API key", "live_,test_", Word("lob"), @"(?:live|test)_[a-f0-9]{35}", 3.0),
        KA("lob-publishable-key", "Lob publishable API key", "live_pub_,test_pub_", Word("lob"), @"(?:live|test)_pub_[a-f0-9]{31}", 3.0),

        // ---- Private keys and signed tokens
        R("pem-private-key", "PEM private key (RSA, EC, DSA, PKCS#8, encrypted)", "-----begin", @"(-----BEGIN (?:RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----[\s\S]{64,}?-----END (?:RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----)"),
        R("openssh-private-key", "OpenSSH private key", "-----begin openssh", @"(-----BEGIN OPENSSH PRIVATE KEY-----[\s\S]{64,}?-----END OPENSSH PRIVATE KEY-----)"),
        R("pgp-private-key", "PGP private key block", "-----begin pgp", @"(-----BEGIN PGP PRIVATE KEY BLOCK-----[\s\S]{64,}?-----END PGP PRIVATE KEY BLOCK-----)"),
        R("putty-private-key", "PuTTY private key file", "putty-user-key-file-", @"(PuTTY-User-Key-File-[23]: (?:ssh-rsa|ssh-ed25519|ssh-ed448|ssh-dss|ecdsa-sha2-nistp(?:256|384|521)))[ \t\r]*$"),
        T("age-secret-key", "age encryption secret key", "age-secret-key-1", @"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}"),
        T("jwt", "JSON Web Token", ".ey", @"ey[A-Za-z0-9_-]{17,}\.ey[A-Za-z0-9_-]{17,}\.(?:[A-Za-z0-9_-]{10,}={0,2})?", 3.0),
        T("jwt-base64", "JSON Web Token encoded in base64 once more", "zxlk", @"ZXlK[A-Za-z0-9+/]{40,}={0,2}", 3.5),
        R("kubeconfig-client-key", "Client private key in a kubeconfig", "client-key-data", @"client-key-data:[ \t]*([A-Za-z0-9+/]{40,}={0,2})" + End, 4.0),
        T("docker-swarm-join-token", "Docker Swarm join token", "swmtkn-1-", @"SWMTKN-1-[a-z0-9]{50}-[a-z0-9]{25}", 3.5),
        T("k3s-node-token", "K3s node token", "k10", @"K10[a-f0-9]{64}::server:[a-f0-9]{32}", 3.0),
        R("htpasswd-apr1", "Apache MD5 (apr1) password hash", "$apr1$", @"^[\w.@-]{1,64}:(\$apr1\$[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{22})[ \t\r]*$"),
        R("htpasswd-bcrypt", "bcrypt password hash in an htpasswd-style file", "$2y$,$2a$,$2b$", @"^[\w.@-]{1,64}:(\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53})[ \t\r]*$"),
        T("onepassword-service-account-token", "1Password service account token", "ops_", @"ops_eyJ[A-Za-z0-9+/]{250,}={0,3}", 4.0),
        R("onepassword-secret-key", "1Password account secret key", "a3-", @"\b(A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5})\b", 3.0),
        FileRule("pkcs12-file", "PKCS#12 key store (.p12, .pfx): a private key with its certificate", @"(?i)(?:^|/)[^/]+\.p(?:12|fx)$"),

        // ---- Connection strings and URLs with passwords
        R("postgres-url-password", "PostgreSQL connection URL with a password", "postgres://,postgresql://", @"(?i)\bpostgres(?:ql)?://[^\s:/@'""]{1,64}:([^\s:/@'""]{3,128})@[a-z0-9.\[\]-]{1,253}"),
        R("mysql-url-password", "MySQL / MariaDB connection URL with a password", "mysql://,mariadb://", @"(?i)\b(?:mysql|mariadb)(?:\+[a-z]+)?://[^\s:/@'""]{1,64}:([^\s:/@'""]{3,128})@[a-z0-9.\[\]-]{1,253}"),
        R("mongodb-url-password", "MongoDB connection URL with a password", "mongodb://,mongodb+srv://", @"(?i)\bmongodb(?:\+srv)?://[^\s:/@'""]{1,64}:([^\s:/@'""]{3,128})@[a-z0-9.\[\]-]{1,253}"),
        R("redis-url-password", "Redis connection URL with a password", "redis://,rediss://", @"(?i)\brediss?://[^\s:/@'""]{0,64}:([^\s:/@'""]{3,128})@[a-z0-9.\[\]-]{1,253}"),
        R("amqp-url-password", "AMQP (RabbitMQ) connection URL with a password", "amqp://,amqps://", @"(?i)\bamqps?://[^\s:/@'""]{1,64}:([^\s:/@'""]{3,128})@[a-z0-9.\[\]-]{1,253}"),
        R("url-password", "Credentials embedded in a URL", "://", @"(?i)\b(?:https?|ftps?|sftp|ssh|smtps?|imaps?|ldaps?|git|svn)://[^\s:/@'""]{1,64}:([^\s:/@'""]{3,128})@[a-z0-9.\[\]-]{1,253}", 2.5),
        R("jdbc-password", "Password in a JDBC URL", "jdbc:", @"(?i)\bjdbc:[a-z0-9]+:[^\s'""]*?[?&;]password=([^&;\s'""]{3,128})", 2.5),
        R("ado-connection-string-password", "Password in an ADO.NET / ODBC connection string", "password=,pwd=", @"(?i)(?:server|data source|host|addr|address)[ \t]*=[^;'""\n]{1,200};[^'""\n]{0,300}?\b(?:password|pwd)[ \t]*=[ \t]*([^;'""\s]{3,128})", 2.5),
        R("cloudinary-url", "Cloudinary URL with API secret", "cloudinary://", @"cloudinary://[0-9]{15}:([A-Za-z0-9_-]{27})@[a-z0-9-]+", 3.0),

        // ---- AI, data and developer platforms
        T("openai-api-key", "OpenAI API key", "t3blbkfj", @"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,74}T3BlbkFJ[A-Za-z0-9_-]{20,74}", 3.5),
        T("anthropic-api-key", "Anthropic API key", "sk-ant-api03", @"sk-ant-api03-[A-Za-z0-9_-]{93}AA", 3.5),
        T("anthropic-admin-key", "Anthropic admin API key", "sk-ant-admin01", @"sk-ant-admin01-[A-Za-z0-9_-]{93}AA", 3.5),
        T("groq-api-key", "Groq API key", "gsk_", @"gsk_[A-Za-z0-9]{52}", 3.5),
        T("perplexity-api-key", "Perplexity API key", "pplx-", @"pplx-[A-Za-z0-9]{48}", 3.5),
        T("replicate-api-token", "Replicate API token", "r8_", @"r8_[A-Za-z0-9]{37}", 3.5),
        KA("deepseek-api-key", "DeepSeek API key", "deepseek", "deepseek", @"sk-[a-f0-9]{32}", 3.0),
        KA("cohere-api-key", "Cohere API key", "cohere", "cohere", @"[A-Za-z0-9]{40}", 3.5),
        KA("mistral-api-key", "Mistral AI API key", "mistral", "mistral", @"[A-Za-z0-9]{32}", 3.5),
        T("xai-api-key", "xAI API key", "xai-", @"xai-[A-Za-z0-9]{80}", 3.5),
        T("langsmith-api-key", "LangSmith API key", "lsv2_", @"lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}", 3.0),
        T("databricks-token", "Databricks personal access token", "dapi", @"dapi[a-f0-9]{32}(?:-\d)?", 3.0),
        T("planetscale-token", "PlanetScale API token", "pscale_tkn_", @"pscale_tkn_[A-Za-z0-9=._-]{32,64}", 3.5),
        T("planetscale-password", "PlanetScale database password", "pscale_pw_", @"pscale_pw_[A-Za-z0-9=._-]{32,64}", 3.5),
        T("supabase-token", "Supabase access token", "sbp_", @"sbp_[a-f0-9]{40}", 3.0),
        T("mapbox-secret-token", "Mapbox secret access token", "sk.eyj", @"sk\.eyJ[A-Za-z0-9_-]{50,}\.[A-Za-z0-9_-]{20,}", 3.5),
        KA("algolia-admin-key", "Algolia admin API key", "algolia", "algolia", @"[a-f0-9]{32}", 3.0),
        T("contentful-pat", "Contentful personal access token", "cfpat-", @"CFPAT-[A-Za-z0-9_-]{43}", 3.5),
        T("postman-api-key", "Postman API key", "pmak-", @"PMAK-[a-f0-9]{24}-[a-f0-9]{34}", 3.0),
        T("linear-api-key", "Linear API key", "lin_api_", @"lin_api_[A-Za-z0-9]{40}", 3.5),
        T("notion-token", "Notion integration token", "ntn_", @"ntn_[0-9]{11}[A-Za-z0-9]{35}", 3.5),
        T("notion-legacy-token", "Notion integration token (legacy)", "secret_", @"secret_[A-Za-z0-9]{43}", 3.5),
        T("airtable-pat", "Airtable personal access token", "pat", @"pat[A-Za-z0-9]{14}\.[a-f0-9]{64}", 3.5),
        T("figma-pat", "Figma personal access token", "figd_", @"figd_[A-Za-z0-9_-]{40}", 3.5),
        T("dropbox-token", "Dropbox short-lived access token", "sl.", @"sl\.[A-Za-z0-9_-]{130,152}", 3.5),
        T("frameio-token", "Frame.io API token", "fio-u-", @"fio-u-[A-Za-z0-9_=-]{64}", 3.5),
        T("typeform-token", "Typeform personal access token", "tfp_", @"tfp_[A-Za-z0-9_=-]{40,60}", 3.5),
        T("prefect-api-key", "Prefect API key", "pnu_", @"pnu_[A-Za-z0-9]{36}", 3.5),
        T("readme-api-key", "ReadMe API key", "rdme_", @"rdme_[a-z0-9]{70}", 3.5),
        R("infracost-api-key", "Infracost API key", "ico-", @"\b(ico-[A-Za-z0-9]{32})" + StrictEnd, 3.5),
        T("flyio-token", "Fly.io access token", "fo1_,fm1a_,fm1r_,fm2_", @"(?:fo1_[A-Za-z0-9_-]{43}|fm1[ar]_[A-Za-z0-9+/]{100,}={0,3}|fm2_[A-Za-z0-9+/]{100,}={0,3})", 3.5),
        T("hubspot-pat", "HubSpot private app token", "pat-na1-,pat-eu1-", @"pat-(?:na|eu)1-" + Uuid, 3.0),
        KA("hubspot-api-key", "HubSpot API key (legacy)", "hubspot", "hubspot", Uuid, 3.0),
        KA("adafruit-io-key-legacy", "Adafruit IO key (32 characters)", "adafruit", "adafruit", @"[A-Za-z0-9_-]{32}", 3.0),
        KA("adobe-client-id", "Adobe client id (API key)", "adobe", "adobe", @"[a-f0-9]{32}", 3.0),
        T("adobe-client-secret", "Adobe client secret", "p8e-", @"p8e-[A-Za-z0-9]{32}", 3.0),
        KA("airtable-api-key", "Airtable API key (key…)", "airtable", "airtable", @"[A-Za-z0-9]{17}", 3.0),
        KA("algolia-admin-key-assigned", "Algolia API key (32 characters)", "algolia", "algolia", @"[A-Za-z0-9]{32}", 3.0),
        KA("asana-client-id", "Asana client id", "asana", "asana", @"[0-9]{16}", 2.5),
        KA("asana-token", "Asana client secret or token", "asana", "asana", @"[A-Za-z0-9]{32}", 3.0),
        KA("beamer-api-token", "Beamer API key", "beamer", "beamer", @"b_[A-Za-z0-9=_-]{44}", 3.0),
        KA("confluent-api-key", "Confluent Cloud API key", "confluent", "confluent", @"[A-Za-z0-9]{16}", 3.0),
        KA("confluent-api-secret", "Confluent Cloud API secret", "confluent", "confluent", @"[A-Za-z0-9]{64}", 3.0),
        KA("contentful-delivery-token", "Contentful delivery API token", "contentful", "contentful", @"[A-Za-z0-9=_-]{43}", 3.0),
        KA("dropbox-app-key", "Dropbox app key or secret", "dropbox", "dropbox", @"[A-Za-z0-9]{15}", 3.0),
        KA("dropbox-long-lived-token", "Dropbox long-lived access token", "dropbox", "dropbox", @"[A-Za-z0-9]{11}AAAAAAAAAA[A-Za-z0-9_=-]{43}", 3.0),
        KA("finnhub-access-token", "Finnhub API token", "finnhub", "finnhub", @"[A-Za-z0-9]{20}", 3.0),
        KA("flickr-access-token", "Flickr API key", "flickr", "flickr", @"[A-Za-z0-9]{32}", 3.0),
        KA("launchdarkly-access-token", "LaunchDarkly access token", "launchdarkly", "launchdarkly", @"[A-Za-z0-9=_-]{40}", 3.0),
        KA("linear-client-secret", "Linear OAuth client secret", "linear", Word("linear"), @"[a-f0-9]{32}", 3.0),
        KA("linkedin-client-id", "LinkedIn client id", "linkedin,linked_in,linked-in", @"linked[_-]?in", @"[A-Za-z0-9]{14}", 3.0),
        KA("linkedin-client-secret", "LinkedIn client secret", "linkedin,linked_in,linked-in", @"linked[_-]?in", @"[A-Za-z0-9]{16}", 3.0),
        KA("looker-client-id", "Looker API client id", "looker", "looker", @"[A-Za-z0-9]{20}", 3.0),
        KA("looker-client-secret", "Looker API client secret", "looker", "looker", @"[A-Za-z0-9]{24}", 3.0),
        KA("mapbox-public-token", "Mapbox public access token", "mapbox", "mapbox", @"pk\.[A-Za-z0-9]{60}\.[A-Za-z0-9]{22}", 3.0),
        KA("nytimes-access-token", "New York Times API key", "nytimes,new-york-times,newyorktimes", @"nytimes|new-york-times|newyorktimes", @"[A-Za-z0-9=_-]{32}", 3.0),
        KA("privateai-api-token", "Private AI API key", "privateai,private_ai,private-ai", @"private[_-]?ai", @"[A-Za-z0-9]{32}", 3.0),
        KA("rapidapi-access-token", "RapidAPI key", "rapidapi", "rapidapi", @"[A-Za-z0-9_-]{50}", 3.0),
        T("intra42-client-secret", "42 Intra client secret", "s-s4t2ud-,s-s4t2af-", @"s-s4t2(?:ud|af)-[a-f0-9]{64}", 3.0),
        T("planetscale-oauth-token", "PlanetScale OAuth token", "pscale_oauth_", @"pscale_oauth_[A-Za-z0-9=._-]{32,64}", 3.0),
        T("tailscale-key", "Tailscale auth or API key", "tskey-", @"tskey-(?:auth|api|client|scim|webhook)-[A-Za-z0-9]{10,17}-[A-Za-z0-9]{30,33}", 3.5),
        T("adafruit-io-key", "Adafruit IO key", "aio_", @"aio_[A-Za-z0-9]{28}", 3.5),
        KA("meraki-api-key", "Cisco Meraki API key", "meraki", Word("meraki"), @"(?-i:[0-9a-f]{40})", 3.0),
        KA("qiniu-secret-key", "Qiniu Cloud secret key", "qiniu", "qiniu", @"[A-Za-z0-9_-]{40}", 3.5),
        KA("amap-key", "AMap (Gaode) web service key", "amap,gaode", "amap|gaode", @"[a-f0-9]{32}", 3.0),
        T("facebook-access-token", "Facebook / Meta access token", "eaam,eaac", @"EAA[MC][A-Za-z0-9]{100,300}", 3.5),
        R("facebook-app-access-token", "Facebook app access token (app id|secret)", "facebook", @"\b([0-9]{15,16}(?:\||%7C)[0-9A-Za-z_-]{27,40})" + End, 3.0),
        KA("facebook-app-secret", "Facebook app secret", "facebook", "facebook", @"[a-f0-9]{32}", 3.0),
        T("twitter-bearer-token", "Twitter / X bearer token", "aaaaaaaaaaaaaaaaaaaaa", @"AAAAAAAAAAAAAAAAAAAAA[A-Za-z0-9%]{60,120}"),
        T("firebase-cloud-messaging-key", "Firebase Cloud Messaging server key", "aaaa", @"AAAA[A-Za-z0-9_-]{7}:[A-Za-z0-9_-]{140}", 3.5),
        T("yandex-api-key", "Yandex Cloud API key", "aqvn", @"AQVN[A-Za-z0-9_-]{35,38}", 3.5),
        T("salesforce-access-token", "Salesforce access token", "00d", @"00D[A-Za-z0-9]{12,15}![A-Za-z0-9._]{80,120}", 3.5),

        // ---- Generic assignments, guarded by entropy
        R("generic-password", "Password assigned in configuration or code", "password,passwd,pwd",
            @"(?i)[\w.-]{0,50}?(?:password|passwd|pwd)" + Assign + @"([^\s'""\x60;,<>{}()$]{8,64})" + GenericEnd, 3.0)
            with { AllowSecrets = [CodeReference, ConstantName, DottedName, Elided, SopsEncrypted, Url], AllowMatches = [NamesSomethingElse], SkipVendorPrefixed = true },
        R("generic-api-key", "API key, token or secret assigned in configuration or code",
            "secret,token,auth,cred,apikey,api_key,api-key,api.key,accesskey,access_key,access-key,access.key,privatekey,private_key,private-key,private.key",
            @"(?i)[\w.-]{0,50}?(?:secret|token|auth|credentials?|creds|api[_.-]?key|access[_.-]?key|private[_.-]?key)" + Assign +
            @"([A-Za-z0-9_.=~-]{16,150}|[A-Za-z0-9][A-Za-z0-9+/]{15,148}={0,3})" + GenericEnd, 3.5)
            with
            {
                AllowSecrets = [CodeReference, ConstantName, DottedName, Elided, Setting, VersionedName, SopsEncrypted, Url],
                AllowMatches = [NamesSomethingElse], StopWords = GenericStopWords.Words, SkipVendorPrefixed = true,
            },
        R("authorization-basic", "HTTP Basic credentials in an Authorization header", "basic", @"(?i)authorization[""']?[ \t]*[:=][ \t]*[""']?basic[ \t]+([A-Za-z0-9+/]{8,}={0,2})", 3.0),
        R("authorization-bearer", "Bearer token in an Authorization header", "bearer", @"(?i)authorization[""']?[ \t]*[:=][ \t]*[""']?bearer[ \t]+([A-Za-z0-9._~+/-]{20,}=*)", 3.5),
        R("curl-user-credentials", "Credentials passed to curl with -u / --user", "curl",
            @"\bcurl\b(?:[^\n]|\\\r?\n)*?[ \t](?:-u|--user)(?:=|[ \t]{1,5})" +
            @"(?:""([^""\n:]{0,100}:[^""\n]{0,100})""|'([^'\n:]{0,100}:[^'\n]{0,100})'|((?:""[^""\n]{1,100}""|'[^'\n]{1,100}'|[^\s""':]{1,100}):(?:""[^""\n]{1,100}""|'[^'\n]{1,100}'|[^\s""']{1,100})))(?:[ \t\r]|(?m:$))", 2.0)
            with { AllowSecrets = [@"(?i)^[^:]*:[""']?(?:pass(?:word|wd)?|pwd|token|test|secret|changeme|changeit|x+|y+|\*+)[""']?$", @"(?:^|:)[""']?(?:\$|\{\{|<|\[)"] },
        R("curl-auth-header", "API key or token passed to curl in a request header", "curl",
            @"\bcurl\b(?:[^\n]|\\\r?\n)*?[ \t](?:-H|--header)(?:=|[ \t]{1,5})[""'](?i:authorization:[ \t]{0,5}(?:(?:api-)?token[ \t]+)?|(?:x-(?:[a-z]+-)?)?(?:api-?)?(?:key|token):[ \t]{0,5})" +
            @"([A-Za-z0-9=~@.+/_-]{8,200})[""']", 2.75),
        R("terraform-password", "Password in a Terraform or HCL file", "password",
            @"(?i)[\w.-]{0,50}?(?:administrator_login_password|password)" + Assign + @"""([A-Za-z0-9=_-]{8,20})""" + End, 2.0) with { Path = @"(?i)\.(?:tf|hcl)$" },
        R("nuget-config-password", "Clear-text password in a NuGet.config", "<add key=",
            @"(?i)<add[ \t]{1,16}key=""(?:ClearText)?Password""[ \t]{1,16}value=""([^""\n]{8,256})""[ \t]{0,16}/>", 1.0)
            with { Path = @"(?i)(?:^|/)nuget\.config$", AllowSecrets = [@"^%[^%]+%$", NuGetDocumentationPasswords] },
        R("kubernetes-secret-yaml", "Data of a Kubernetes Secret in a manifest", "secret",
            @"(?i)\bkind:[ \t]*[""']?secret[""']?[ \t]*\r?\n(?s:.){0,400}?\bdata:[ \t]*\r?\n" + KubernetesDataEntry +
            @"|\bdata:[ \t]*\r?\n" + KubernetesDataEntry + @"(?s:.){0,400}?\bkind:[ \t]*[""']?secret[""']?[ \t]*(?:\r?\n|$)", 3.0)
            with { Path = @"(?i)\.ya?ml$", AllowMatches = [@"\n---[ \t]*\r?\n"] },
        R("php-freemius-secret-key", "Freemius SDK secret key in PHP", "secret_key",
            @"(?i)[""']secret_key[""'][ \t]{0,16}=>[ \t]{0,16}[""'](sk_[^\s""']{29})[""']", 0) with { Path = @"(?i)\.php$" },
    ];
}
