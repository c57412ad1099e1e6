"""Provider-schema sensitivity: the shipped AWS table, tables from a schema, the static and recorded engines."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.engines.base import PlanRequest
from harness.engines.recorded import plan_from_json
from harness.engines.static import StaticEngine
from harness.plan import Sensitive
from harness.terraform.sensitive_attrs import (
    SensitiveAttributes,
    generate_tables,
    locked_versions,
    schema_sensitive_paths,
    sensitive_attribute_paths,
    shipped_tables,
    tables_from_schema,
)
from harness.tools.providers import provider_search

AWS = "registry.terraform.io/hashicorp/aws"

SCHEMA = {
    "format_version": "1.0",
    "provider_schemas": {
        "registry.terraform.io/acme/demo": {
            "resource_schemas": {
                "demo_db": {"block": {
                    "attributes": {"password": {"type": "string", "sensitive": True},
                                   "name": {"type": "string"},
                                   "users": {"nested_type": {"nesting_mode": "list", "attributes": {
                                       "secret": {"type": "string", "sensitive": True}}}}},
                    "block_types": {"auth": {"nesting_mode": "list", "block": {
                        "attributes": {"token": {"type": "string", "sensitive": True}}}}}}},
                "demo_plain": {"block": {"attributes": {"name": {"type": "string"}}}},
            },
            "data_source_schemas": {"demo_key": {"block": {"attributes": {"key": {"sensitive": True}}}}},
        },
    },
}


def test_the_shipped_aws_table_records_its_provider_version_and_knows_the_rds_password() -> None:
    (table,) = shipped_tables()
    assert table.provider == AWS and table.version == "5.100.0"
    assert table.source.startswith("terraform ") and table.source.endswith("providers schema -json")
    assert "password" in table.paths("managed", "aws_db_instance")
    assert "value" in table.paths("managed", "aws_ssm_parameter")
    assert "secret_string" in table.paths("managed", "aws_secretsmanager_secret_version")
    assert table.paths("managed", "aws_vpc") == ()


def test_tables_from_a_schema_use_star_for_nested_blocks_and_lists() -> None:
    (table,) = tables_from_schema(SCHEMA, {"registry.terraform.io/acme/demo": "1.2.3"}, source="test")
    assert table.version == "1.2.3"
    assert table.managed == {"demo_db": ("auth.*.token", "password", "users.*.secret")}
    assert table.data == {"demo_key": ("key",)}
    assert SensitiveAttributes.from_json(table.to_json()) == table


def test_the_locked_version_picks_its_table_else_every_version_counts(tmp_path: Path) -> None:
    old = SensitiveAttributes(AWS, "4.0.0", managed={"aws_x": ("old",)})
    new = SensitiveAttributes(AWS, "5.0.0", managed={"aws_x": ("new",)})
    assert sensitive_attribute_paths("hashicorp/aws", "managed", "aws_x", version="4.0.0",
                                     tables=[old, new]) == ("old",)
    assert sensitive_attribute_paths("hashicorp/aws", "managed", "aws_x", version="9.9.9",
                                     tables=[old, new]) == ("new", "old")
    (tmp_path / ".terraform.lock.hcl").write_text(
        'provider "registry.terraform.io/hashicorp/aws" {\n  version     = "5.100.0"\n  hashes = []\n}\n')
    assert locked_versions(tmp_path) == {AWS: "5.100.0"}
    assert locked_versions(tmp_path / "none") == {}


def test_schema_paths_are_the_concrete_paths_a_resource_has() -> None:
    values = {"password": "x", "engine": "postgres", "password_wo": None}
    assert schema_sensitive_paths("hashicorp/aws", "managed", "aws_db_instance", values) == {"password"}


def test_the_static_engine_hides_provider_sensitive_attributes_and_sensitive_variables(tmp_path: Path) -> None:
    component = tmp_path / "db"
    component.mkdir()
    (component / "main.tf").write_text("""\
variable "password" { type = string }
variable "token" {
  type      = string
  sensitive = true
}
resource "aws_db_instance" "db" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  password          = var.password
}
resource "aws_ssm_parameter" "p" {
  name  = "/x"
  type  = "String"
  value = "literal-in-tf-1"
  tags  = { note = var.token }
}
""")
    request = PlanRequest(stack="s", component="db", component_dir=component,
                          variables={"password": "rds-static-secret", "token": "tok-static-secret"},
                          region="eu-west-1", account_id="111122223333")
    engine = StaticEngine()
    try:
        plan = engine.plan(request)
    finally:
        engine.close()
    db = plan.resource("aws_db_instance.db")
    assert "password" in db.sensitive and isinstance(db.values["password"], Sensitive)
    assert db.values["password"] == "rds-static-secret" and not isinstance(db.values["engine"], Sensitive)
    param = plan.resource("aws_ssm_parameter.p")
    assert isinstance(param.values["value"], Sensitive)  # the schema's, even for a literal in the .tf
    assert isinstance(param.values["tags"]["note"], Sensitive)  # fed by a sensitive variable
    assert plan.variable_sensitive == {"password", "token"}
    assert "rds-static-secret" not in str(plan.to_json()) and "tok-static-secret" not in str(plan.to_json())


def test_the_recorded_engine_reads_sensitive_marks_and_declared_sensitive_variables() -> None:
    data = {
        "format_version": "1.2",
        "variables": {"db_password": {"value": "recorded-secret-1"}, "region": {"value": "eu-west-1"}},
        "configuration": {"root_module": {"variables": {"db_password": {"sensitive": True}, "region": {}}}},
        "resource_changes": [{
            "address": "aws_db_instance.db", "mode": "managed", "type": "aws_db_instance", "name": "db",
            "change": {"actions": ["update"], "before": {"password": "recorded-old-1"},
                       "after": {"password": "recorded-secret-1"}, "after_unknown": {},
                       "after_sensitive": {"password": True}, "before_sensitive": {"password": True}},
        }],
    }
    plan = plan_from_json(data, stack="s", component="c")
    db = plan.resource("aws_db_instance.db")
    assert isinstance(db.values["password"], Sensitive) and isinstance(db.before["password"], Sensitive)
    assert plan.variable_sensitive == {"db_password"} and isinstance(plan.variables["db_password"], Sensitive)


def _aws_plugin_dir() -> list[Path]:
    return [m.path for m in provider_search().mirrors if m.versions("hashicorp/aws")]


@pytest.mark.skipif(not _aws_plugin_dir(), reason="no local provider mirror holds hashicorp/aws")
def test_generated_from_the_real_provider_and_cached_per_version(tmp_path: Path) -> None:
    """Regenerating the shipped table from the provider it came from gives the same table."""
    tables = generate_tables(["hashicorp/aws"], folder=tmp_path, plugin_dirs=_aws_plugin_dir())
    (table,) = tables
    cached = sorted(p.name for p in tmp_path.iterdir())
    assert cached == [f"registry.terraform.io_hashicorp_aws-{table.version}.json"]
    if table.version == shipped_tables()[0].version:
        assert (table.managed, table.data) == (shipped_tables()[0].managed, shipped_tables()[0].data)
    stamp = os.stat(tmp_path / cached[0]).st_mtime_ns
    assert generate_tables(["hashicorp/aws"], folder=tmp_path, plugin_dirs=_aws_plugin_dir()) == tables
    assert os.stat(tmp_path / cached[0]).st_mtime_ns == stamp  # the cached table, no second schema dump
