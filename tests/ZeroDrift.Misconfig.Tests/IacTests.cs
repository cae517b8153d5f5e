using ZeroDrift.Misconfig.Documents;
using ZeroDrift.Misconfig.Iac.Terraform;

namespace ZeroDrift.Misconfig.Tests;

public sealed class HclParserTests
{
    private static DocNode Eval(string expression, Dictionary<string, DocNode>? vars = null) =>
        new HclEvaluator(vars ?? [], new Dictionary<string, HclExpr>(), "/").Evaluate(HclParser.ParseExpression(expression));

    // Cases reimplemented from hashicorp/hcl specsuite/tests (expressions/*.hcl, structure/*.hcl, comments, heredoc):
    // the same inputs, with the values the .t files expect.
    [Theory]
    [InlineData("\"a${\"b\"}c\"", "abc")]                          // expressions/primitive_literals: template with interpolation
    [InlineData("\"\\u00e9\\t\"", "é\t")]                           // escapes
    [InlineData("\"$${x}\"", "${x}")]                                // literal ${ escaped
    [InlineData("1 + 2 * 3", "7")]                                   // expressions/operators: precedence
    [InlineData("(1 + 2) * 3", "9")]
    [InlineData("5 % 3 == 2 && !false", "true")]
    [InlineData("true ? \"a\" : \"b\"", "a")]                        // conditional
    [InlineData("[for x in [1, 2, 3] : x * 2 if x > 1][1]", "6")]    // for-expression with filter and index
    [InlineData("{for k, v in {a = 1, b = 2} : v => k}[\"2\"]", "b")] // object for-expression
    [InlineData("length([1, 2, 3])", "3")]
    [InlineData("upper(\"ab\")", "AB")]
    [InlineData("join(\",\", concat([\"a\"], [\"b\"]))", "a,b")]
    [InlineData("merge({a = 1}, {a = 2}).a", "2")]
    [InlineData("([{a = 1}, {a = 2}][*].a)[1]", "2")]                // splat
    [InlineData("jsondecode(\"{\\\"x\\\": [1]}\").x[0]", "1")]
    public void Static_expressions_evaluate_as_terraform_does(string expression, string expected) =>
        Assert.Equal(expected, Eval(expression).Str);

    [Theory]
    [InlineData("aws_s3_bucket.logs.id")]
    [InlineData("data.aws_caller_identity.current.account_id")]
    [InlineData("file(\"x.json\")")]
    [InlineData("var.undefined")]
    [InlineData("\"arn:${aws_s3_bucket.logs.arn}/*\"")]
    public void What_is_only_known_at_apply_is_unknown_not_a_value(string expression) =>
        Assert.Equal(ScalarType.Unknown, Assert.IsType<ScalarNode>(Eval(expression)).Type);

    [Fact]
    public void A_file_of_blocks_attributes_heredocs_and_comments_parses_with_lines()
    {
        var body = HclParser.ParseFile("""
            # comment
            // comment
            /* block
               comment */
            variable "name" {
              default = "logs"
            }
            resource "aws_s3_bucket" "b" {
              bucket = "x-${var.name}"
              policy = <<-EOT
                {"a": "${var.name}"}
                EOT
              tags = {
                Name = "n"
                "k" = 1
              }
              versioning { enabled = true }
            }
            """);
        Assert.Equal(2, body.Blocks.Count);
        var resource = body.Blocks[1];
        Assert.Equal(["aws_s3_bucket", "b"], resource.Labels);
        Assert.Equal(8, resource.Line);
        Assert.Equal(10, resource.Body.Attribute("policy")!.Line);
        Assert.Single(resource.Body.Blocks);
        var ev = new HclEvaluator(new Dictionary<string, DocNode> { ["name"] = new ScalarNode(null, "logs", ScalarType.String) }, new Dictionary<string, HclExpr>(), "/");
        Assert.Equal("{\"a\": \"logs\"}\n", ev.Evaluate(resource.Body.Attribute("policy")!.Value).Str);
    }

    [Theory]
    [InlineData("a = ", "line 1")]
    [InlineData("resource \"x\" \"y\" {\n  a = 1\n", "not closed")]
    [InlineData("a = \"unterminated\n", "line 1")]
    [InlineData("a = <<EOT\nno end\n", "not closed")]
    public void Malformed_hcl_is_an_error_naming_the_place(string text, string expected) =>
        Assert.Contains(expected, Assert.Throws<HclException>(() => HclParser.ParseFile(text)).Message);
}

