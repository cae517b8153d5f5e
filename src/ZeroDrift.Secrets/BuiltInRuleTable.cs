using System.Text.RegularExpressions;

namespace ZeroDrift.Secrets;

/// <summary>The rows of <see cref="BuiltInRules"/>; kept apart so the table reads as data.</summary>
internal static class BuiltInRuleTable
{
    private const RegexOptions Fast = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant;

    // Built on first use: only files with a finding need the allowlists.
    private static LazyRegex Lazy(string pattern, RegexOptions options) => new(() => new Regex(pattern, options));

    /// <summary>Obvious placeholders and examples that are never real secrets.</summary>
    public static readonly SecretAllowlist Placeholders = new()
    {
        Description = "placeholders",
        Regexes = [Lazy(@"(?i)^(?:x{6,}|\*{6,}|0{8,}|(?:your|my|example|sample|dummy|fake|changeme|placeholder)[_-][\w-]*|<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\}|\$[A-Z_][A-Z0-9_]*|pass(?:word|wd)?|secret|changeme|admin|root|guest|user(?:name)?)$", Fast)],
        StopWords = ["example", "xxxxxxxx", "placeholder", "changeme", "your_", "your-", "redacted", "dummy"],
    };

    /// <summary>Files that hold hashes and checksums rather than secrets.</summary>
    public static readonly SecretAllowlist GlobalPaths = new()
    {
        Description = "lockfiles, checksums and binary-ish assets",
        Paths = [Lazy(@"(?i)(?:^|/)(?:go\.sum|package-lock\.json|yarn\.lock|pnpm-lock\.yaml|poetry\.lock|Cargo\.lock|composer\.lock|Gemfile\.lock|packages\.lock\.json)$|\.(?:png|jpe?g|gif|svg|ico|woff2?|ttf|eot|pdf)$", Fast)],
    };

