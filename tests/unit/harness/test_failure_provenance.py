"""A failing plan assertion names, for each stack var feeding the asserted attribute, the manifest line that set it.

End to end: a real repository (an importing stack manifest, a catalog file, a small component) and a real
pytest run of a component test file in a child process, through the plugin and the static engine.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from harness.plan import AttributeRead, Plan, Resource, focus, record_reads
from tests.unit.harness.conftest import WriteRepo

SECRET = "tok-3f9a7c21e8"

FILES = {
    "stacks/orgs/acme/dev.yaml": """\
        import:
          - catalog/bucket
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
    # prefix: line 7, name: line 8, owner: line 9, token: line 10
    "stacks/catalog/bucket.yaml": f"""\
        settings: {{harness: {{policies: {{disabled: ["*"]}}}}}}
        components:
          terraform:
            bucket:
              metadata: {{component: bucket}}
              vars:
                prefix: acme
                name: logs
                owner: platform
                token: {SECRET}
        """,
    "components/terraform/bucket/main.tf": """\
        variable "tenant" { type = string }
        variable "environment" { type = string }
        variable "stage" { type = string }
        variable "prefix" { type = string }
        variable "name" { type = string }
        variable "owner" { type = string }
        variable "token" {
          type      = string
          sensitive = true
        }
        locals {
          full = "${var.prefix}-${var.name}"
        }
        resource "aws_s3_bucket" "this" {
          bucket        = local.full
          force_destroy = true
          tags = {
            Owner = var.owner
            Stage = var.stage
          }
        }
        resource "aws_ssm_parameter" "token" {
          name  = "/${var.name}/token"
          type  = "SecureString"
          value = var.token
        }
        """,
    "tests/test_bucket.py": """\
        import pytest

        pytestmark = pytest.mark.component("bucket")

        def test_bucket_name(plan):
            bucket = plan.resource("aws_s3_bucket.this")
            assert bucket.values["tags"]["Owner"] == "platform"
            assert bucket.values["bucket"] == "acme-prod-logs"

        def test_owner_tag(plan):
            bucket = plan.resource("aws_s3_bucket.this")
            assert bucket.get("tags.Owner") == "security"

        def test_token(plan):
            assert plan.resource("aws_ssm_parameter.token").values["value"] == "other"

        def test_force_destroy(plan):
            assert plan.resource("aws_s3_bucket.this").values["force_destroy"] is False

        def test_bucket_read_earlier(plan):
            name = plan.resource("aws_s3_bucket.this").values["bucket"]
            assert name.startswith("prod")
        """,
}


def _run(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "tests", "-p", "no:cacheprovider", "-p", "no:randomly",
                           "--engine", "static", "--harness-cache", "off", "--no-harness-policies", *args],
                          cwd=repo, capture_output=True, text=True, timeout=300, check=False)


def _section(out: str, test: str) -> str:
    """The failure block of one test in pytest's output (from its header to the next one)."""
    start = out.index(f"_ {test}[plat-ue1-dev] _")
    end = out.find("\n___", start + 1)
    return out[start:end if end != -1 else len(out)]


def test_a_failing_assertion_names_the_manifest_lines_of_the_vars_behind_its_attribute(
        write_repo: WriteRepo) -> None:
    repo = write_repo({k: textwrap.dedent(v) for k, v in FILES.items()})
    result = _run(repo)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "5 failed" in out, out

    name = _section(out, "test_bucket_name")
    assert "attribute aws_s3_bucket.this bucket: fed by" in name, name
    # set in the imported catalog file, not in the stack manifest that imports it
    assert '  var.prefix = "acme" set at stacks/catalog/bucket.yaml:7\n' in name, name
    assert ('  var.name = "dev-logs" set at stacks/orgs/acme/dev.yaml:11 '
            "(overrides stacks/catalog/bucket.yaml:8)") in name, name
    # the passing assertion before it read tags: not what failed
    assert "var.owner" not in name and "attribute aws_s3_bucket.this tags" not in name, name

    owner = _section(out, "test_owner_tag")
    assert "attribute aws_s3_bucket.this tags.Owner: fed by" in owner, owner
    assert '  var.owner = "platform" set at stacks/catalog/bucket.yaml:9' in owner, owner
    assert "var.stage" not in owner, owner  # the Stage tag is another entry of the map

    token = _section(out, "test_token")
    assert "attribute aws_ssm_parameter.token value: fed by" in token, token
    # no variable held the resource: its address comes from the reads
    assert "resource aws_ssm_parameter.token (components/terraform/bucket/main.tf:22)" in token, token
    assert "  var.token = (sensitive value) set at stacks/catalog/bucket.yaml:10" in token, token
    assert SECRET not in out + result.stderr

    literal = _section(out, "test_force_destroy")
    assert "attribute aws_s3_bucket.this force_destroy: no stack var feeds it" in literal, literal

    # the statement names no attribute (the value was read into a variable before): every read is listed
    earlier = _section(out, "test_bucket_read_earlier")
    assert '  var.prefix = "acme" set at stacks/catalog/bucket.yaml:7' in earlier, earlier


def test_reads_are_recorded_only_inside_a_recording_and_focus_on_the_named_attributes() -> None:
    resource = Resource(address='aws_s3_bucket.this["a"]', mode="managed", type="aws_s3_bucket", name="this",
                        values={"bucket": "b", "tags": {"Name": "n"}, "acl": "private"})
    plan = Plan(stack="s", component="c", engine="static", complete=True, resources=[resource])
    assert plan.resource("aws_s3_bucket.this").values["bucket"] == "b"  # not recorded: no recording active
    with record_reads() as reads:
        found = plan.resource("aws_s3_bucket.this")
        assert found.values["bucket"] == "b"
        assert found.get("tags.Name") == "n"
        assert "acl" in found.values
        assert found.values.get("missing") is None
    assert reads == [AttributeRead('aws_s3_bucket.this["a"]', "bucket"),
                     AttributeRead('aws_s3_bucket.this["a"]', "tags.Name"),
                     AttributeRead('aws_s3_bucket.this["a"]', "tags"),
                     AttributeRead('aws_s3_bucket.this["a"]', "acl"),
                     AttributeRead('aws_s3_bucket.this["a"]', "missing")]
    assert [r.path for r in focus(reads, 'assert r.get("tags.Name") == "x"')] == ["tags.Name"]
    assert [r.path for r in focus(reads, 'assert r.values["acl"] == "x"')] == ["acl"]
    assert [r.path for r in focus(reads, "assert value == 3")] == ["bucket", "tags.Name", "acl", "missing"]
    assert resource.values == {"bucket": "b", "tags": {"Name": "n"}, "acl": "private"}  # still a plain dict