public sealed class TerraformTests
{
    [Fact]
    public void Variables_tfvars_and_locals_resolve_and_findings_carry_address_and_line()
    {
        var findings = IacScan.Files(new Dictionary<string, string>
        {
            ["/infra/variables.tf"] = "variable \"acl\" {\n  default = \"private\"\n}\nvariable \"encrypt\" {\n  default = true\n}\n",
            ["/infra/terraform.tfvars"] = "acl = \"public-read\"\n",
            ["/infra/main.tf"] = """
                locals {
                  enc = var.encrypt && false
                }
                resource "aws_s3_bucket" "logs" {
                  bucket = "logs"
                  acl    = var.acl
                }
                resource "aws_ebs_volume" "data" {
                  size      = 1
                  encrypted = local.enc
                }
                """,
        });
        var acl = Assert.Single(findings, f => f.RuleId == "ZD-AWS-001");
        Assert.Equal("aws_s3_bucket.logs", IacScan.Address(acl));
        Assert.Equal("/infra/main.tf", acl.Path);
        Assert.Equal(6, acl.Span!.StartLine);
        Assert.Contains("aws_s3_bucket.logs", acl.Message);
        var ebs = Assert.Single(findings, f => f.RuleId == "ZD-AWS-013");
        Assert.Equal(10, ebs.Span!.StartLine);
    }

    [Fact]
    public void Local_modules_are_followed_with_the_calls_arguments_and_not_judged_alone()
    {
        var findings = IacScan.Files(new Dictionary<string, string>
        {
            ["/env/prod/main.tf"] = "module \"db\" {\n  source = \"../../modules/db\"\n  public = true\n}\n",
            ["/modules/db/main.tf"] = "variable \"public\" {\n  default = false\n}\nresource \"aws_db_instance\" \"this\" {\n  publicly_accessible = var.public\n  storage_encrypted = true\n}\n",
        });
        var f = Assert.Single(findings, f => f.RuleId == "ZD-AWS-017");
        Assert.Equal("module.db.aws_db_instance.this", IacScan.Address(f));
        Assert.Equal("/modules/db/main.tf", f.Path);
        Assert.Equal(5, f.Span!.StartLine);
    }

    [Fact]
    public void Separate_versioning_and_logging_resources_count_for_their_bucket()
    {
        var findings = IacScan.One("/s3/main.tf", """
            resource "aws_s3_bucket" "a" { bucket = "a" }
            resource "aws_s3_bucket_versioning" "a" {
              bucket = aws_s3_bucket.a.id
              versioning_configuration { status = "Enabled" }
            }
            resource "aws_s3_bucket" "b" { bucket = "b" }
            """);
        Assert.DoesNotContain(findings, f => f.RuleId == "ZD-AWS-010" && IacScan.Address(f) == "aws_s3_bucket.a");
        Assert.Contains(findings, f => f.RuleId == "ZD-AWS-010" && IacScan.Address(f) == "aws_s3_bucket.b");
    }

    [Fact]
    public void Iam_wildcards_are_found_in_jsonencode_json_strings_and_policy_documents()
    {
        var findings = IacScan.One("/iam/main.tf", """
            resource "aws_iam_policy" "enc" {
              policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })
            }
            resource "aws_iam_role_policy" "str" {
              policy = "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": [\"*\"], \"Resource\": \"*\"}}"
            }
            data "aws_iam_policy_document" "doc" {
              statement {
                actions   = ["*"]
                resources = ["*"]
              }
            }
            resource "aws_iam_policy" "ok" {
              policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }] })
            }
            """);
        Assert.Equal(["aws_iam_policy.enc", "aws_iam_role_policy.str", "data.aws_iam_policy_document.doc"],
            findings.Where(f => f.RuleId == "ZD-AWS-019").Select(IacScan.Address).Order().ToArray());
    }

    [Fact]
    public void Dynamic_blocks_expand_over_static_for_each()
    {
        var findings = IacScan.One("/sg/main.tf", """
            locals {
              ports = [80, 22]
            }
            resource "aws_security_group" "web" {
              dynamic "ingress" {
                for_each = local.ports
                content {
                  from_port   = ingress.value
                  to_port     = ingress.value
                  protocol    = "tcp"
                  cidr_blocks = ["0.0.0.0/0"]
                }
              }
            }
            """);
        Assert.Single(findings, f => f.RuleId == "ZD-AWS-006");
    }