    private static BuiltInRules.Definition R(string id, string description, string keywords, string regex, double entropy = 0, int group = 0) =>
        new(id, description, keywords.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries), regex, entropy, group);

    /// <summary>A token recognisable by its own shape (a vendor prefix): word boundary, token, then a delimiter.</summary>
    private static BuiltInRules.Definition T(string id, string description, string keywords, string token, double entropy = 0) =>
        R(id, description, keywords, @"\b(" + token + ")" + End, entropy);

    /// <summary>A value that only means something after a vendor's name: <c>name… = value</c> in any config syntax.</summary>
    private static BuiltInRules.Definition KA(string id, string description, string keywords, string name, string value, double entropy = 3.0) =>
        R(id, description, keywords, @"(?i)[\w.-]{0,50}?(?:" + name + ")" + Assign + "(" + value + ")" + End, entropy);

    // The token ends at a quote, space, punctuation, an escaped newline or the line end.
    private const string End = @"(?:[\x60'""\s;,.)\]}>&<|#]|\\[nr]|$)";
    // "name <sep> value" in shell, YAML, JSON, TOML, INI, code: the separator and optional quotes.
    private const string Assign = @"(?:[ \t\w.-]{0,20})[\s'""]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)[\x60'""\s=]{0,5}";
    // A value without a digit that reads as code (Async.CancellationToken, process.env.API_TOKEN, getToken) is a
    // reference to a secret, not one: real generated secrets practically always hold a digit.
    private const string CodeReference = @"^[A-Za-z_$][A-Za-z_$.\-]*(?:\(\))?$";
    private const string Uuid = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

    public static readonly BuiltInRules.Definition[] Rows =
    [
        // ---- Cloud providers
        R("aws-access-key-id", "AWS access key ID", "akia,asia,abia,acca", @"\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b", 3.0),
        KA("aws-secret-access-key", "AWS secret access key", "aws,secret_access_key,secretaccesskey", @"aws[\w.-]{0,20}secret|secret_?access_?key", @"[A-Za-z0-9/+]{40}", 4.0),
        KA("aws-session-token", "AWS session token", "session_token,security-token,sessiontoken", @"aws_?session_?token|x-amz-security-token|sessiontoken", @"[A-Za-z0-9/+=]{100,1000}[A-Za-z0-9/+=]{0,200}", 4.0),
        R("aws-mws-key", "Amazon MWS auth token", "amzn.mws.", @"\b(amzn\.mws\." + Uuid + ")"),
        T("gcp-api-key", "Google Cloud / Firebase API key", "aiza", @"AIza[0-9A-Za-z_-]{35}", 3.0),
        R("gcp-service-account-key-id", "Google Cloud service account private key id", "private_key_id", @"""private_key_id""\s*:\s*""([a-f0-9]{40})""", 3.0),
        T("gcp-oauth-client-secret", "Google OAuth client secret", "gocspx-", @"GOCSPX-[A-Za-z0-9_-]{28}", 3.0),
        T("google-oauth-access-token", "Google OAuth access token", "ya29.", @"ya29\.[0-9A-Za-z_-]{30,300}", 3.5),
        R("google-oauth-refresh-token", "Google OAuth refresh token", "1//0", @"(?:^|[^0-9A-Za-z_/-])(1//0[0-9A-Za-z_-]{40,300})" + End, 3.5),
        R("azure-storage-account-key", "Azure storage account key in a connection string", "accountkey=", @"(?i)AccountKey=([A-Za-z0-9+/]{86}==)"),
        R("azure-sas-token", "Azure shared access signature", "sig=", @"\bsv=\d{4}-\d{2}-\d{2}&[^\s""'<>]{0,300}?\bsig=([A-Za-z0-9%+/]{40,90}(?:%3D|=)?)"),
        R("azure-ad-client-secret", "Azure AD (Entra ID) client secret", "q~", @"(?:^|[\x60'""\s>=:(,])([A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34})" + End, 3.0),
        T("azure-devops-pat", "Azure DevOps personal access token", "azdo", @"[A-Za-z0-9]{76}AZDO[A-Za-z0-9]{4}", 4.0),
        KA("azure-devops-pat-legacy", "Azure DevOps personal access token (legacy)", "devops,vsts,ado_pat,azure_pat", @"devops|vsts|ado_?pat|azure_?pat", @"[a-z2-7]{52}", 3.5),
        R("azure-cosmosdb-key", "Azure Cosmos DB account key", "documents.azure.com", @"(?i)AccountEndpoint=https://[a-z0-9-]+\.documents\.azure\.com:443/?;\s*AccountKey=([A-Za-z0-9+/]{86}==)"),
        R("azure-service-bus-key", "Azure Service Bus / Event Hubs shared access key", "sharedaccesskey=", @"(?i)SharedAccessKeyName=[^;""'\s]{1,100};\s*SharedAccessKey=([A-Za-z0-9+/]{43}=)"),
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
        KA("fastly-api-token", "Fastly API token", "fastly", "fastly", @"[A-Za-z0-9_-]{32}", 3.5),
        KA("vercel-token", "Vercel access token", "vercel", "vercel", @"[A-Za-z0-9]{24}", 3.5),
        KA("netlify-token", "Netlify access token", "netlify", "netlify", @"[A-Za-z0-9_-]{40,46}", 3.5),
        KA("scaleway-secret-key", "Scaleway secret key", "scaleway,scw_secret", @"scaleway|scw_secret", Uuid, 3.0),
        T("hashicorp-vault-service-token", "HashiCorp Vault service token", "hvs.", @"hvs\.[A-Za-z0-9_-]{90,120}", 3.5),
        T("hashicorp-vault-batch-token", "HashiCorp Vault batch token", "hvb.", @"hvb\.[A-Za-z0-9_-]{138,300}", 3.5),
        T("terraform-cloud-token", "Terraform Cloud / HCP Terraform API token", "atlasv1", @"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}", 3.5),
        T("doppler-token", "Doppler API token", "dp.pt.,dp.st.,dp.sa.,dp.ct.", @"dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,44}", 3.5),
        T("pulumi-access-token", "Pulumi access token", "pul-", @"pul-[a-f0-9]{40}", 3.0),
        KA("snyk-token", "Snyk API token", "snyk", "snyk", Uuid, 3.0),
        T("sentry-user-token", "Sentry user auth token", "sntryu_", @"sntryu_[a-f0-9]{64}", 3.0),
        T("sentry-org-token", "Sentry organization auth token", "sntrys_", @"sntrys_eyJ[A-Za-z0-9+/=_-]{80,400}", 3.5),
        KA("datadog-api-key", "Datadog API key", "datadog,dd_api_key,dd-api-key", @"datadog[\w.-]{0,20}api|dd[_-]api[_-]?key", @"[a-f0-9]{32}", 3.0),
        KA("datadog-app-key", "Datadog application key", "datadog,dd_app_key,dd-application-key", @"datadog[\w.-]{0,20}app|dd[_-]app(?:lication)?[_-]?key", @"[a-f0-9]{40}", 3.0),
        T("newrelic-user-key", "New Relic user API key", "nrak-", @"NRAK-[A-Z0-9]{27}", 3.0),
        T("newrelic-insert-key", "New Relic insights insert key", "nrii-", @"NRII-[A-Za-z0-9_-]{32}", 3.0),
        T("newrelic-browser-key", "New Relic browser API key", "nrjs-", @"NRJS-[a-f0-9]{19}", 3.0),
        T("grafana-cloud-token", "Grafana Cloud API token", "glc_", @"glc_[A-Za-z0-9+/]{32,400}={0,2}", 3.5),
        T("grafana-service-account-token", "Grafana service account token", "glsa_", @"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}", 3.5),
        T("dynatrace-token", "Dynatrace API token", "dt0c01.", @"dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64}", 3.5),
        KA("splunk-hec-token", "Splunk HTTP Event Collector token", "splunk", "splunk", Uuid, 3.0),
        KA("pagerduty-api-key", "PagerDuty API key", "pagerduty", "pagerduty", @"[A-Za-z0-9+_-]{20}", 3.5),
        KA("opsgenie-api-key", "Opsgenie API key", "opsgenie", "opsgenie", Uuid, 3.0),

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
        T("gitlab-deploy-token", "GitLab deploy token", "gldt-", @"gldt-[0-9A-Za-z_-]{20}", 3.0),
        T("gitlab-feed-token", "GitLab feed token", "glft-", @"glft-[0-9A-Za-z_-]{20}", 3.0),
        T("gitlab-oauth-app-secret", "GitLab OAuth application secret", "gloas-", @"gloas-[0-9A-Za-z_-]{64}", 3.5),
        T("gitlab-scim-token", "GitLab SCIM token", "glsoat-", @"glsoat-[0-9A-Za-z_-]{20}", 3.0),
        T("gitlab-incoming-mail-token", "GitLab incoming mail token", "glimt-", @"glimt-[0-9A-Za-z_-]{25}", 3.0),
        T("gitlab-agent-token", "GitLab agent for Kubernetes token", "glagent-", @"glagent-[0-9A-Za-z_-]{50}", 3.5),
        T("gitlab-cicd-job-token", "GitLab CI/CD job token", "glcbt-", @"glcbt-[0-9A-Za-z]{1,5}_[0-9A-Za-z_-]{20}", 3.0),
        T("gitlab-feature-flag-token", "GitLab feature flags client token", "glffct-", @"glffct-[0-9A-Za-z_-]{20}", 3.0),
        T("bitbucket-app-password", "Bitbucket app password / Atlassian API token (ATBB)", "atbb", @"ATBB[A-Za-z0-9_=.-]{28,64}", 3.5),
        KA("bitbucket-client-secret", "Bitbucket OAuth consumer secret", "bitbucket", @"bitbucket[\w.-]{0,20}secret", @"[A-Za-z0-9=_-]{32,64}", 3.5),
        T("atlassian-api-token", "Atlassian API token", "atatt3", @"ATATT3[A-Za-z0-9_=-]{186}", 3.5),
        T("circleci-pat", "CircleCI personal API token", "ccipat_", @"CCIPAT_[A-Za-z0-9]{22}_[a-f0-9]{40}", 3.5),
        KA("travis-ci-token", "Travis CI access token", "travis", "travis", @"[A-Za-z0-9_-]{22}", 3.5),
        KA("jenkins-api-token", "Jenkins API token", "jenkins", "jenkins", @"[a-f0-9]{32,34}", 3.0),
        T("buildkite-token", "Buildkite API access token", "bkua_", @"bkua_[a-f0-9]{40}", 3.0),
        KA("drone-ci-token", "Drone CI token", "drone", "drone", @"[A-Za-z0-9]{32}", 3.5),
        T("sourcegraph-token", "Sourcegraph access token", "sgp_", @"sgp_(?:[a-f0-9]{16}_)?[a-f0-9]{40}", 3.0),
        KA("gitea-token", "Gitea / Forgejo access token", "gitea,forgejo", "gitea|forgejo", @"[a-f0-9]{40}", 3.0),
        KA("gitee-token", "Gitee private token", "gitee", "gitee", @"[a-f0-9]{32}", 3.0),
        KA("jfrog-api-key", "JFrog Artifactory API key", "jfrog,artifactory", "jfrog|artifactory", @"AKC[A-Za-z0-9]{70}", 3.5),
        T("jfrog-identity-token", "JFrog identity / reference token", "cmvmdgtuojaxoj", @"cmVmdGtuOjAxOj[A-Za-z0-9]{40,80}", 3.5),
        T("sonarqube-token", "SonarQube / SonarCloud token", "sqp_,sqa_,squ_", @"sq[pua]_[a-f0-9]{40}", 3.0),
        KA("codecov-token", "Codecov upload token", "codecov", "codecov", Uuid, 3.0),
        T("octopus-deploy-api-key", "Octopus Deploy API key", "api-", @"API-[A-Z0-9]{26}", 3.0),

        // ---- Package registries
        T("npm-access-token", "npm access token", "npm_", @"npm_[A-Za-z0-9]{36}", 3.0),
        R("npmrc-auth-token", "npm registry auth token in .npmrc", "_authtoken", @"//[^\s""']{1,200}:_authToken\s*=\s*([A-Za-z0-9_.+/=-]{20,200})" + End, 3.0),
        R("npmrc-auth", "npm registry basic auth in .npmrc", "_auth", @"(?:^|\s|:)_auth\s*=\s*([A-Za-z0-9+/]{16,200}={0,2})" + End, 3.5),
        T("pypi-upload-token", "PyPI upload token", "pypi-ageichlwas5vcmc", @"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,1000}", 3.5),
        T("testpypi-upload-token", "TestPyPI upload token", "pypi-agendgvzdc5wexbplm9yzw", @"pypi-AgENdGVzdC5weXBpLm9yZw[A-Za-z0-9_-]{50,1000}", 3.5),
        T("nuget-api-key", "NuGet.org API key", "oy2", @"oy2[a-z0-9]{43}", 3.5),
        T("rubygems-api-key", "RubyGems API key", "rubygems_", @"rubygems_[a-f0-9]{48}", 3.0),
        T("dockerhub-pat", "Docker Hub personal access token", "dckr_pat_", @"dckr_pat_[A-Za-z0-9_-]{27}", 3.5),
        T("dockerhub-oat", "Docker Hub organization access token", "dckr_oat_", @"dckr_oat_[A-Za-z0-9_-]{32}", 3.5),
        R("docker-config-auth", "Registry credentials in a Docker config.json", "\"auth\"", @"""auth""\s*:\s*""([A-Za-z0-9+/]{16,500}={0,2})""", 3.5),
        T("crates-io-token", "crates.io API token", "cio", @"cio[A-Za-z0-9]{32}", 3.5),
        T("clojars-token", "Clojars deploy token", "clojars_", @"CLOJARS_[a-z0-9]{60}", 3.0),
        R("maven-settings-password", "Password in a Maven settings.xml", "<password>", @"<password>([^<\s$]{8,128})</password>", 3.0),
        KA("gradle-repository-password", "Repository password in gradle.properties", "ossrh,sonatype,nexus,maven", @"(?:ossrh|sonatype|nexus|maven)[\w.-]{0,20}(?:password|token)", @"[^\s'""$]{8,64}", 3.0),
        T("huggingface-token", "Hugging Face access token", "hf_", @"hf_[A-Za-z]{34}", 3.5),
        T("huggingface-org-token", "Hugging Face organization API token", "api_org_", @"api_org_[A-Za-z]{34}", 3.5),

        // ---- Chat, webhooks, messaging
        T("slack-bot-token", "Slack bot token", "xoxb-", @"xoxb-[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{24}", 3.0),
        T("slack-user-token", "Slack user token", "xoxp-", @"xoxp-[0-9]{10,13}-[0-9]{10,13}-[0-9]{10,13}-[a-f0-9]{32}", 3.0),
        T("slack-app-token", "Slack app-level token", "xapp-", @"xapp-\d-[A-Z0-9]{9,12}-\d{10,14}-[a-f0-9]{64}", 3.0),
        T("slack-config-access-token", "Slack configuration access token", "xoxe.xox", @"xoxe\.xox[bp]-\d-[A-Z0-9]{163,166}", 3.0),
        T("slack-config-refresh-token", "Slack configuration refresh token", "xoxe-", @"xoxe-\d-[A-Z0-9]{146}", 3.0),
        T("slack-legacy-token", "Slack legacy workspace or user token", "xoxo-,xoxs-,xoxa-", @"xox[osa]-\d{10,13}-\d{10,13}-\d{10,13}-[a-f0-9]{32}", 3.0),
        R("slack-webhook-url", "Slack incoming webhook URL", "hooks.slack.com", @"(https?://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{43,56})" + End, 3.5),
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
        KA("discord-client-secret", "Discord client secret", "discord", @"discord[\w.-]{0,20}secret", @"[A-Za-z0-9_-]{32}", 3.5),
        R("telegram-bot-token", "Telegram bot API token", ":aa", @"(?:^|[^0-9A-Za-z_:-])([0-9]{8,10}:AA[0-9A-Za-z_-]{33})" + End, 3.5),
        R("teams-webhook", "Microsoft Teams incoming webhook URL", "webhook.office.com", @"(https://[a-z0-9-]+\.webhook\.office\.com/webhookb2/[a-f0-9-]{36}@[a-f0-9-]{36}/IncomingWebhook/[a-f0-9]{32}/[a-f0-9-]{36})" + End, 3.5),
        KA("mattermost-token", "Mattermost access token", "mattermost", "mattermost", @"[a-z0-9]{26}", 3.5),
        T("twilio-api-key", "Twilio API key SID", "sk", @"SK[0-9a-f]{32}", 3.0),
        KA("twilio-auth-token", "Twilio auth token", "twilio", "twilio", @"[a-f0-9]{32}", 3.0),
        T("sendgrid-api-key", "SendGrid API key", "sg.", @"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}", 3.5),
        T("mailgun-api-key", "Mailgun private API key", "key-", @"key-[a-f0-9]{32}", 3.0),
        T("mailchimp-api-key", "Mailchimp API key", "-us", @"[a-f0-9]{32}-us[0-9]{1,2}", 3.0),
        KA("postmark-server-token", "Postmark server token", "postmark", "postmark", Uuid, 3.0),
        KA("mandrill-api-key", "Mandrill API key", "mandrill", "mandrill", @"[A-Za-z0-9_-]{22}", 3.5),
        KA("zendesk-api-token", "Zendesk API token", "zendesk", "zendesk", @"[A-Za-z0-9]{40}", 3.5),
        KA("intercom-access-token", "Intercom access token", "intercom", "intercom", @"[A-Za-z0-9=_-]{60}", 3.5),
        KA("okta-api-token", "Okta API token", "okta", "okta", @"00[A-Za-z0-9_-]{40}", 3.5),
        KA("auth0-client-secret", "Auth0 client secret", "auth0", @"auth0[\w.-]{0,20}secret", @"[A-Za-z0-9_-]{64}", 3.5),

        // ---- Payment and commerce
        T("stripe-secret-key", "Stripe secret key", "sk_live_,sk_test_", @"sk_(?:live|test)_[0-9A-Za-z]{24,99}", 3.0),
        T("stripe-restricted-key", "Stripe restricted key", "rk_live_,rk_test_", @"rk_(?:live|test)_[0-9A-Za-z]{24,99}", 3.0),
        T("stripe-webhook-secret", "Stripe webhook signing secret", "whsec_", @"whsec_[A-Za-z0-9]{32,64}", 3.5),
        T("braintree-access-token", "PayPal Braintree access token", "access_token$production$", @"access_token\$production\$[0-9a-z]{16}\$[0-9a-f]{32}", 3.0),
        T("square-access-token", "Square access token", "eaaa,sq0atp-", @"(?:EAAA|sq0atp-)[0-9A-Za-z_-]{22,60}", 3.5),
        T("square-oauth-secret", "Square OAuth secret", "sq0csp-", @"sq0csp-[0-9A-Za-z_-]{43}", 3.5),
        T("razorpay-key", "Razorpay API key id", "rzp_", @"rzp_(?:live|test)_[A-Za-z0-9]{14}", 3.0),
        T("flutterwave-secret-key", "Flutterwave secret key", "flwseck", @"FLWSECK(?:_TEST)?-[a-h0-9]{32}-X", 3.0),
        T("paystack-secret-key", "Paystack secret key", "sk_live_,sk_test_", @"sk_(?:live|test)_[a-f0-9]{40}", 3.0),
        KA("wechat-pay-api-key", "WeChat Pay merchant API key", "wxpay,wechatpay,mch_key,mchkey", @"(?:wxpay|wechatpay|wechat_pay|mch)[\w.-]{0,20}key", @"[A-Za-z0-9]{32}", 3.5),
        KA("alipay-private-key", "Alipay application private key", "alipay", @"alipay[\w.-]{0,20}private", @"MII[A-Za-z0-9+/]{200,}={0,2}", 4.0),
        T("shopify-access-token", "Shopify access token", "shpat_", @"shpat_[a-fA-F0-9]{32}", 3.0),
        T("shopify-custom-app-token", "Shopify custom app access token", "shpca_", @"shpca_[a-fA-F0-9]{32}", 3.0),
        T("shopify-private-app-token", "Shopify private app access token", "shppa_", @"shppa_[a-fA-F0-9]{32}", 3.0),
        T("shopify-shared-secret", "Shopify shared secret", "shpss_", @"shpss_[a-fA-F0-9]{32}", 3.0),
        KA("plaid-secret", "Plaid secret", "plaid", @"plaid[\w.-]{0,20}secret", @"[a-f0-9]{30}", 3.0),
        KA("gocardless-token", "GoCardless access token", "gocardless", "gocardless", @"live_[A-Za-z0-9_=-]{40}", 3.5),
        T("shippo-token", "Shippo API token", "shippo_", @"shippo_(?:live|test)_[a-f0-9]{40}", 3.0),
        T("easypost-api-key", "EasyPost API key", "ezak", @"EZAK[A-Za-z0-9]{54}", 3.5),

        // ---- Private keys and signed tokens
        R("pem-private-key", "PEM private key (RSA, EC, DSA, PKCS#8, encrypted)", "-----begin", @"(-----BEGIN (?:RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----[\s\S]{64,}?-----END (?:RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----)"),
        R("openssh-private-key", "OpenSSH private key", "-----begin openssh", @"(-----BEGIN OPENSSH PRIVATE KEY-----[\s\S]{64,}?-----END OPENSSH PRIVATE KEY-----)"),
        R("pgp-private-key", "PGP private key block", "-----begin pgp", @"(-----BEGIN PGP PRIVATE KEY BLOCK-----[\s\S]{64,}?-----END PGP PRIVATE KEY BLOCK-----)"),
        R("putty-private-key", "PuTTY private key file", "putty-user-key-file-", @"(PuTTY-User-Key-File-[23]: (?:ssh-rsa|ssh-ed25519|ssh-ed448|ssh-dss|ecdsa-sha2-nistp(?:256|384|521)))\s*$"),
        T("age-secret-key", "age encryption secret key", "age-secret-key-1", @"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}"),
        T("jwt", "JSON Web Token", "eyj", @"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}={0,2}", 3.0),
        R("kubeconfig-client-key", "Client private key in a kubeconfig", "client-key-data", @"client-key-data:\s*([A-Za-z0-9+/]{40,}={0,2})" + End, 4.0),
        T("docker-swarm-join-token", "Docker Swarm join token", "swmtkn-1-", @"SWMTKN-1-[a-z0-9]{50}-[a-z0-9]{25}", 3.5),
        T("k3s-node-token", "K3s node token", "k10", @"K10[a-f0-9]{64}::server:[a-f0-9]{32}", 3.0),
        R("htpasswd-apr1", "Apache MD5 (apr1) password hash", "$apr1$", @"^[\w.@-]{1,64}:(\$apr1\$[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{22})\s*$"),
        R("htpasswd-bcrypt", "bcrypt password hash in an htpasswd-style file", "$2y$,$2a$,$2b$", @"^[\w.@-]{1,64}:(\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53})\s*$"),
        T("onepassword-service-account-token", "1Password service account token", "ops_", @"ops_eyJ[A-Za-z0-9+/]{250,}={0,3}", 4.0),
        R("onepassword-secret-key", "1Password account secret key", "a3-", @"\b(A3-[A-Z0-9]{6}-[A-Z0-9]{6}-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5})\b", 3.0),

        // ---- Connection strings and URLs with passwords
        R("postgres-url-password", "PostgreSQL connection URL with a password", "postgres://,postgresql://", @"(?i)\bpostgres(?:ql)?://[^\s:/@'""]{1,64}:([^\s:/@'""]{3,128})@[a-z0-9.\[\]-]{1,253}"),
        R("mysql-url-password", "MySQL / MariaDB connection URL with a password", "mysql://,mariadb://", @"(?i)\b(?:mysql|mariadb)(?:\+[a-z]+)?://[^\s:/@'""]{1,64}:([^\s:/@'""]{3,128})@[a-z0-9.\[\]-]{1,253}"),
        R("mongodb-url-password", "MongoDB connection URL with a password", "mongodb://,mongodb+srv://", @"(?i)\bmongodb(?:\+srv)?://[^\s:/@'""]{1,64}:([^\s:/@'""]{3,128})@[a-z0-9.\[\]-]{1,253}"),
        R("redis-url-password", "Redis connection URL with a password", "redis://,rediss://", @"(?i)\brediss?://[^\s:/@'""]{0,64}:([^\s:/@'""]{3,128})@[a-z0-9.\[\]-]{1,253}"),
        R("amqp-url-password", "AMQP (RabbitMQ) connection URL with a password", "amqp://,amqps://", @"(?i)\bamqps?://[^\s:/@'""]{1,64}:([^\s:/@'""]{3,128})@[a-z0-9.\[\]-]{1,253}"),
        R("url-password", "Credentials embedded in a URL", "://", @"(?i)\b(?:https?|ftps?|sftp|ssh|smtps?|imaps?|ldaps?|git|svn)://[^\s:/@'""]{1,64}:([^\s:/@'""]{3,128})@[a-z0-9.\[\]-]{1,253}", 2.5),
        R("jdbc-password", "Password in a JDBC URL", "jdbc:", @"(?i)\bjdbc:[a-z0-9]+:[^\s'""]*?[?&;]password=([^&;\s'""]{3,128})", 2.5),
        R("ado-connection-string-password", "Password in an ADO.NET / ODBC connection string", "password=,pwd=", @"(?i)(?:server|data source|host|addr|address)\s*=[^;'""\n]{1,200};[^'""\n]{0,300}?\b(?:password|pwd)\s*=\s*([^;'""\s]{3,128})", 2.5),
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
        T("infracost-api-key", "Infracost API key", "ico-", @"ico-[A-Za-z0-9]{32}", 3.5),
        T("flyio-token", "Fly.io access token", "fo1_", @"fo1_[A-Za-z0-9_-]{43}", 3.5),
        T("hubspot-pat", "HubSpot private app token", "pat-na1-,pat-eu1-", @"pat-(?:na|eu)1-" + Uuid, 3.0),
        T("tailscale-key", "Tailscale auth or API key", "tskey-", @"tskey-(?:auth|api|client|scim|webhook)-[A-Za-z0-9]{10,17}-[A-Za-z0-9]{30,33}", 3.5),
        T("adafruit-io-key", "Adafruit IO key", "aio_", @"aio_[A-Za-z0-9]{28}", 3.5),
        KA("meraki-api-key", "Cisco Meraki API key", "meraki", "meraki", @"[a-f0-9]{40}", 3.0),
        KA("qiniu-secret-key", "Qiniu Cloud secret key", "qiniu", "qiniu", @"[A-Za-z0-9_-]{40}", 3.5),
        KA("amap-key", "AMap (Gaode) web service key", "amap,gaode", "amap|gaode", @"[a-f0-9]{32}", 3.0),
        T("facebook-access-token", "Facebook / Meta access token", "eaam,eaac", @"EAA[MC][A-Za-z0-9]{100,300}", 3.5),
        T("twitter-bearer-token", "Twitter / X bearer token", "aaaaaaaaaaaaaaaaaaaaa", @"AAAAAAAAAAAAAAAAAAAAA[A-Za-z0-9%]{60,120}"),
        T("firebase-cloud-messaging-key", "Firebase Cloud Messaging server key", "aaaa", @"AAAA[A-Za-z0-9_-]{7}:[A-Za-z0-9_-]{140}", 3.5),
        T("yandex-api-key", "Yandex Cloud API key", "aqvn", @"AQVN[A-Za-z0-9_-]{35,38}", 3.5),
        T("salesforce-access-token", "Salesforce access token", "00d", @"00D[A-Za-z0-9]{12,15}![A-Za-z0-9._]{80,120}", 3.5),

        // ---- Generic assignments, guarded by entropy
        R("generic-password", "Password assigned in configuration or code", "password,passwd,pwd", @"(?i)[\w.-]{0,30}?(?:password|passwd|pwd)(?:[\w.-]{0,20})[\s'""]{0,3}(?:=|:|:=|=>)[\s'""]{0,5}([^\s'""`;,<>{}()$]{8,64})(?:[\x60'""\s;,]|\\[nr]|$)", 3.0) with { AllowSecrets = [CodeReference] },
        R("generic-api-key", "API key, token or secret assigned in configuration or code", "secret,token,api_key,apikey,api-key,access_key,accesskey,auth_key,client_secret", @"(?i)[\w.-]{0,30}?(?:secret|token|api[_-]?key|access[_-]?key|auth[_-]?key)(?:[\w.-]{0,20})[\s'""]{0,3}(?:=|:|:=|=>)[\s'""]{0,5}([A-Za-z0-9_+/=.~-]{16,128})(?:[\x60'""\s;,]|\\[nr]|$)", 3.7) with { AllowSecrets = [CodeReference] },
        R("authorization-basic", "HTTP Basic credentials in an Authorization header", "basic", @"(?i)authorization[""']?\s*[:=]\s*[""']?basic\s+([A-Za-z0-9+/]{12,}={0,2})", 3.0),
        R("authorization-bearer", "Bearer token in an Authorization header", "bearer", @"(?i)authorization[""']?\s*[:=]\s*[""']?bearer\s+([A-Za-z0-9._~+/-]{20,}=*)", 3.5),
    ];
}
