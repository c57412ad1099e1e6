"""Root modules and a unit suite for the synthetic organization, so its tests do the work real ones do.

Every component gets the same realistic shape (the names and variables differ): the context variables
every stack passes, one variable per catalog var, tags built from the context, a KMS key with an alias, an
encrypted log group, one SSM parameter per setting (``for_each``), an IAM role with a managed policy
written through ``aws_iam_policy_document``. The unit suite is what a repository of this shape would
carry: per-instance plan tests; every selected policy and contract on every instance comes from the
plugin's built-in items.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

#: Variables every stack passes (org, tenant, region and stage manifests, and ``terraform.vars``).
CONTEXT_VARIABLES = ("namespace", "tenant", "environment", "stage", "region", "default_region")


def _variable(name: str, kind: str, default: str | None) -> str:
    body = f"  type    = {kind}\n" + (f"  default = {default}\n" if default is not None else "")
    return f'variable "{name}" {{\n{body}}}\n'


def root_module(component: str, variables: Iterable[str]) -> dict[str, str]:
    """File name -> text of the component's root module; ``variables`` are its catalog var names."""
    own = sorted(set(variables) - {"enabled", "name", "tags", "label_order", *CONTEXT_VARIABLES})
    decls = [_variable(v, "string", "null") for v in CONTEXT_VARIABLES]
    decls += [_variable("name", "string", f'"{component}"'), _variable("enabled", "bool", "true"),
              _variable("tags", "map(string)", "{}"), _variable("label_order", "list(string)", "[]")]
    decls += [_variable(v, "any", "null") for v in own]
    settings = "\n".join(f"    {v} = var.{v}" for v in own)
    main = textwrap.dedent("""\
        # {component}: a root module of the synthetic organization (generated).

        locals {{
          enabled = var.enabled
          id      = join("-", compact([var.namespace, var.tenant, var.environment, var.stage, var.name]))

          tags = merge({{
            Namespace   = var.namespace
            Tenant      = var.tenant
            Environment = var.environment
            Stage       = var.stage
            ManagedBy   = "terraform"
          }}, var.tags, {{ Name = local.id }})

          settings = {{
        {settings}
          }}
          parameters = {{ for k, v in local.settings : k => jsonencode(v) if local.enabled && v != null }}
          partition    = data.aws_partition.current.partition
          account_id   = data.aws_caller_identity.current.account_id
          boundary_arn = "arn:${{local.partition}}:iam::${{local.account_id}}:policy/${{var.namespace}}-boundary"
        }}

        data "aws_partition" "current" {{}}

        data "aws_caller_identity" "current" {{}}

        resource "aws_kms_key" "this" {{
          count                   = local.enabled ? 1 : 0
          description             = "${{local.id}} settings and logs"
          enable_key_rotation     = true
          deletion_window_in_days = 30
          policy = jsonencode({{
            Version = "2012-10-17"
            Statement = [{{
              Sid       = "AccountAdministers"
              Effect    = "Allow"
              Principal = {{ AWS = "arn:${{local.partition}}:iam::${{local.account_id}}:root" }}
              Action    = "kms:*"
              Resource  = "*"
            }}]
          }})
          tags = local.tags
        }}

        resource "aws_kms_alias" "this" {{
          count         = local.enabled ? 1 : 0
          name          = "alias/${{local.id}}"
          target_key_id = aws_kms_key.this[0].key_id
        }}

        resource "aws_cloudwatch_log_group" "this" {{
          count             = local.enabled ? 1 : 0
          name              = "/${{var.namespace}}/${{local.id}}"
          retention_in_days = var.stage == "prod" ? 365 : 90
          kms_key_id        = aws_kms_key.this[0].arn
          tags              = local.tags
        }}

        resource "aws_ssm_parameter" "setting" {{
          for_each = local.parameters
          name     = "/${{local.id}}/${{each.key}}"
          type     = "SecureString"
          key_id   = aws_kms_key.this[0].arn
          value    = each.value
          tags     = local.tags
        }}

        data "aws_iam_policy_document" "assume" {{
          statement {{
            actions = ["sts:AssumeRole"]
            principals {{
              type        = "Service"
              identifiers = ["ec2.amazonaws.com"]
            }}
          }}
        }}

        data "aws_iam_policy_document" "access" {{
          statement {{
            sid       = "ReadSettings"
            actions   = ["ssm:GetParameter", "ssm:GetParametersByPath"]
            resources = ["arn:${{local.partition}}:ssm:${{var.region}}:${{local.account_id}}:parameter/${{local.id}}/*"]
          }}
          statement {{
            sid       = "DecryptSettings"
            actions   = ["kms:Decrypt"]
            resources = aws_kms_key.this[*].arn
          }}
        }}

        resource "aws_iam_role" "this" {{
          count                = local.enabled ? 1 : 0
          name                 = local.id
          assume_role_policy   = data.aws_iam_policy_document.assume.json
          max_session_duration = 3600
          permissions_boundary = local.boundary_arn
          tags                 = local.tags
        }}

        resource "aws_iam_policy" "access" {{
          count  = local.enabled ? 1 : 0
          name   = "${{local.id}}-access"
          policy = data.aws_iam_policy_document.access.json
          tags   = local.tags
        }}

        resource "aws_iam_role_policy_attachment" "access" {{
          count      = local.enabled ? 1 : 0
          role       = aws_iam_role.this[0].name
          policy_arn = aws_iam_policy.access[0].arn
        }}
        """).format(component=component, settings=settings)
    outputs = textwrap.dedent("""\
        output "id" {
          value = local.id
        }

        output "role_arn" {
          value = one(aws_iam_role.this[*].arn)
        }

        output "parameter_names" {
          value = sorted([for p in aws_ssm_parameter.setting : p.name])
        }
        """)
    providers = textwrap.dedent("""\
        provider "aws" {
          region = var.region
        }
        """)
    versions = textwrap.dedent("""\
        terraform {
          required_version = ">= 1.3"
          required_providers {
            aws = {
              source  = "hashicorp/aws"
              version = ">= 5.0"
            }
          }
        }
        """)
    return {"main.tf": main, "variables.tf": "\n".join(decls), "outputs.tf": outputs,
            "providers.tf": providers, "versions.tf": versions}


