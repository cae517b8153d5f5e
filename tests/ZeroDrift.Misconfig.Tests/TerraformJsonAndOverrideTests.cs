namespace ZeroDrift.Misconfig.Tests;

/// <summary><c>*.tf.json</c> files are part of their module like <c>.tf</c> files, and override files are merged into
/// the blocks they name, as Terraform loads a module.</summary>
public sealed class TerraformJsonAndOverrideTests
{
    [Fact]
    public void A_tf_json_resource_is_checked_with_its_variables_and_templates()
    {
        var warnings = new List<string>();
        var findings = IacScan.Files(new Dictionary<string, string>
        {
            ["/tf/variables.tf"] = """variable "encrypt" { default = false }""",
            ["/tf/main.tf.json"] = """
                {
                  "resource": {
                    "aws_efs_file_system": {
                      "plain": { "creation_token": "a", "encrypted": "${var.encrypt}" },
                      "secure": { "creation_token": "b", "encrypted": true }
                    },
                    "aws_instance": {
                      "vm": [{ "ami": "ami-1", "metadata_options": { "http_tokens": "optional" }, "root_block_device": [{ "encrypted": true }] }]
                    }
                  }
                }
                """,
        }, warnings);
        Assert.Empty(warnings);
        Assert.Equal(["aws_efs_file_system.plain"], findings.Where(f => f.RuleId == "ZD-AWS-030").Select(IacScan.Address).ToList());
        var imds = Assert.Single(findings, f => f.RuleId == "ZD-AWS-015");
        Assert.Equal("aws_instance.vm", IacScan.Address(imds));
        Assert.Equal("/tf/main.tf.json", imds.Path);
        Assert.Equal(8, imds.Span!.StartLine);
        Assert.DoesNotContain(findings, f => f.RuleId == "ZD-AWS-014");
    }

    [Fact]
    public void Broken_tf_json_is_one_warning()
    {
        var warnings = new List<string>();
        var findings = IacScan.One("/tf/main.tf.json", """{ "resource": { "aws_efs_file_system": """, warnings);
        Assert.Empty(findings);
        Assert.True(warnings.Any(w => w.StartsWith("/tf/main.tf.json: not valid HCL: not valid JSON", StringComparison.Ordinal)), string.Join(" / ", warnings));
    }

    [Fact]
    public void An_override_file_replaces_attributes_and_nested_blocks_of_the_block_it_names()
    {
        var findings = IacScan.Files(new Dictionary<string, string>
        {
            ["/tf/main.tf"] = """
                resource "aws_efs_file_system" "fs" {
                  creation_token = "a"
                  encrypted      = true
                }
                resource "aws_instance" "vm" {
                  ami = "ami-1"
                  metadata_options { http_tokens = "required" }
                  root_block_device { encrypted = true }
                }
                """,
            ["/tf/override.tf"] = """
                resource "aws_efs_file_system" "fs" {
                  encrypted = false
                }
                """,
            ["/tf/vm_override.tf.json"] = """
                { "resource": { "aws_instance": { "vm": { "metadata_options": { "http_tokens": "optional" } } } } }
                """,
        });
        Assert.Equal(["aws_efs_file_system.fs"], findings.Where(f => f.RuleId == "ZD-AWS-030").Select(IacScan.Address).ToList());
        Assert.Equal(["aws_instance.vm"], findings.Where(f => f.RuleId == "ZD-AWS-015").Select(IacScan.Address).ToList());
        // The override's blocks are merged, not judged as resources of their own.
        Assert.All(findings, f => Assert.Equal("/tf/main.tf", f.Path));
    }
}
