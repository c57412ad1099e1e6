"""The example's component tests fail when a stack or a component is broken the way they guard against.

Each case breaks a private copy of the example repository, runs the real component test file against it
with ``--base-path``, and checks which test ids fail and what the failure report names.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.harness.conftest import REPO, edit


def _run(test_file: str, repo: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", f"tests/unit/components/{test_file}", "--base-path", str(repo),
         "--harness-cache", "off", "-q", "-rf", "-p", "no:cacheprovider", *extra],
        cwd=REPO, capture_output=True, text=True, timeout=600, check=False,
    )


def _failed_ids(output: str) -> set[str]:
    return {line.split("::", 1)[1].split(" ")[0] for line in output.splitlines() if line.startswith("FAILED ")}


def test_unbroken_copy_passes(example_copy: Path) -> None:
    result = _run("test_vpc.py", example_copy)
    assert result.returncode == 0, result.stdout[-3000:]


def test_prod_stack_losing_per_az_nat_fails_only_there(example_copy: Path) -> None:
    edit(example_copy / "stacks/orgs/acme/plat/prod/us-east-1.yaml", "nat_gateway_mode: per_az",
         "nat_gateway_mode: single")
    result = _run("test_vpc.py", example_copy)
    assert result.returncode == 1
    assert _failed_ids(result.stdout) == {"test_nat_gateway_per_az_in_prod_only[plat-ue1-prod]"}
    assert "stack manifest: stacks/orgs/acme/plat/prod/us-east-1.yaml" in result.stdout


def test_component_mapping_public_ips_fails_everywhere_naming_the_resource(example_copy: Path) -> None:
    edit(example_copy / "components/terraform/vpc/main.tf",
         "map_public_ip_on_launch = var.map_public_ip_on_launch", "map_public_ip_on_launch = true")
    result = _run("test_vpc.py", example_copy, "-k", "public_ips")
    assert result.returncode == 1
    failed = _failed_ids(result.stdout)
    assert {f"test_public_subnets_do_not_map_public_ips[{s}]" for s in
            ("plat-ue1-dev", "plat-ue1-prod", "plat-uw2-prod", "core-ue1-network")} <= failed
    assert 'resource aws_subnet.public["us-east-1a"] (components/terraform/vpc/main.tf:59)' in result.stdout


def test_ssh_from_the_internet_fails_the_security_group_test(example_copy: Path) -> None:
    edit(example_copy / "stacks/catalog/security-group/bastion.yaml",
         "            cidr_blocks:\n              - 10.0.0.0/16", "            cidr_blocks:\n              - 0.0.0.0/0")
    result = _run("test_security_group.py", example_copy, "-k", "admin_ports", "-rE")
    assert result.returncode == 1
    # the component's own validation block rejects the rule: Terraform would refuse it, so it is not planned
    errors = {line.split("::", 1)[1].split(" ")[0] for line in result.stdout.splitlines()
              if line.startswith("ERROR ")}
    assert "test_no_internet_ingress_to_admin_ports[plat-ue1-prod:security-group/bastion]" in errors
    assert not any("security-group/web" in f for f in errors | _failed_ids(result.stdout))
    assert ("contract.validation-failed: plat-ue1-prod/security-group/bastion: var 'rules'" in result.stdout
            and "[components/terraform/security-group/variables.tf:112]" in result.stdout)
    assert "During handling of the above exception" not in result.stdout


@pytest.mark.parametrize(("old", "new", "test"), [
    ("enable_key_rotation     = true", "enable_key_rotation     = false", "test_kms_key_rotates[core-ue1-root]"),
    ('status = "Enabled"', 'status = "Suspended"', "test_bucket_versioned_and_private[core-ue1-root]"),
])
def test_state_backend_weakened(example_copy: Path, old: str, new: str, test: str) -> None:
    edit(example_copy / "components/terraform/tfstate-backend/main.tf", old, new)
    result = _run("test_tfstate_backend.py", example_copy)
    assert _failed_ids(result.stdout) == {test}
