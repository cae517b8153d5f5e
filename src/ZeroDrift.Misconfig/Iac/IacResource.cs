using ZeroDrift.Misconfig.Documents;

namespace ZeroDrift.Misconfig.Iac;

/// <summary>The infrastructure-code formats read, each recognised by its content.</summary>
public enum IacFormat { Terraform, TerraformPlan, CloudFormation, Arm }

/// <summary>
/// One resource of infrastructure code, whatever the format it was written in: its type as the format names it
/// (<c>aws_s3_bucket</c>, <c>AWS::S3::Bucket</c>, <c>Microsoft.Storage/storageAccounts</c>), its address
/// (<c>module.logs.aws_s3_bucket.logs</c>, a CloudFormation logical id, an ARM type/name), its attributes as a value
/// tree whose nodes carry their source lines (nested blocks are lists of maps, as in Terraform's plan JSON), and where
/// it is declared. Checks and custom CEL checks read only this model.
/// </summary>
public sealed record IacResource(string Type, string Address, MapNode Attributes, string File, int Line, IacFormat Format);