    [Fact]
    public void Plan_json_is_recognised_by_content_and_checked_with_module_addresses()
    {
        var findings = IacScan.One("/plan/tfplan.json", """
            {
              "format_version": "1.2",
              "terraform_version": "1.9.0",
              "planned_values": {
                "root_module": {
                  "resources": [
                    { "address": "aws_kms_key.k", "mode": "managed", "type": "aws_kms_key", "name": "k",
                      "values": { "enable_key_rotation": false } }
                  ],
                  "child_modules": [
                    { "address": "module.net", "resources": [
                      { "address": "module.net.aws_security_group_rule.ssh", "mode": "managed", "type": "aws_security_group_rule", "name": "ssh",
                        "values": { "type": "ingress", "from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"] } }
                    ] }
                  ]
                }
              }
            }
            """);
        Assert.Contains(findings, f => f.RuleId == "ZD-AWS-018" && IacScan.Address(f) == "aws_kms_key.k" && f.Span!.StartLine == 8);
        Assert.Contains(findings, f => f.RuleId == "ZD-AWS-006" && IacScan.Address(f) == "module.net.aws_security_group_rule.ssh");
    }
}

public sealed class TemplateTests
{
    [Fact]
    public void CloudFormation_yaml_with_short_tags_resolves_parameter_defaults()
    {
        var findings = IacScan.One("/cfn/stack.yaml", """
            AWSTemplateFormatVersion: "2010-09-09"
            Parameters:
              Public:
                Type: String
                Default: "true"
            Resources:
              Db:
                Type: AWS::RDS::DBInstance
                Properties:
                  PubliclyAccessible: !Ref Public
                  StorageEncrypted: !If [IsProd, true, false]
                  DBName: !Sub "${AWS::StackName}-db"
              Sg:
                Type: AWS::EC2::SecurityGroup
                Properties:
                  GroupDescription: !GetAtt Vpc.CidrBlock
                  SecurityGroupIngress:
                    - IpProtocol: tcp
                      FromPort: 3389
                      ToPort: 3389
                      CidrIp: 0.0.0.0/0
            """);
        Assert.Contains(findings, f => f.RuleId == "ZD-AWS-017" && IacScan.Address(f) == "Db" && f.Span!.StartLine == 10);
        Assert.DoesNotContain(findings, f => f.RuleId == "ZD-AWS-016"); // !If is unknown: neither pass nor fail
        Assert.Contains(findings, f => f.RuleId == "ZD-AWS-007" && IacScan.Address(f) == "Sg");
    }

    [Fact]
    public void CloudFormation_json_is_read_too()
    {
        var findings = IacScan.One("/cfn/stack.json", """
            { "Resources": { "Key": { "Type": "AWS::KMS::Key", "Properties": { "EnableKeyRotation": false } } } }
            """);
        Assert.Contains(findings, f => f.RuleId == "ZD-AWS-018" && IacScan.Address(f) == "Key");
    }

    [Fact]
    public void Arm_templates_resolve_parameter_defaults_and_nested_resources()
    {
        var findings = IacScan.One("/arm/azuredeploy.json", """
            {
              "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
              "contentVersion": "1.0.0.0",
              "parameters": { "https": { "type": "bool", "defaultValue": false } },
              "resources": [
                { "type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01", "name": "st",
                  "properties": { "supportsHttpsTrafficOnly": "[parameters('https')]", "minimumTlsVersion": "TLS1_0",
                                  "networkAcls": { "defaultAction": "Deny" } } },
                { "type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2023-01-01", "name": "nsg",
                  "properties": { "securityRules": [ { "name": "ssh", "properties": { "direction": "Inbound", "access": "Allow",
                      "protocol": "Tcp", "sourceAddressPrefix": "*", "destinationPortRange": "22" } } ] } }
              ]
            }
            """);
        Assert.Contains(findings, f => f.RuleId == "ZD-AZ-001" && IacScan.Address(f) == "Microsoft.Storage/storageAccounts/st");
        Assert.Contains(findings, f => f.RuleId == "ZD-AZ-002");
        Assert.Contains(findings, f => f.RuleId == "ZD-AZ-005" && IacScan.Address(f) == "Microsoft.Network/networkSecurityGroups/nsg");
        Assert.DoesNotContain(findings, f => f.RuleId == "ZD-AZ-018");
    }

