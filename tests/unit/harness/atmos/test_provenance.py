"""Where each value came from: ``describe component --provenance`` and the vars behind a planned attribute."""

from __future__ import annotations

import json
from pathlib import Path

from harness.atmos import Resolver, load_config
from harness.atmos.provenance import describe_provenance, referenced_vars, var_sources
from tests.unit.harness.conftest import WriteRepo, run_cli

FILES = {
    "stacks/orgs/dev.yaml": """\
        import: [catalog/bucket]
        vars:
          tenant: plat
          environment: ue1
          stage: dev
        components:
          terraform:
            bucket:
              vars:
                name: dev-logs
        """,
    "stacks/catalog/bucket.yaml": """\
        terraform:
          backend_type: s3
          backend:
            s3:
              bucket: tfstate
        components:
          terraform:
            bucket:
              vars:
                name: logs
                prefix: acme
                versioning: true
        """,
    "components/terraform/bucket/main.tf": """\
        variable "name" {}
        variable "prefix" {}
        variable "versioning" {}
        variable "unused" { default = "x" }
        locals {
          full = "${var.prefix}-${var.name}"
        }
        resource "aws_s3_bucket" "this" {
          bucket = local.full
          tags   = { Stage = var.stage_tag }
        }
        resource "aws_s3_bucket_versioning" "this" {
          bucket = aws_s3_bucket.this.id
          versioning_configuration { status = var.versioning ? "Enabled" : "Suspended" }
        }
        data "aws_s3_bucket" "this" {
          bucket = var.name
        }
        """,
}


def test_each_value_names_the_file_and_line_that_set_it_and_what_it_overrode(write_repo: WriteRepo) -> None:
    repo = write_repo(FILES)
    values = describe_provenance(Resolver(load_config(repo)), "bucket", "plat-ue1-dev")["values"]
    name = values["vars.name"]
    assert name["value"] == "dev-logs"
    assert (name["set_by"]["file"], name["set_by"]["line"]) == ("stacks/orgs/dev.yaml", 10)
    overrode = [(o["file"], o["line"], o["value"]) for o in name["overrode"]]
    assert overrode == [("stacks/catalog/bucket.yaml", 10, "logs")]
    assert values["vars.tenant"]["set_by"]["layer"] == "global"
    assert (values["backend.bucket"]["set_by"]["file"], values["backend.bucket"]["set_by"]["line"]) == (
        "stacks/catalog/bucket.yaml", 5)
    assert values["backend.workspace_key_prefix"]["set_by"] is None  # Atmos's default


def test_the_vars_feeding_an_attribute_follow_locals_to_their_manifest_lines(write_repo: WriteRepo) -> None:
    repo = write_repo(FILES)
    component = repo / "components/terraform/bucket"
    assert referenced_vars(component, "aws_s3_bucket.this", "bucket") == ["prefix", "name"]
    assert referenced_vars(component, "aws_s3_bucket_versioning.this[0]",
                           "versioning_configuration[0].status") == ["versioning"]
    assert referenced_vars(component, "aws_s3_bucket.this", "tags.Stage") == ["stage_tag"]
    assert referenced_vars(component, "aws_s3_bucket.this", "tags.Other") == ["stage_tag"]  # the whole map
    assert referenced_vars(component, "data.aws_s3_bucket.this", "bucket") == ["name"]
    assert referenced_vars(component, "module.x.aws_s3_bucket.this", "bucket") == []
    sources = var_sources(Resolver(load_config(repo)), "bucket", "plat-ue1-dev", "aws_s3_bucket.this", "bucket")
    assert [str(s) for s in sources] == [
        'var.prefix = "acme" set at stacks/catalog/bucket.yaml:11',
        'var.name = "dev-logs" set at stacks/orgs/dev.yaml:10 (overrides stacks/catalog/bucket.yaml:10)',
    ]
    unset = var_sources(Resolver(load_config(repo)), "bucket", "plat-ue1-dev", "aws_s3_bucket.this", "tags")
    assert [str(s) for s in unset] == ["var.stage_tag = null (no manifest sets it)"]


def test_cli_prints_provenance(write_repo: WriteRepo) -> None:
    repo: Path = write_repo(FILES)
    text = run_cli("describe", "component", "bucket", "-s", "plat-ue1-dev", "--provenance", "--base-path", str(repo))
    assert text.code == 0, text.err
    assert 'vars.name = "dev-logs"\n    set in stacks/orgs/dev.yaml:10 (component)\n' \
           '    overrode stacks/catalog/bucket.yaml:10 (component): "logs"' in text.out
    as_json = run_cli("describe", "component", "bucket", "-s", "plat-ue1-dev", "--provenance", "--format", "json",
                      "--base-path", str(repo))
    assert json.loads(as_json.out)["values"]["vars.prefix"]["set_by"]["line"] == 11
