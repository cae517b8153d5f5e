using ZeroDrift.Core;
using ZeroDrift.Misconfig.Documents;
using ZeroDrift.Misconfig.Iac.Terraform;
using static ZeroDrift.Misconfig.Iac.Checks.CheckBuilder;

namespace ZeroDrift.Misconfig.Iac.Checks;

/// <summary>AWS checks over Terraform (HCL and plan JSON) and CloudFormation resources.</summary>
internal static class AwsChecks
{
    private const string Cis = "CIS AWS Foundations v1.5.0";
    private static readonly string[] PublicAcls = ["public-read", "public-read-write", "authenticated-read", "PublicRead", "PublicReadWrite", "AuthenticatedRead"];
    private static readonly int[] DbPorts = [1433, 1521, 3306, 5432, 6379, 9200, 27017];

    public static IEnumerable<IacCheck> All() =>
    [
        Make("ZD-AWS-001", "S3 bucket readable by everyone", Severity.High, "The bucket's canned ACL grants read (or write) to all users or all authenticated AWS users.",
            "Set the ACL to private and grant access through bucket policies to named principals.", $"{Cis} 2.1.5", "CKV_AWS_20",
            ("aws_s3_bucket", (r, _) => PublicAcl(r.Attributes["acl"])), ("aws_s3_bucket_acl", (r, _) => PublicAcl(r.Attributes["acl"])),
            ("AWS::S3::Bucket", (r, _) => PublicAcl(r.Attributes["AccessControl"]))),
        Make("ZD-AWS-002", "S3 public access block does not block public ACLs", Severity.Medium, "block_public_acls is not true: new public ACLs on the bucket are accepted.",
            "Set block_public_acls = true.", $"{Cis} 2.1.5", "CKV_AWS_53",
            ("aws_s3_bucket_public_access_block", MustBeTrue("block_public_acls", false, "block_public_acls is not true")),
            ("AWS::S3::Bucket", (r, c) => CfnBlock(r, "BlockPublicAcls"))),
        Make("ZD-AWS-003", "S3 public access block does not block public policies", Severity.Medium, "block_public_policy is not true: a bucket policy granting public access is accepted.",
            "Set block_public_policy = true.", $"{Cis} 2.1.5", "CKV_AWS_54",
            ("aws_s3_bucket_public_access_block", MustBeTrue("block_public_policy", false, "block_public_policy is not true")),
            ("AWS::S3::Bucket", (r, c) => CfnBlock(r, "BlockPublicPolicy"))),
        Make("ZD-AWS-004", "S3 public access block does not ignore public ACLs", Severity.Medium, "ignore_public_acls is not true: existing public ACLs still grant access.",
            "Set ignore_public_acls = true.", $"{Cis} 2.1.5", "CKV_AWS_55",
            ("aws_s3_bucket_public_access_block", MustBeTrue("ignore_public_acls", false, "ignore_public_acls is not true")),
            ("AWS::S3::Bucket", (r, c) => CfnBlock(r, "IgnorePublicAcls"))),
        Make("ZD-AWS-005", "S3 public access block does not restrict public buckets", Severity.Medium, "restrict_public_buckets is not true: a public bucket policy still grants access.",
            "Set restrict_public_buckets = true.", $"{Cis} 2.1.5", "CKV_AWS_56",
            ("aws_s3_bucket_public_access_block", MustBeTrue("restrict_public_buckets", false, "restrict_public_buckets is not true")),
            ("AWS::S3::Bucket", (r, c) => CfnBlock(r, "RestrictPublicBuckets"))),
        Make("ZD-AWS-006", "Security group open to the internet on SSH (22)", Severity.High, "An ingress rule admits 0.0.0.0/0 or ::/0 to port 22.",
            "Restrict the rule's CIDR blocks to known administration networks, or use Session Manager.", $"{Cis} 5.2", "CKV_AWS_24", SgEvaluators([22])),
        Make("ZD-AWS-007", "Security group open to the internet on RDP (3389)", Severity.High, "An ingress rule admits 0.0.0.0/0 or ::/0 to port 3389.",
            "Restrict the rule's CIDR blocks to known administration networks.", $"{Cis} 5.2", "CKV_AWS_25", SgEvaluators([3389])),
        Make("ZD-AWS-008", "Security group open to the internet on a database port", Severity.High, "An ingress rule admits 0.0.0.0/0 or ::/0 to a database port (1433, 1521, 3306, 5432, 6379, 9200, 27017).",
            "Allow database ports only from the application's security group or subnets.", $"{Cis} 5.2", null, SgEvaluators(DbPorts)),
        Make("ZD-AWS-009", "Security group open to the internet on all ports", Severity.Critical, "An ingress rule admits 0.0.0.0/0 or ::/0 on every port (protocol -1 or ports 0-65535).",
            "Allow only the ports the service needs, from the networks that need them.", $"{Cis} 5.2", null, SgEvaluators([-1])),
        Make("ZD-AWS-010", "S3 bucket versioning off", Severity.Medium, "Versioning is not enabled: an overwritten or deleted object cannot be recovered.",
            "Enable versioning (aws_s3_bucket_versioning with status = \"Enabled\").", null, "CKV_AWS_21",
            ("aws_s3_bucket", Versioning), ("aws_s3_bucket_versioning", (r, _) => V.Str(V.Get(r.Attributes, "versioning_configuration.status")) is { } s && s != "Enabled" ? Fail($"versioning status is {s}", V.Get(r.Attributes, "versioning_configuration.status")) : Pass),
            ("AWS::S3::Bucket", (r, _) => V.Str(V.Get(r.Attributes, "VersioningConfiguration.Status")) == "Enabled" || V.Unknown(V.Get(r.Attributes, "VersioningConfiguration.Status")) ? Pass : Fail("VersioningConfiguration.Status is not Enabled", r.Attributes["VersioningConfiguration"]))),
        Make("ZD-AWS-011", "S3 bucket access logging off", Severity.Low, "Server access logging is not enabled: requests to the bucket leave no record.",
            "Add a logging block (or aws_s3_bucket_logging) naming a target bucket.", $"{Cis} 3.6", "CKV_AWS_18",
            ("aws_s3_bucket", (r, c) => r.Attributes["logging"] is null && !c.Referencing(r, "aws_s3_bucket_logging", "bucket").Any() ? Fail("no logging block or aws_s3_bucket_logging") : Pass),
            ("AWS::S3::Bucket", (r, _) => r.Attributes["LoggingConfiguration"] is null ? Fail("no LoggingConfiguration") : Pass)),
        Make("ZD-AWS-012", "S3 bucket without default encryption configuration", Severity.Low, "No server-side encryption configuration is declared (S3 applies SSE-S3 by default since 2023; a KMS key gives control over access and rotation).",
            "Declare server_side_encryption_configuration (or aws_s3_bucket_server_side_encryption_configuration), preferably with aws:kms.", null, "CKV_AWS_19",
            ("aws_s3_bucket", (r, c) => r.Attributes["server_side_encryption_configuration"] is null && !c.Referencing(r, "aws_s3_bucket_server_side_encryption_configuration", "bucket").Any() ? Fail("no server-side encryption configuration") : Pass),
            ("AWS::S3::Bucket", (r, _) => r.Attributes["BucketEncryption"] is null ? Fail("no BucketEncryption") : Pass)),
        Make("ZD-AWS-013", "EBS volume not encrypted", Severity.High, "The volume's data, snapshots and traffic to the instance are not encrypted.",
            "Set encrypted = true (and kms_key_id for a customer managed key).", $"{Cis} 2.2.1", "CKV_AWS_3",
            ("aws_ebs_volume", MustBeTrue("encrypted", false, "encrypted is not true")), ("AWS::EC2::Volume", MustBeTrue("Encrypted", false, "Encrypted is not true"))),
        Make("ZD-AWS-014", "Instance block device not encrypted", Severity.High, "A root or EBS block device of the instance or launch configuration is not encrypted.",
            "Set encrypted = true on every root_block_device and ebs_block_device.", $"{Cis} 2.2.1", "CKV_AWS_8",
            ("aws_launch_configuration", BlockDevices), ("aws_instance", BlockDevices)),
        Make("ZD-AWS-015", "Instance metadata service v1 allowed", Severity.High, "metadata_options.http_tokens is not \"required\": IMDSv1 answers unauthenticated requests, the classic SSRF credential theft path.",
            "Set metadata_options { http_tokens = \"required\" } (or http_endpoint = \"disabled\").", "CIS AWS Foundations v3.0.0 5.6", "CKV_AWS_79",
            ("aws_instance", Imds), ("aws_launch_template", Imds), ("aws_launch_configuration", Imds),
            ("AWS::EC2::LaunchTemplate", (r, _) => V.Get(r.Attributes, "LaunchTemplateData.MetadataOptions.HttpTokens") is var t && V.Unknown(t) || V.Str(t) == "required" || V.Str(V.Get(r.Attributes, "LaunchTemplateData.MetadataOptions.HttpEndpoint")) == "disabled" ? Pass : Fail("MetadataOptions.HttpTokens is not required", t))),
        Make("ZD-AWS-016", "RDS storage not encrypted", Severity.High, "The database's storage, backups and snapshots are not encrypted.",
            "Set storage_encrypted = true.", $"{Cis} 2.3.1", "CKV_AWS_16",
            ("aws_db_instance", MustBeTrue("storage_encrypted", false, "storage_encrypted is not true")),
            ("aws_rds_cluster", (r, c) => r.Attributes["engine_mode"]?.Str == "serverless" ? Pass : MustBeTrue("storage_encrypted", false, "storage_encrypted is not true")(r, c)),
            ("AWS::RDS::DBInstance", MustBeTrue("StorageEncrypted", false, "StorageEncrypted is not true")), ("AWS::RDS::DBCluster", MustBeTrue("StorageEncrypted", false, "StorageEncrypted is not true"))),
        Make("ZD-AWS-017", "RDS instance publicly accessible", Severity.Critical, "The database has a public endpoint reachable from the internet.",
            "Set publicly_accessible = false and reach the database from inside the VPC.", $"{Cis} 2.3.3", "CKV_AWS_17",
            ("aws_db_instance", MustBeFalse("publicly_accessible", false, "publicly_accessible is true")), ("aws_rds_cluster_instance", MustBeFalse("publicly_accessible", false, "publicly_accessible is true")),
            ("AWS::RDS::DBInstance", MustBeFalse("PubliclyAccessible", false, "PubliclyAccessible is true"))),
        Make("ZD-AWS-018", "KMS key rotation off", Severity.Medium, "A symmetric customer managed key is not rotated yearly.",
            "Set enable_key_rotation = true.", $"{Cis} 3.8", "CKV_AWS_7",
            ("aws_kms_key", (r, c) => (V.Str(r.Attributes["customer_master_key_spec"]) ?? "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT" ? Pass : MustBeTrue("enable_key_rotation", false, "enable_key_rotation is not true")(r, c)),
            ("AWS::KMS::Key", (r, c) => (V.Str(r.Attributes["KeySpec"]) ?? "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT" ? Pass : MustBeTrue("EnableKeyRotation", false, "EnableKeyRotation is not true")(r, c))),
        Make("ZD-AWS-019", "IAM policy allows every action on every resource", Severity.Critical, "A statement allows Action \"*\" on Resource \"*\": full administrative privileges.",
            "Grant only the actions and resources the principal needs.", $"{Cis} 1.16", "CKV_AWS_62",
            ("aws_iam_policy", (r, _) => Policy(r.Attributes["policy"])), ("aws_iam_role_policy", (r, _) => Policy(r.Attributes["policy"])),
            ("aws_iam_user_policy", (r, _) => Policy(r.Attributes["policy"])), ("aws_iam_group_policy", (r, _) => Policy(r.Attributes["policy"])),
            ("data.aws_iam_policy_document", (r, _) => PolicyDocument(r)),
            ("AWS::IAM::Policy", (r, _) => Policy(r.Attributes["PolicyDocument"])), ("AWS::IAM::ManagedPolicy", (r, _) => Policy(r.Attributes["PolicyDocument"])),
            ("AWS::IAM::Role", (r, _) => V.All(r.Attributes, "Policies").SelectMany(p => Policy(p["PolicyDocument"])))),
        Make("ZD-AWS-020", "CloudTrail trail not multi-region", Severity.Medium, "The trail records one region only: activity in the others goes unrecorded.",
            "Set is_multi_region_trail = true.", $"{Cis} 3.1", "CKV_AWS_67",
            ("aws_cloudtrail", MustBeTrue("is_multi_region_trail", false, "is_multi_region_trail is not true")), ("AWS::CloudTrail::Trail", MustBeTrue("IsMultiRegionTrail", false, "IsMultiRegionTrail is not true"))),
        Make("ZD-AWS-021", "CloudTrail log file validation off", Severity.Medium, "Log files are not signed: tampering with them cannot be detected.",
            "Set enable_log_file_validation = true.", $"{Cis} 3.2", "CKV_AWS_36",
            ("aws_cloudtrail", MustBeTrue("enable_log_file_validation", false, "enable_log_file_validation is not true")), ("AWS::CloudTrail::Trail", MustBeTrue("EnableLogFileValidation", false, "EnableLogFileValidation is not true"))),
        Make("ZD-AWS-022", "CloudTrail logs not encrypted with KMS", Severity.Medium, "The trail's logs are not encrypted with a customer managed KMS key.",
            "Set kms_key_id to a KMS key.", $"{Cis} 3.7", "CKV_AWS_35",
            ("aws_cloudtrail", MustBeSet("kms_key_id", "no kms_key_id")), ("AWS::CloudTrail::Trail", MustBeSet("KMSKeyId", "no KMSKeyId"))),
        Make("ZD-AWS-023", "EKS API endpoint public", Severity.High, "The cluster's Kubernetes API endpoint is reachable from the internet (the default).",
            "Set vpc_config { endpoint_public_access = false } or restrict public_access_cidrs.", null, "CKV_AWS_39",
            ("aws_eks_cluster", (r, _) =>
            {
                var v = V.Get(r.Attributes, "vpc_config.endpoint_public_access");
                if (V.Unknown(v) || V.IsFalse(v)) return Pass;
                return Fail("vpc_config.endpoint_public_access is not false", v ?? r.Attributes["vpc_config"]);
            })),
        Make("ZD-AWS-024", "Load balancer listener uses plain HTTP", Severity.Medium, "The listener accepts HTTP without redirecting to HTTPS: traffic travels in clear text.",
            "Use protocol HTTPS (or TLS), or a default action that redirects to HTTPS.", null, "CKV_AWS_2",
            ("aws_lb_listener", HttpListener), ("aws_alb_listener", HttpListener)),
        Make("ZD-AWS-025", "DynamoDB point-in-time recovery off", Severity.Medium, "The table cannot be restored to a point in time after a bad write or deletion.",
            "Add point_in_time_recovery { enabled = true }.", null, "CKV_AWS_28",
            ("aws_dynamodb_table", MustBeTrue("point_in_time_recovery.enabled", false, "point_in_time_recovery is not enabled"))),
        Make("ZD-AWS-026", "SQS queue not encrypted", Severity.Medium, "Messages are stored unencrypted: neither a KMS key nor SQS-managed encryption is set.",
            "Set kms_master_key_id or sqs_managed_sse_enabled = true.", null, "CKV_AWS_27",
            ("aws_sqs_queue", (r, _) => (V.Missing(r.Attributes["kms_master_key_id"]) || V.Str(r.Attributes["kms_master_key_id"]) == "") && !V.IsTrue(r.Attributes["sqs_managed_sse_enabled"]) && !V.Unknown(r.Attributes["sqs_managed_sse_enabled"]) ? Fail("neither kms_master_key_id nor sqs_managed_sse_enabled") : Pass)),
        Make("ZD-AWS-027", "SNS topic not encrypted", Severity.Medium, "Messages are stored unencrypted: no KMS key is set.",
            "Set kms_master_key_id.", null, "CKV_AWS_26", ("aws_sns_topic", MustBeSet("kms_master_key_id", "no kms_master_key_id"))),
        Make("ZD-AWS-028", "ECR image scanning on push off", Severity.Low, "Images pushed to the repository are not scanned for vulnerabilities.",
            "Add image_scanning_configuration { scan_on_push = true }.", null, "CKV_AWS_163",
            ("aws_ecr_repository", MustBeTrue("image_scanning_configuration.scan_on_push", false, "scan_on_push is not true"))),
        Make("ZD-AWS-029", "ECR image tags mutable", Severity.Medium, "A tag can be moved to another image: what a deployment pulls may change under it.",
            "Set image_tag_mutability = \"IMMUTABLE\".", null, "CKV_AWS_51",
            ("aws_ecr_repository", (r, _) => V.Unknown(r.Attributes["image_tag_mutability"]) || V.Str(r.Attributes["image_tag_mutability"]) == "IMMUTABLE" ? Pass : Fail("image_tag_mutability is not IMMUTABLE", r.Attributes["image_tag_mutability"]))),
        Make("ZD-AWS-030", "EFS file system not encrypted", Severity.High, "The file system's data at rest is not encrypted.",
            "Set encrypted = true.", $"{Cis} 2.4.1", "CKV_AWS_42",
            ("aws_efs_file_system", MustBeTrue("encrypted", false, "encrypted is not true")), ("AWS::EFS::FileSystem", MustBeTrue("Encrypted", false, "Encrypted is not true"))),
        Make("ZD-AWS-031", "IAM password policy allows short passwords", Severity.Medium, "The minimum password length is below 14 characters.",
            "Set minimum_password_length = 14 or more.", $"{Cis} 1.8", "CKV_AWS_10",
            ("aws_iam_account_password_policy", (r, _) => V.Unknown(r.Attributes["minimum_password_length"]) ? Pass : (V.Int(r.Attributes["minimum_password_length"]) ?? 6) < 14 ? Fail("minimum_password_length is below 14", r.Attributes["minimum_password_length"]) : Pass)),
        Make("ZD-AWS-032", "OpenSearch/Elasticsearch domain not encrypted at rest", Severity.High, "The domain's indices are not encrypted at rest.",
            "Add encrypt_at_rest { enabled = true }.", null, "CKV_AWS_5",
            ("aws_elasticsearch_domain", MustBeTrue("encrypt_at_rest.enabled", false, "encrypt_at_rest is not enabled")), ("aws_opensearch_domain", MustBeTrue("encrypt_at_rest.enabled", false, "encrypt_at_rest is not enabled"))),
        Make("ZD-AWS-033", "Redshift cluster publicly accessible", Severity.High, "The cluster has a public endpoint (the default).",
            "Set publicly_accessible = false.", null, "CKV_AWS_87", ("aws_redshift_cluster", MustBeFalse("publicly_accessible", true, "publicly_accessible is not false"))),
        Make("ZD-AWS-034", "Default security group allows traffic", Severity.Medium, "The VPC's default security group has rules: resources that get it by default can talk.",
            "Declare aws_default_security_group without ingress or egress rules.", $"{Cis} 5.4", null,
            ("aws_default_security_group", (r, _) => r.Attributes["ingress"] is not null || r.Attributes["egress"] is not null ? Fail("the default security group has rules", r.Attributes["ingress"] ?? r.Attributes["egress"]) : Pass)),
        Make("ZD-AWS-035", "EC2 instance with a public IP address", Severity.Medium, "associate_public_ip_address = true puts the instance on the internet.",
            "Set associate_public_ip_address = false and reach the instance through a load balancer or a bastion.", null, "CKV_AWS_88",
            ("aws_instance", MustBeFalse("associate_public_ip_address", false, "associate_public_ip_address is true")),
            ("aws_launch_template", MustBeFalse("network_interfaces.associate_public_ip_address", false, "network_interfaces.associate_public_ip_address is true"))),
        Make("ZD-AWS-036", "CloudWatch log group not encrypted with KMS", Severity.Low, "The log group is encrypted with a service key only.",
            "Set kms_key_id.", null, "CKV_AWS_158", ("aws_cloudwatch_log_group", MustBeSet("kms_key_id", "no kms_key_id"))),
        Make("ZD-AWS-037", "RDS cluster or instance without IAM authentication", Severity.Low, "Database users authenticate with passwords only.",
            "Set iam_database_authentication_enabled = true.", null, "CKV_AWS_161",
            ("aws_db_instance", (r, c) => V.Str(r.Attributes["engine"]) is "mysql" or "postgres" ? MustBeTrue("iam_database_authentication_enabled", false, "iam_database_authentication_enabled is not true")(r, c) : Pass)),
    ];

    private static IEnumerable<IacFail> PublicAcl(DocNode? acl) =>
        V.Str(acl) is { } a && PublicAcls.Contains(a) ? Fail($"ACL {a} grants access to everyone", acl) : Pass;

    private static IEnumerable<IacFail> CfnBlock(IacResource r, string field)
    {
        var config = r.Attributes["PublicAccessBlockConfiguration"];
        if (config is null) return Pass; // AWS blocks public access on new buckets by default since April 2023
        var v = config[field];
        return V.Unknown(v) || V.IsTrue(v) ? Pass : Fail($"PublicAccessBlockConfiguration.{field} is not true", v ?? config);
    }

    private static IEnumerable<IacFail> Versioning(IacResource r, IacContext c)
    {
        var inline = V.Get(r.Attributes, "versioning.enabled");
        if (V.IsTrue(inline) || V.Unknown(inline)) return Pass;
        var separate = c.Referencing(r, "aws_s3_bucket_versioning", "bucket").ToList();
        if (separate.Count > 0) return Pass; // judged on the versioning resource itself
        return Fail("versioning is not enabled", inline ?? r.Attributes["versioning"]);
    }

    private static IEnumerable<IacFail> BlockDevices(IacResource r, IacContext c)
    {
        var root = r.Attributes["root_block_device"];
        // No root_block_device (or an empty list): the root volume is encrypted only if the AMI's snapshot is, or if
        // the account encrypts new volumes by default (aws_ebs_encryption_by_default in the same configuration).
        if (!V.Unknown(root) && !V.All(r.Attributes, "root_block_device").Any() && !EncryptionByDefault(c))
            yield return new IacFail("no root_block_device with encrypted = true: the root volume is encrypted only if the AMI's snapshot is", root);
        foreach (var key in new[] { "root_block_device", "ebs_block_device" })
            foreach (var d in V.All(r.Attributes, key))
            {
                var e = d["encrypted"];
                // A volume made from a snapshot is encrypted as the snapshot is; the check cannot see which.
                if (d["snapshot_id"] is not null) continue;
                if (!V.IsTrue(e) && !V.Unknown(e)) yield return new IacFail($"{key}.encrypted is not true", e ?? d);
            }
    }

    private static bool EncryptionByDefault(IacContext c) =>
        c.Resources.Any(x => x.Type == "aws_ebs_encryption_by_default" && (V.Missing(x.Attributes["enabled"]) || !V.IsFalse(x.Attributes["enabled"])));

    private static IEnumerable<IacFail> Imds(IacResource r, IacContext _)
    {
        var tokens = V.Get(r.Attributes, "metadata_options.http_tokens");
        if (V.Unknown(tokens) || V.Str(tokens) == "required" || V.Str(V.Get(r.Attributes, "metadata_options.http_endpoint")) == "disabled") return Pass;
        return Fail("metadata_options.http_tokens is not \"required\"", tokens ?? r.Attributes["metadata_options"]);
    }

    private static IEnumerable<IacFail> HttpListener(IacResource r, IacContext _)
    {
        if (V.Str(r.Attributes["protocol"]) != "HTTP") return Pass;
        var action = V.Get(r.Attributes, "default_action.type");
        if (V.Str(action) == "redirect" && V.Str(V.Get(r.Attributes, "default_action.redirect.protocol")) == "HTTPS") return Pass;
        return Fail("protocol is HTTP without a redirect to HTTPS", r.Attributes["protocol"]);
    }

    // ---- IAM

    private static IEnumerable<IacFail> Policy(DocNode? policy)
    {
        if (policy is ScalarNode { Type: ScalarType.String } s) policy = HclEvaluator.FromJsonText(s.Value);
        if (policy is not MapNode) yield break;
        foreach (var st in policy["Statement"] is SeqNode q ? q.Children : policy["Statement"] is MapNode m ? [m] : [])
        {
            if ((V.Str(st["Effect"]) ?? "") != "Allow") continue;
            if (V.Strings(st["Action"]).Contains("*") && V.Strings(st["Resource"]).Contains("*"))
                yield return new IacFail("a statement allows Action \"*\" on Resource \"*\"", st["Action"] ?? st);
        }
    }

    private static IEnumerable<IacFail> PolicyDocument(IacResource r)
    {
        foreach (var st in V.All(r.Attributes, "statement"))
        {
            if ((V.Str(st["effect"]) ?? "Allow") != "Allow") continue;
            if (V.Strings(st["actions"]).Contains("*") && V.Strings(st["resources"]).Contains("*"))
                yield return new IacFail("a statement allows actions \"*\" on resources \"*\"", st["actions"]);
        }
    }

    // ---- security groups

    private static (string, Func<IacResource, IacContext, IEnumerable<IacFail>>)[] SgEvaluators(int[] ports) =>
    [
        ("aws_security_group", (r, _) => V.All(r.Attributes, "ingress").SelectMany(i => Rule(i, ports, "from_port", "to_port", "protocol", ["cidr_blocks", "ipv6_cidr_blocks"]))),
        ("aws_security_group_rule", (r, _) => V.Str(r.Attributes["type"]) == "ingress" ? Rule(r.Attributes, ports, "from_port", "to_port", "protocol", ["cidr_blocks", "ipv6_cidr_blocks"]) : Pass),
        ("aws_vpc_security_group_ingress_rule", (r, _) => Rule(r.Attributes, ports, "from_port", "to_port", "ip_protocol", ["cidr_ipv4", "cidr_ipv6"])),
        ("AWS::EC2::SecurityGroup", (r, _) => V.All(r.Attributes, "SecurityGroupIngress").SelectMany(i => Rule(i, ports, "FromPort", "ToPort", "IpProtocol", ["CidrIp", "CidrIpv6"]))),
        ("AWS::EC2::SecurityGroupIngress", (r, _) => Rule(r.Attributes, ports, "FromPort", "ToPort", "IpProtocol", ["CidrIp", "CidrIpv6"])),
    ];

    /// <summary>Whether one ingress rule admits the world to one of <paramref name="ports"/> (-1: to every port).</summary>
    internal static IEnumerable<IacFail> Rule(DocNode rule, int[] ports, string fromKey, string toKey, string protocolKey, string[] cidrKeys)
    {
        var world = cidrKeys.SelectMany(k => V.Strings(rule[k])).FirstOrDefault(V.IsWorld);
        if (world is null) return Pass;
        var protocol = V.Str(rule[protocolKey])?.ToLowerInvariant();
        var all = protocol is "-1" or "all";
        long? from = V.Int(rule[fromKey]), to = V.Int(rule[toKey]);
        if (!all && (from is null || to is null)) return Pass;
        var everything = all || (from <= 0 && to >= 65535);
        if (ports is [-1]) return everything ? Fail($"ingress from {world} on every port", rule[fromKey] ?? rule) : Pass;
        if (!all && protocol is not ("tcp" or "6" or null)) return Pass;
        var hit = ports.FirstOrDefault(p => all || (from <= p && p <= to));
        return hit != 0 ? Fail($"ingress from {world} to port {hit}", rule[fromKey] ?? rule) : Pass;
    }
}