    [Fact]
    public void Custom_cel_checks_apply_to_resources_by_type()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, """
                checks:
                  - id: ORG-TF-1
                    title: Buckets must be tagged with an owner
                    severity: low
                    match:
                      resourceTypes: [aws_s3_bucket, "AWS::S3::Bucket"]
                    expression: has(object.tags) && has(object.tags.owner)
                """);
            var detector = MisconfigDetector.Create(new MisconfigOptions { CustomCheckFiles = [file] });
            var findings = IacScan.One("/t/main.tf", "resource \"aws_s3_bucket\" \"a\" {\n  tags = { owner = \"x\" }\n}\nresource \"aws_s3_bucket\" \"b\" {}\n", detector: detector);
            Assert.Equal(["aws_s3_bucket.b"], findings.Where(f => f.RuleId == "ORG-TF-1").Select(IacScan.Address).ToArray());
            // The IaC-only check does not run on Kubernetes objects.
            Assert.DoesNotContain(Scan.Text("pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n", detector: detector), f => f.RuleId == "ORG-TF-1");
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public void There_are_at_least_60_checks_each_with_severity_fix_and_a_benchmark_or_checkov_reference()
    {
        var all = Iac.Checks.IacChecks.All;
        Assert.True(all.Count >= 60, $"{all.Count} checks");
        Assert.All(all, c => Assert.False(string.IsNullOrEmpty(c.Rule.Remediation)));
        Assert.Equal(all.Count, all.Select(c => c.Rule.Id).Distinct().Count());
        Assert.True(all.Count(c => c.Benchmark is not null) >= 40);
    }
}

public sealed class IacHostileInputTests
{
    [Fact]
    public void Deep_hcl_nesting_is_one_warning_and_the_other_files_are_checked()
    {
        var warnings = new List<string>();
        var deep = "a = " + new string('[', 100_000) + new string(']', 100_000) + "\n";
        var findings = IacScan.Files(new Dictionary<string, string>
        {
            ["/d/deep.tf"] = deep,
            ["/d/main.tf"] = "resource \"aws_ebs_volume\" \"v\" {\n  size = 1\n}\n",
        }, warnings);
        Assert.Single(warnings, w => w.Contains("/d/deep.tf") && w.Contains("nested deeper than 64"));
        Assert.Contains(findings, f => f.RuleId == "ZD-AWS-013");
    }

    [Fact]
    public void A_huge_heredoc_is_one_warning()
    {
        var warnings = new List<string>();
        var text = "a = <<EOT\n" + string.Concat(Enumerable.Repeat(new string('x', 1000) + "\n", 2000)) + "EOT\n";
        IacScan.One("/h/main.tf", text, warnings);
        Assert.Single(warnings, w => w.Contains("heredoc") && w.Contains("longer than"));
    }

    [Fact]
    public void Recursive_module_references_are_a_warning_not_a_loop()
    {
        var warnings = new List<string>();
        var findings = IacScan.Files(new Dictionary<string, string>
        {
            ["/root/main.tf"] = "module \"a\" {\n  source = \"../a\"\n}\n",
            ["/a/main.tf"] = "module \"b\" {\n  source = \"../b\"\n}\nresource \"aws_kms_key\" \"k\" {}\n",
            ["/b/main.tf"] = "module \"a\" {\n  source = \"../a\"\n}\n",
            ["/self/main.tf"] = "module \"me\" {\n  source = \"./\"\n}\n",
        }, warnings);
        Assert.Contains(warnings, w => w.Contains("refers back to /a"));
        Assert.Contains(findings, f => f.RuleId == "ZD-AWS-018" && IacScan.Address(f) == "module.a.aws_kms_key.k");
    }

    [Fact]
    public void A_cloudformation_alias_bomb_stops_at_the_node_budget_with_one_warning()
    {
        var warnings = new List<string>();
        var bomb = "AWSTemplateFormatVersion: '2010-09-09'\nx0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
            + string.Concat(Enumerable.Range(1, 9).Select(i => $"x{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))}]\n"))
            + "Resources:\n  K:\n    Type: AWS::KMS::Key\n";
        var findings = IacScan.One("/cfn/bomb.yaml", bomb, warnings);
        Assert.Single(warnings);
        Assert.Empty(findings);
    }

    [Fact]
    public void Binary_or_garbage_tf_files_are_warnings()
    {
        var warnings = new List<string>();
        IacScan.One("/g/main.tf", "resource \"x\" {{{ = = \n", warnings);
        Assert.Single(warnings, w => w.StartsWith("/g/main.tf: not valid HCL"));
    }
}

