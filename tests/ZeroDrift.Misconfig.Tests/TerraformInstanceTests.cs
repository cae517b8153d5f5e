namespace ZeroDrift.Misconfig.Tests;

/// <summary>Resources with <c>count</c> and <c>for_each</c> are judged per instance, addressed as Terraform addresses
/// them, with <c>count.index</c>, <c>each.key</c> and <c>each.value</c> in scope.</summary>
public sealed class TerraformInstanceTests
{
    [Fact]
    public void Count_gives_one_resource_per_index_with_count_index_in_scope()
    {
        var findings = IacScan.One("/tf/main.tf", """
            variable "public" { default = [false, true, false] }
            resource "aws_db_instance" "db" {
              count               = 3
              engine              = "postgres"
              storage_encrypted   = true
              publicly_accessible = var.public[count.index]
            }
            """);
        var reported = findings.Where(f => f.RuleId == "ZD-AWS-017").Select(IacScan.Address).ToList();
        Assert.Equal(["aws_db_instance.db[1]"], reported);
    }

    [Fact]
    public void For_each_over_a_map_gives_one_resource_per_key_with_each_value()
    {
        var findings = IacScan.One("/tf/main.tf", """
            resource "aws_efs_file_system" "fs" {
              for_each  = { secure = true, plain = false }
              encrypted = each.value
              tags      = { Name = each.key }
            }
            """);
        Assert.Equal(["aws_efs_file_system.fs[\"plain\"]"], findings.Where(f => f.RuleId == "ZD-AWS-030").Select(IacScan.Address).ToList());
    }

    [Fact]
    public void For_each_over_a_set_of_strings_uses_the_string_as_key_and_value()
    {
        var findings = IacScan.One("/tf/main.tf", """
            resource "aws_ecr_repository" "r" {
              for_each             = toset(["IMMUTABLE", "MUTABLE"])
              name                 = each.key
              image_tag_mutability = each.value
            }
            """);
        Assert.Equal(["aws_ecr_repository.r[\"MUTABLE\"]"], findings.Where(f => f.RuleId == "ZD-AWS-029").Select(IacScan.Address).ToList());
    }

    [Fact]
    public void Count_zero_or_an_empty_for_each_gives_no_resource_and_an_unknown_count_one_unindexed()
    {
        var findings = IacScan.One("/tf/main.tf", """
            resource "aws_efs_file_system" "none" {
              count     = 0
              encrypted = false
            }
            resource "aws_efs_file_system" "empty" {
              for_each  = {}
              encrypted = false
            }
            resource "aws_efs_file_system" "unknown" {
              count     = length(data.aws_availability_zones.all.names)
              encrypted = false
            }
            """);
        Assert.Equal(["aws_efs_file_system.unknown"], findings.Where(f => f.RuleId == "ZD-AWS-030").Select(IacScan.Address).ToList());
    }

    [Fact]
    public void A_huge_count_is_bounded_with_a_warning()
    {
        var warnings = new List<string>();
        var findings = IacScan.One("/tf/main.tf", """
            resource "aws_efs_file_system" "many" {
              count     = 1000000000
              encrypted = false
            }
            """, warnings);
        Assert.Equal(1000, findings.Count(f => f.RuleId == "ZD-AWS-030"));
        Assert.Contains(warnings, w => w.Contains("count = 1000000000", StringComparison.Ordinal));
    }
}
