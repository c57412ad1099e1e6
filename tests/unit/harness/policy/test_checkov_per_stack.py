"""With checkov installed, ``harness check`` reports checkov's findings per stack: an SSH rule from 0.0.0.0/0
injected through one stack's vars is found in that stack only, at the rule's ``.tf`` file:line.

These run the real checkov binary (in its own venv, see ``checkov_bin``) and skip when it is not installed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.unit.harness.conftest import edit, run_cli
from tests.unit.harness.policy.checkov_bin import checkov_or_skip

STAGING = "stacks/orgs/acme/plat/staging/us-east-1.yaml"
#: plat-ue1-staging's bastion gets an SSH rule from anywhere, in that stack's vars only.
OPEN_SSH = ("    security-group/bastion:\n      vars:\n        rules:\n",
            "    security-group/bastion:\n      vars:\n        rules:\n"
            "          ssh-from-anywhere:\n            type: ingress\n            protocol: tcp\n"
            "            from_port: 22\n            to_port: 22\n            description: SSH from anywhere\n"
            "            cidr_blocks:\n              - 0.0.0.0/0\n")
SSH_CHECKS = {"checkov.CKV_AWS_24"}  # "Ensure no security groups allow ingress from 0.0.0.0:0 to port 22"


def _check(root: Path, checkov: str) -> dict[str, object]:
    result = run_cli("check", "--format", "json", "--base-path", str(root),
                     env={**os.environ, "HARNESS_CHECKOV": checkov})
    data: dict[str, object] = json.loads(result.out)
    data["code"] = result.code
    return data


def _checkov_findings(data: dict[str, object]) -> list[dict[str, object]]:
    return [f for r in data["policies"] for f in r["findings"]  # type: ignore[attr-defined]
            if str(f["policy"]).startswith("checkov.")]


def test_the_example_passes_with_checkov_and_its_findings_are_per_instance(example_copy: Path) -> None:
    checkov = checkov_or_skip()
    data = _check(example_copy, checkov)
    assert data["code"] == 0, data["failures"]
    found = _checkov_findings(data)
    assert found and {f["outcome"] for f in found} <= {"waived", "undetermined"}  # no failure left unwaived
    assert {(f["stack"], f["component"]) for f in found if f["policy"] == "checkov.CKV_AWS_18"} == {
        ("core-ue1-log-archive", "log-bucket"), ("core-ue1-root", "tfstate-backend")}


def test_an_ssh_rule_from_anywhere_in_one_stack_is_found_in_that_stack_only(example_copy: Path) -> None:
    checkov = checkov_or_skip()
    edit(example_copy / STAGING, *OPEN_SSH)
    data = _check(example_copy, checkov)
    assert data["code"] == 1
    ssh = [f for f in _checkov_findings(data) if f["policy"] in SSH_CHECKS and f["outcome"] == "fail"]
    assert {(f["stack"], f["component"]) for f in ssh} == {("plat-ue1-staging", "security-group/bastion")}, ssh
    (finding,) = ssh
    assert finding["address"] == 'aws_vpc_security_group_ingress_rule.this["ssh-from-anywhere:0.0.0.0/0"]'
    assert (finding["file"], finding["line"]) == ("main.tf", 64)
    assert finding["severity"] == "critical" and "CIS-5.2" in finding["controls"]  # type: ignore[operator]
    assert finding in data["failures"]  # type: ignore[operator]
    # the native policy agrees, on the same instance only
    native = [f for f in data["failures"] if f["policy"] == "network.no-public-admin-ports"]  # type: ignore[attr-defined]
    assert {(f["stack"], f["component"]) for f in native} == {("plat-ue1-staging", "security-group/bastion")}