public sealed class RbacTests
{
    [Fact]
    public void Roles_granting_exec_secrets_kube_system_pods_impersonation_and_escalation_are_reported()
    {
        var findings = Scan.Text("rbac.yaml", """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: ops}
            rules:
              - apiGroups: [""]
                resources: [pods/exec, secrets, pods]
                verbs: [get, create]
              - apiGroups: [""]
                resources: [serviceaccounts]
                verbs: [impersonate]
              - apiGroups: [rbac.authorization.k8s.io]
                resources: [clusterroles]
                verbs: [bind]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: reader, namespace: app}
            rules:
              - apiGroups: [""]
                resources: [configmaps, pods]
                verbs: [get, list, create]
            """);
        Assert.Equal(["ZD-K8S-030", "ZD-K8S-031", "ZD-K8S-032", "ZD-K8S-033", "ZD-K8S-034"],
            findings.Select(f => f.RuleId).Where(id => string.CompareOrdinal(id, "ZD-K8S-030") >= 0).Distinct().Order().ToArray());
        Assert.All(findings.Where(f => f.RuleId.StartsWith("ZD-K8S-03", StringComparison.Ordinal)), f => Assert.StartsWith("ClusterRole ops", f.Message));
    }
}

public sealed class ClusterExposureTests
{
    private const string Deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: shop}
        spec:
          template:
            metadata: {labels: {app: web, tier: front}}
            spec:
              serviceAccountName: web
              containers: [{name: c, image: "x:1"}]
        """;

    [Fact]
    public void A_pod_whose_token_carries_a_broad_role_bound_in_another_file_is_reported_at_the_workload()
    {
        var findings = IacScan.Files(new Dictionary<string, string>
        {
            ["/chart/deploy.yaml"] = Deployment,
            ["/chart/rbac.yaml"] = """
                apiVersion: rbac.authorization.k8s.io/v1
                kind: ClusterRole
                metadata: {name: reader}
                rules: [{apiGroups: [""], resources: [secrets], verbs: [list]}]
                ---
                apiVersion: rbac.authorization.k8s.io/v1
                kind: ClusterRoleBinding
                metadata: {name: web-reader}
                roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
                subjects: [{kind: ServiceAccount, name: web, namespace: shop}]
                """,
        });
        var f = Assert.Single(findings, f => f.RuleId == "ZD-K8S-035");
        Assert.Equal("/chart/deploy.yaml", f.Path);
        Assert.Equal(2, f.Span!.StartLine);
        Assert.Contains("read secrets", f.Message);
    }

    [Fact]
    public void Automount_off_on_the_service_account_or_a_narrow_role_is_not_reported()
    {
        var rbac = """
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: web, namespace: shop}
            automountServiceAccountToken: false
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: web-admin, namespace: shop}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}
            subjects: [{kind: ServiceAccount, name: web}]
            """;
        Assert.DoesNotContain(IacScan.Files(new Dictionary<string, string> { ["/a/d.yaml"] = Deployment, ["/a/r.yaml"] = rbac }), f => f.RuleId == "ZD-K8S-035");
        var narrow = rbac.Replace("automountServiceAccountToken: false", "").Replace("name: admin", "name: view");
        Assert.DoesNotContain(IacScan.Files(new Dictionary<string, string> { ["/b/d.yaml"] = Deployment, ["/b/r.yaml"] = narrow }), f => f.RuleId == "ZD-K8S-035");
        var broad = rbac.Replace("automountServiceAccountToken: false", "");
        Assert.Contains(IacScan.Files(new Dictionary<string, string> { ["/c/d.yaml"] = Deployment, ["/c/r.yaml"] = broad }), f => f.RuleId == "ZD-K8S-035");
    }

    [Theory]
    [InlineData("podSelector: {}", false)]
    [InlineData("podSelector: {matchLabels: {app: web}}", false)]
    [InlineData("podSelector: {matchExpressions: [{key: tier, operator: In, values: [front, back]}]}", false)]
    [InlineData("podSelector: {matchLabels: {app: db}}", true)]
    [InlineData("podSelector: {matchExpressions: [{key: tier, operator: DoesNotExist}]}", true)]
    public void Pods_no_network_policy_selects_are_reported(string selector, bool reported)
    {
        var policy = $"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: shop}}\nspec:\n  {selector}\n  policyTypes: [Ingress]\n";
        var findings = IacScan.Files(new Dictionary<string, string> { ["/n/d.yaml"] = Deployment, ["/n/p.yaml"] = policy });
        Assert.Equal(reported, findings.Any(f => f.RuleId == "ZD-K8S-036"));
        var otherNamespace = IacScan.Files(new Dictionary<string, string> { ["/m/d.yaml"] = Deployment, ["/m/p.yaml"] = policy.Replace("namespace: shop", "namespace: other") });
        Assert.Contains(otherNamespace, f => f.RuleId == "ZD-K8S-036" && f.Message.Contains("namespace shop"));
    }
}
