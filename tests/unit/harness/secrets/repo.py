"""A copy of the example repository with three planted secrets, for the tests that hunt for them."""

from __future__ import annotations

from pathlib import Path

from tests.example import copy_example

#: A ``sensitive = true`` variable's default, feeding ``aws_ssm_parameter.token.value``.
VAR_SECRET = "hunter2-from-var"
#: A plain YAML literal in a stack manifest, feeding ``aws_db_instance.db.password`` (sensitive in the schema).
RDS_SECRET = "rds-Pw-planted-7Qx"
#: An Atmos mask literal (``settings.terminal.mask.literals``) used as an ordinary, non-sensitive tag value.
MASK_SECRET = "acme-mask-literal-93kd"
SECRETS = (VAR_SECRET, RDS_SECRET, MASK_SECRET)
STACK = "plat-ue1-dev"
MANIFEST = "stacks/orgs/acme/plat/dev/us-east-1.yaml"

COMPONENT = {
    "variables.tf": f"""\
variable "region" {{ type = string }}
variable "namespace" {{ type = string }}
variable "tenant" {{ type = string }}
variable "environment" {{ type = string }}
variable "stage" {{ type = string }}
variable "api_token" {{
  type      = string
  sensitive = true
  default   = "{VAR_SECRET}"
}}
variable "db_password" {{ type = string }}
variable "team_label" {{ type = string }}
variable "tags" {{
  type    = map(string)
  default = {{}}
}}
""",
    "main.tf": """\
resource "aws_ssm_parameter" "token" {
  name  = "/${var.namespace}/${var.stage}/api-token"
  type  = "SecureString"
  value = var.api_token
  tags  = merge(var.tags, { team = var.team_label })
}

resource "aws_db_instance" "db" {
  identifier          = "${var.namespace}-${var.stage}-app"
  engine              = "postgres"
  instance_class      = "db.t3.micro"
  allocated_storage   = 20
  username            = "app"
  password            = var.db_password
  storage_encrypted   = true
  skip_final_snapshot = true
  tags                = merge(var.tags, { team = var.team_label })
}

output "token_name" { value = aws_ssm_parameter.token.name }
""",
    "versions.tf": """\
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}
""",
}

STACK_ADDITION = f"""
    secrets-demo:
      vars:
        team_label: {MASK_SECRET}
        db_password: {RDS_SECRET}
"""

MASK_SETTINGS = f"""
  terminal:
    mask:
      literals:
        - {MASK_SECRET}
"""

TESTS = f'''\
import pytest

pytestmark = pytest.mark.component("secrets-demo")


def test_token_compares(plan):
    assert plan.resource("aws_ssm_parameter.token").values["value"] == "{VAR_SECRET}"


def test_password_compares(plan):
    assert plan.resource("aws_db_instance.db").values["password"] == "{RDS_SECRET}"
'''

FAILING_TESTS = '''

def test_token_differs(plan):
    assert plan.resource("aws_ssm_parameter.token").values["value"] == "something-else"


def test_password_differs(plan):
    password = plan.resource("aws_db_instance.db").values["password"]
    assert password.upper() == "NOPE", f"password was {password}"


def test_tag_differs(plan):
    assert plan.resource("aws_db_instance.db").values["tags"]["team"] == "other-team"


def test_var_printed(instance):
    print("the password in the stack:", instance.vars["db_password"])
    assert instance.vars["db_password"] == "x"
'''


def make_repo(dest: Path, *, failing: bool = False) -> Path:
    """The example repository under ``dest`` with the ``secrets-demo`` component in plat-ue1-dev."""
    copy_example(dest)
    component = dest / "components/terraform/secrets-demo"
    component.mkdir(parents=True)
    for file, text in COMPONENT.items():
        (component / file).write_text(text, encoding="utf-8")
    manifest = dest / MANIFEST
    manifest.write_text(manifest.read_text(encoding="utf-8") + STACK_ADDITION, encoding="utf-8")
    config = dest / "atmos.yaml"
    text = config.read_text(encoding="utf-8")
    assert "\nsettings:\n" in text
    config.write_text(text.replace("\nsettings:\n", "\nsettings:" + MASK_SETTINGS, 1), encoding="utf-8")
    (dest / "tests").mkdir()
    (dest / "tests/test_secrets_demo.py").write_text(TESTS + (FAILING_TESTS if failing else ""), encoding="utf-8")
    return dest
