using System.Text.Json;

namespace ZeroDrift.EndToEnd.Tests;

/// <summary><c>zerodrift scan --scanners misconfig</c> on infrastructure code and on manifests piped in, as users run it.</summary>
public class IacScanTests
{
    [Fact]
    public void A_terraform_tree_with_a_local_module_is_checked_with_addresses_and_lines()
    {
        using var dir = new TempDir();
        dir.File("envs/prod/main.tf", "module \"db\" {\n  source = \"../../modules/db\"\n  public = true\n}\n");
        dir.File("modules/db/main.tf", "variable \"public\" {\n  default = false\n}\nresource \"aws_db_instance\" \"this\" {\n  storage_encrypted   = true\n  publicly_accessible = var.public\n}\n");
        var r = ZeroDriftRunner.Run("scan", dir.Path, "--scanners", "misconfig", "--format", "json", "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var f = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("contentFindings").EnumerateArray()
            .Single(x => x.GetProperty("ruleId").GetString() == "ZD-AWS-017");
        Assert.Equal("/modules/db/main.tf", f.GetProperty("path").GetString());
        Assert.Equal(6, f.GetProperty("startLine").GetInt32());
        Assert.Equal("module.db.aws_db_instance.this", f.GetProperty("properties").GetProperty("location").GetString());
    }

    [Fact]
    public void Rendered_manifests_on_standard_input_are_checked()
    {
        var r = ZeroDriftRunner.RunWithStdin("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: x:1\n    securityContext: {privileged: true}\n",
            "scan", "-", "--scanners", "misconfig");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("ZD-K8S-003", r.Stdout);
        Assert.Contains("/stdin.yaml:8", r.Stdout);
    }
}