#: The organization's unit suite (paths relative to its root).
UNIT_SUITE: dict[str, str] = {
    "tests/unit/test_components.py": textwrap.dedent('''\
        """Plan tests of every component, on every stack that deploys it."""

        from __future__ import annotations

        import json

        import pytest

        from harness.atmos import Instance
        from harness.plan import Plan, reveal

        pytestmark = pytest.mark.component("*")


        def test_every_resource_is_tagged_with_its_context(plan: Plan, instance: Instance) -> None:
            required = set(instance.settings["harness"]["required_tags"])
            tagged = [r for r in plan.resources(mode="managed") if "tags" in r.values]
            assert tagged
            for resource in tagged:
                assert required <= set(resource.values["tags"]), resource.address
                assert resource.values["tags"]["Stage"] == instance.vars["stage"]


        def test_one_secure_parameter_per_known_setting(plan: Plan, instance: Instance) -> None:
            names = {r.index for r in plan.resources(type="aws_ssm_parameter")}
            known = {k for k, v in instance.vars.items() if isinstance(v, (str, int, float, bool, list, dict))}
            assert names and names <= known
            for resource in plan.resources(type="aws_ssm_parameter"):
                assert resource.values["type"] == "SecureString"
                # the inputs the plan used: a `!terraform.output` the producer's plan knows is its value there
                assert json.loads(reveal(resource.values["value"])) == reveal(plan.variables[resource.index])


        def test_keys_rotate_and_logs_are_kept(plan: Plan, instance: Instance) -> None:
            (key,) = plan.resources(type="aws_kms_key")
            assert key.values["enable_key_rotation"] is True
            (group,) = plan.resources(type="aws_cloudwatch_log_group")
            assert group.values["retention_in_days"] == (365 if instance.vars["stage"] == "prod" else 90)
        '''),
}
