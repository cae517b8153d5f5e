using System.Text.Json.Nodes;
using ZeroDrift.Runtime.Audit;
using ZeroDrift.Runtime.Rules;
using static ZeroDrift.Runtime.Tests.Audit.AuditEvents;

namespace ZeroDrift.Runtime.Tests.Audit;

/// <summary>
/// Oracle for Falco's aws_cloudtrail_rules.yaml, loaded unchanged: for each of its 22 rules a CloudTrail record that
/// must fire it and a near miss that must not. The file disables two rules (All Cloudtrail Events, List Buckets);
/// they are judged "disabled in the rule file" and their records checked with the rule enabled, as a user would.
/// </summary>
public sealed class CloudTrailRuleTests
{
    private sealed record Case(Func<JsonObject> Fire, Func<JsonObject> Miss, string? Override = null);

    private const string Denied = "AccessDenied";

    private static JsonObject Login(string identity, string result, string mfa) => Trail("ConsoleLogin", "signin.amazonaws.com", identity: identity,
        response: new JsonObject { ["ConsoleLogin"] = result }, additional: new JsonObject { ["MFAUsed"] = mfa, ["LoginTo"] = "https://console.aws.amazon.com/" },
        change: r => r["requestParameters"] = null);

    private static JsonObject PublicAccessBlock(bool value) => Trail("PutBucketPublicAccessBlock", "s3.amazonaws.com", request: new JsonObject
    {
        ["publicAccessBlock"] = "",
        ["bucketName"] = "shop-invoices",
        ["Host"] = "shop-invoices.s3.amazonaws.com",
        ["PublicAccessBlockConfiguration"] = new JsonObject
        {
            ["xmlns"] = "http://s3.amazonaws.com/doc/2006-03-01/",
            ["RestrictPublicBuckets"] = value, ["BlockPublicPolicy"] = value, ["BlockPublicAcls"] = value, ["IgnorePublicAcls"] = value,
        },
    });

    private static Case Plain(string name, string source, JsonObject? request = null) =>
        new(() => Trail(name, source, request: request?.DeepClone().AsObject()), () => Trail(name, source, error: Denied, request: request?.DeepClone().AsObject()));

    private static JsonObject RunInstances(string? error = null) => Trail("RunInstances", "ec2.amazonaws.com", error: error,
        request: new JsonObject { ["instanceType"] = "t3.micro", ["availabilityZone"] = "eu-west-3a" },
        response: error is null ? new JsonObject
        {
            ["reservationId"] = "r-0123456789abcdef0", ["subnetId"] = "subnet-0a1b2c3d",
            ["instancesSet"] = new JsonObject { ["items"] = new JsonArray(new JsonObject { ["instanceId"] = "i-0123456789abcdef0" }) },
        } : null);

