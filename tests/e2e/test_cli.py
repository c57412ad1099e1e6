"""``harness verify`` on a seeded emulator: the drift table, exit 0 when compliant, exit 1 naming the drift."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli.verify import verify
from tests.e2e.conftest import E2EOptions, Worlds
from tests.e2e.drifts import vpc_no_dns_hostnames
from tests.e2e.seed import Seeder

REPO = Path(__file__).resolve().parents[2]


def test_verify_command(e2e: E2EOptions, request: pytest.FixtureRequest) -> None:
    if e2e.live:
        pytest.skip("seeds the emulator")
    worlds: Worlds = request.getfixturevalue("worlds")

    def build(seeder: Seeder) -> None:
        for inst in worlds.resolver.instances():
            if inst.stack == "plat-ue1-dev" and inst.deployable:
                seeder.seed(inst)

    seeder = worlds.load("cli-plat-ue1-dev", build)
    args = ["-s", "plat-ue1-dev", "--emulator", worlds.emulator.endpoint, "--base-path", str(REPO)]
    runner = CliRunner()

    clean = runner.invoke(verify, args, catch_exceptions=False)
    assert clean.exit_code == 0, clean.output
    assert "stack plat-ue1-dev (account 111111111111)" in clean.output
    for check in ("vpc.cidr", "security_group.rules.ingress", "iam_role.trust_principals", "budgets.limit"):
        assert check in clean.output
    assert " 0 drift" in clean.output and "DRIFT:" not in clean.output

    vpc = worlds.resolver.instance("vpc", "plat-ue1-dev")
    worlds.current = None  # the world changes below: no later test may reuse it
    vpc_no_dns_hostnames(seeder, vpc, seeder.inputs(vpc), seeder.outputs[vpc.id])
    drifted = runner.invoke(verify, args, catch_exceptions=False)
    assert drifted.exit_code == 1, drifted.output
    assert "vpc.dns" in drifted.output and "FAIL" in drifted.output
    drift = drifted.output.split("DRIFT:", 1)[1]
    assert "plat-ue1-dev vpc vpc.dns:" in drift
    assert 'expected: {"hostnames": true, "support": true}' in drift
    assert 'actual:   {"hostnames": false, "support": true}' in drift

    as_json = runner.invoke(verify, [*args, "--component", "vpc", "--format", "json"], catch_exceptions=False)
    assert as_json.exit_code == 1
    data = json.loads(as_json.output)
    assert data["summary"]["fail"] == 1
    [failed] = [r for i in data["instances"] for r in i["results"] if r["status"] == "fail"]
    assert failed == {"check": "vpc.dns", "status": "fail", "expected": {"hostnames": True, "support": True},
                      "actual": {"hostnames": False, "support": True}}


def test_verify_needs_a_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HARNESS_AWS_ENDPOINT", raising=False)
    result = CliRunner().invoke(verify, ["-s", "plat-ue1-dev", "--base-path", str(REPO)])
    assert result.exit_code != 0
    assert "--emulator URL" in str(result.exception)
