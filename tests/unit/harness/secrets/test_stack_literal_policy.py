"""secrets.stack-literal: a sensitive var set by a plain literal in a manifest, named by file and line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.atmos.value_origin import var_origin
from harness.plan import Sensitive
from harness.policy import Finding
from harness.policy.packs.secrets import is_plain_literal
from harness.session import HarnessSession, SessionOptions
from tests.unit.harness.conftest import WriteRepo

COMPONENT = """\
variable "stage" { type = string }
variable "db_password" { type = string }
variable "api_key" {
  type      = string
  sensitive = true
  default   = "default-in-tf-1"
}
variable "note" {
  type    = string
  default = ""
}
resource "aws_db_instance" "db" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  password          = var.db_password
}
resource "aws_ssm_parameter" "k" {
  name  = "/k"
  type  = "SecureString"
  value = var.api_key
}
"""

CATALOG = """\
components:
  terraform:
    app:
      vars:
        db_password: catalog-literal-pw1
"""


def _stack(body: str) -> str:
    head = "import:\n  - catalog/app\nvars:\n  tenant: plat\n  environment: ue1\n  stage: dev\n"
    return head + "components:\n  terraform:\n    app:\n      vars:\n" + body


Run = Callable[[str], tuple[list[Finding], Path]]


@pytest.fixture
def findings(write_repo: WriteRepo) -> Iterator[Run]:
    sessions: list[HarnessSession] = []

    def run(stack_vars: str) -> tuple[list[Finding], Path]:
        repo = write_repo({"components/terraform/app/main.tf": COMPONENT, "stacks/catalog/app.yaml": CATALOG,
                           "stacks/orgs/dev.yaml": _stack(stack_vars)})
        session = HarnessSession(SessionOptions(base_path=repo, engine="static", cache="off"))
        sessions.append(session)
        instance = session.resolver.instance("app", "plat-ue1-dev")
        result = session.policies(instance, session.plan(instance))
        return [f for f in result.findings if f.policy == "secrets.stack-literal"], repo

    yield run
    for session in sessions:
        session.close()


def test_the_winning_literal_is_named_by_manifest_line_and_masked(findings: Run) -> None:
    found, _ = findings("        db_password: stack-literal-pw2\n        note: hello\n")
    (finding,) = found
    assert finding.severity.name == "HIGH" and finding.address == "aws_db_instance.db" and finding.path == "password"
    assert finding.message.startswith("vars.db_password is a plain literal at stacks/orgs/dev.yaml:11 "
                                      "(value (sensitive value)); it sets aws_db_instance.db.password;")
    assert isinstance(finding.value, Sensitive) and finding.to_json()["value"] == {"__sensitive__": True}
    assert "stack-literal-pw2" not in str(finding.to_json())


def test_an_imported_literal_is_named_in_the_imported_file(findings: Run) -> None:
    (finding,) = findings("        note: hello\n")[0]
    assert "vars.db_password is a plain literal at stacks/catalog/app.yaml:5 " in finding.message


@pytest.mark.parametrize("value", [
    '!env DB_PASSWORD', '!store ssm /app/db password', '"{{ env \\"DB_PASSWORD\\" }}"',
    'arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf',
])
def test_values_fetched_from_elsewhere_pass(findings: Run, value: str) -> None:
    found, _ = findings(f"        db_password: {value}\n")
    assert found == []


def test_a_declared_sensitive_variable_set_literally_fails_but_its_tf_default_does_not(findings: Run) -> None:
    found, _ = findings("        db_password: !env DB_PASSWORD\n")
    assert found == []  # api_key keeps its default from variables.tf: not a manifest literal
    found, _ = findings("        db_password: !env DB_PASSWORD\n        api_key: stack-api-key-3\n")
    (finding,) = found
    assert "vars.api_key is a plain literal at stacks/orgs/dev.yaml:12" in finding.message
    assert "it sets aws_ssm_parameter.k.value" in finding.message


def test_plain_literal_rules() -> None:
    assert is_plain_literal("hunter2") and is_plain_literal(12345)
    for raw in ("!store ssm /x y", "!terraform.output vpc id", "{{ (atmos.Store \"ssm\" .stack \"c\" \"k\") }}",
                "arn:aws:ssm:us-east-1:111122223333:parameter/db", "{{resolve:secretsmanager:db:SecretString}}",
                None, "", True, {"a": 1}, ["x"]):
        assert not is_plain_literal(raw), raw


def test_var_origin_follows_atmos_precedence(write_repo: WriteRepo) -> None:
    repo = write_repo({"components/terraform/app/main.tf": COMPONENT, "stacks/catalog/app.yaml": CATALOG,
                       "stacks/orgs/dev.yaml": _stack("        note: hi\n").replace("  stage: dev\n",
                                                                                "  stage: dev\n  note: global\n")})
    session = HarnessSession(SessionOptions(base_path=repo, engine="static", cache="off"))
    try:
        instance = session.resolver.instance("app", "plat-ue1-dev")
        origin = var_origin(instance, "db_password")
        assert origin is not None and origin.file == repo / "stacks/catalog/app.yaml" and origin.line == 5
        note = var_origin(instance, "note")  # the component's vars beat the stack's global vars
        assert note is not None and note.raw == "hi" and note.line == 12
        assert var_origin(instance, "absent") is None
    finally:
        session.close()