    private static readonly Dictionary<string, Case> Cases = new(StringComparer.Ordinal)
    {
        ["All Cloudtrail Events"] = new(() => Trail("DescribeInstances", "ec2.amazonaws.com"), () => Trail("DescribeInstances", "ec2.amazonaws.com"),
            "- rule: All Cloudtrail Events\n  enabled: true\n"),
        ["Console Login Through Assume Role"] = new(() => Login("AssumedRole", "Success", "No"), () => Login("AssumedRole", "Failure", "No")),
        ["Console Login Without MFA"] = new(() => Login("IAMUser", "Success", "No"), () => Login("IAMUser", "Success", "Yes")),
        ["Console Root Login Without MFA"] = new(() => Login("Root", "Success", "No"), () => Login("IAMUser", "Success", "No")),
        ["Deactivate MFA for Root User"] = new(
            () => Trail("DeactivateMFADevice", identity: "Root", request: new JsonObject { ["userName"] = "AWS ROOT USER", ["serialNumber"] = "arn:aws:iam::123456789012:mfa/root-account-mfa-device" }),
            () => Trail("DeactivateMFADevice", identity: "Root", request: new JsonObject { ["userName"] = "bob", ["serialNumber"] = "arn:aws:iam::123456789012:mfa/bob" })),
        ["Create AWS user"] = Plain("CreateUser", "iam.amazonaws.com", new JsonObject { ["userName"] = "eve" }),
        ["Create Group"] = Plain("CreateGroup", "iam.amazonaws.com", new JsonObject { ["groupName"] = "ops" }),
        ["Delete Group"] = Plain("DeleteGroup", "iam.amazonaws.com", new JsonObject { ["groupName"] = "ops" }),
        ["ECS Service Created"] = new(
            () => Trail("CreateService", "ecs.amazonaws.com", request: new JsonObject { ["cluster"] = "prod", ["serviceName"] = "web", ["taskDefinition"] = "web:7" }),
            () => Trail("CreateService", "servicediscovery.amazonaws.com", request: new JsonObject { ["name"] = "web" })),
        ["ECS Task Run or Started"] = new(
            () => Trail("StartTask", "ecs.amazonaws.com", request: new JsonObject { ["cluster"] = "prod", ["taskDefinition"] = "miner:1" }),
            () => Trail("StopTask", "ecs.amazonaws.com", request: new JsonObject { ["cluster"] = "prod", ["task"] = "t-1" })),
        ["Create Lambda Function"] = new(
            () => Trail("CreateFunction20150331", "lambda.amazonaws.com", request: new JsonObject { ["functionName"] = "exfil" }),
            () => Trail("GetFunction20150331v2", "lambda.amazonaws.com", request: new JsonObject { ["functionName"] = "exfil" })),
        ["Update Lambda Function Code"] = Plain("UpdateFunctionCode20150331v2", "lambda.amazonaws.com", new JsonObject { ["functionName"] = "billing" }),
        ["Update Lambda Function Configuration"] = Plain("UpdateFunctionConfiguration20150331v2", "lambda.amazonaws.com", new JsonObject { ["functionName"] = "billing" }),
        ["Run Instances"] = new(() => RunInstances(), () => RunInstances(Denied)),
        ["Run Instances in Non-approved Region"] = new(() => RunInstances(), () => RunInstances(),
            "- list: approved_regions\n  items: [eu-west-3]\n"),
        ["Delete Bucket Encryption"] = Plain("DeleteBucketEncryption", "s3.amazonaws.com", new JsonObject { ["bucketName"] = "shop-invoices", ["encryption"] = "" }),
        ["Delete Bucket Public Access Block"] = new(() => PublicAccessBlock(false), () => PublicAccessBlock(true)),
        ["List Buckets"] = new(() => Trail("ListBuckets", "s3.amazonaws.com", request: new JsonObject { ["Host"] = "s3.eu-west-3.amazonaws.com" }),
            () => Trail("ListBuckets", "s3.amazonaws.com", error: Denied), "- rule: List Buckets\n  enabled: true\n"),
        ["Put Bucket ACL"] = Plain("PutBucketAcl", "s3.amazonaws.com", new JsonObject { ["bucketName"] = "shop-invoices", ["acl"] = "" }),
        ["Put Bucket Policy"] = Plain("PutBucketPolicy", "s3.amazonaws.com", new JsonObject { ["bucketName"] = "shop-invoices", ["bucketPolicy"] = new JsonObject() }),
        ["CloudTrail Trail Created"] = Plain("CreateTrail", "cloudtrail.amazonaws.com", new JsonObject { ["name"] = "shadow", ["s3BucketName"] = "attacker-bucket" }),
        ["CloudTrail Logging Disabled"] = new(
            () => Trail("StopLogging", "cloudtrail.amazonaws.com", request: new JsonObject { ["name"] = "arn:aws:cloudtrail:eu-west-3:123456789012:trail/main" }),
            () => Trail("StartLogging", "cloudtrail.amazonaws.com", request: new JsonObject { ["name"] = "arn:aws:cloudtrail:eu-west-3:123456789012:trail/main" })),
    };

