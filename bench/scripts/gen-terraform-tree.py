#!/usr/bin/env python3
"""Writes a Terraform tree of N .tf files (default 1,000) for the IaC benchmark: root modules per environment that
call local modules, variables with defaults, locals, and AWS/Azure/GCP resources, about half of them misconfigured.
Deterministic: the same N gives the same files. Usage: gen-terraform-tree.py DIR [N]"""
import os
import sys

TEMPLATES = [
    '''resource "aws_s3_bucket" "b{i}" {{
  bucket = "${{local.prefix}}-{i}"
  acl    = {acl}
  tags   = merge(local.tags, {{ Name = "b{i}" }})
}}
''',
    '''resource "aws_security_group" "sg{i}" {{
  name = "sg-{i}"
  dynamic "ingress" {{
    for_each = [22, 443, {port}]
    content {{
      from_port   = ingress.value
      to_port     = ingress.value
      protocol    = "tcp"
      cidr_blocks = [var.cidr]
    }}
  }}
}}
''',
    '''resource "aws_iam_policy" "p{i}" {{
  name   = "p{i}"
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [for a in ["s3:GetObject", "{action}"] : {{ Effect = "Allow", Action = a, Resource = "*" }}]
  }})
}}
''',
    '''resource "aws_db_instance" "db{i}" {{
  engine              = "postgres"
  instance_class      = "db.t3.micro"
  storage_encrypted   = {flag}
  publicly_accessible = !var.private
  tags                = local.tags
}}
''',
    '''resource "azurerm_storage_account" "st{i}" {{
  name                      = "st{i}"
  min_tls_version           = "{tls}"
  enable_https_traffic_only = {flag}
  network_rules {{
    default_action = "Deny"
  }}
}}
''',
    '''resource "google_compute_firewall" "fw{i}" {{
  name          = "fw-{i}"
  source_ranges = [var.cidr]
  allow {{
    protocol = "tcp"
    ports    = ["{port}", "8080-8090"]
  }}
}}
''',
    '''resource "aws_instance" "vm{i}" {{
  ami           = data.aws_ami.ubuntu.id
  instance_type = "t3.micro"
  metadata_options {{
    http_tokens = "{tokens}"
  }}
  root_block_device {{
    encrypted = {flag}
  }}
  user_data = <<-EOT
    #!/bin/sh
    echo "${{local.prefix}} {i}"
  EOT
}}
''',
]


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    modules = 10
    per_module = (n - modules * 2) // modules
    written = 0
    for m in range(modules):
        mod = os.path.join(out, "modules", f"m{m}")
        env = os.path.join(out, "envs", f"e{m}")
        os.makedirs(mod, exist_ok=True)
        os.makedirs(env, exist_ok=True)
        with open(os.path.join(mod, "variables.tf"), "w") as f:
            f.write('variable "cidr" {\n  default = "10.0.0.0/8"\n}\nvariable "private" {\n  default = true\n}\n'
                    'locals {\n  prefix = "m%d"\n  tags   = { team = "t%d", env = local.prefix }\n}\n' % (m, m))
        with open(os.path.join(env, "main.tf"), "w") as f:
            f.write('module "app" {\n  source  = "../../modules/m%d"\n  cidr    = "%s"\n  private = %s\n}\n'
                    % (m, "0.0.0.0/0" if m % 2 else "10.1.0.0/16", "false" if m % 3 == 0 else "true"))
        written += 2
        for k in range(per_module):
            i = m * per_module + k
            bad = i % 2 == 0
            text = "".join(t.format(i=i * 10 + j, acl='"public-read"' if bad else '"private"', port=3389 if bad else 8443,
                                    action="*" if bad else "s3:PutObject", flag="false" if bad else "true",
                                    tls="TLS1_0" if bad else "TLS1_2", tokens="optional" if bad else "required")
                           for j, t in enumerate(TEMPLATES))
            with open(os.path.join(mod, f"r{k:04d}.tf"), "w") as f:
                f.write(text)
            written += 1
    while written < n:
        with open(os.path.join(out, "envs", "e0", f"extra{written}.tf"), "w") as f:
            f.write('resource "aws_kms_key" "k%d" {\n  enable_key_rotation = %s\n}\n' % (written, "false" if written % 2 else "true"))
        written += 1
    print(f"{written} files in {out}")


if __name__ == "__main__":
    main()