    public static TheoryData<string> Rules => [.. Cases.Keys];

    [Fact]
    public void The_file_has_22_rules_and_every_one_has_a_case()
    {
        var names = Load(CloudTrailRules).Rules.Select(r => r.Name).ToList();
        Assert.Equal(22, names.Count);
        Assert.Equal(names.Order(StringComparer.Ordinal), Cases.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_enabled_rule_is_evaluated_and_the_two_the_file_disables_say_so()
    {
        var engine = AuditSources.CompileCloudTrail(Load(CloudTrailRules));
        Assert.Equal(20, engine.Statuses.Count(s => s.IsFullyEvaluated));
        var disabled = engine.Statuses.Where(s => !s.IsFullyEvaluated).ToList();
        Assert.Equal(["All Cloudtrail Events", "List Buckets"], disabled.Select(s => s.Name).Order(StringComparer.Ordinal));
        Assert.All(disabled, s => Assert.Equal(RuleState.DisabledByFile, s.State));
    }

    [Theory]
    [MemberData(nameof(Rules))]
    public void Rule_fires_on_its_record_and_not_on_the_near_miss(string rule)
    {
        var c = Cases[rule];
        // The near miss of "Run Instances in Non-approved Region" is the same record once its region is approved;
        // "All Cloudtrail Events" matches every record (evt.num > 0), so it has no near miss but the file's own switch.
        var fire = AuditSources.CompileCloudTrail(Load(CloudTrailRules, rule == "Run Instances in Non-approved Region" ? null : c.Override));
        Assert.Contains(rule, Fired(fire, c.Fire()));
        if (rule == "All Cloudtrail Events")
        {
            Assert.DoesNotContain(rule, Fired(AuditSources.CompileCloudTrail(Load(CloudTrailRules)), c.Miss()));
            return;
        }
        var miss = rule == "Run Instances in Non-approved Region" ? AuditSources.CompileCloudTrail(Load(CloudTrailRules, c.Override)) : fire;
        Assert.DoesNotContain(rule, Fired(miss, c.Miss()));
    }

    [Fact]
    public void Alerts_carry_the_plugin_fields_in_Falco_output()
    {
        var engine = AuditSources.CompileCloudTrail(Load(CloudTrailRules));
        using var doc = System.Text.Json.JsonDocument.Parse(Login("Root", "Success", "No").ToJsonString());
        var ev = CloudTrailEvent.From(doc.RootElement, 1, 0, out _)!;
        var rule = engine.Rules.Single(r => r.Name == "Console Root Login Without MFA");
        var alert = rule.CreateAlert(ev, ev.TimeNs, "aws");
        Assert.Equal("aws_cloudtrail", alert.Source);
        Assert.EndsWith("Critical Detected a root console login without MFA. (requesting user=root, requesting IP=198.51.100.7, AWS region=eu-west-3)", alert.Output);
        Assert.Equal("root", alert.OutputFields["ct.user"]);
    }

    [Fact]
    public void User_is_chosen_by_identity_type_as_the_plugin_does()
    {
        var table = CloudTrailFields.Table;
        var set = new RuleSet();
        RuleLoader.LoadText(set, """
            - rule: by ops role
              desc: x
              condition: ct.user = ops
              output: x
              priority: INFO
              source: aws_cloudtrail
            """, "t.yaml");
        var engine = RuleEngine<CloudTrailEvent>.Compile(set, table, AuditSources.Profile("aws_cloudtrail"), "aws_cloudtrail");
        Assert.True(engine.Statuses.Single().IsFullyEvaluated, engine.Statuses.Single().Reason);
        Assert.Contains("by ops role", Fired(engine, Trail("GetCallerIdentity", identity: "AssumedRole")));
        Assert.DoesNotContain("by ops role", Fired(engine, Trail("GetCallerIdentity", identity: "IAMUser")));
    }
}
