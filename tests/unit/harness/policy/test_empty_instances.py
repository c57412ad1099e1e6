"""An instance with no planned resource is not "passed": ``harness check`` flags it as empty and every policy
of it is not applicable (the example's account-map only computes outputs)."""

from __future__ import annotations

import json
import os

from tests.unit.harness.conftest import REPO, run_cli

ENV = {**os.environ, "HARNESS_CHECKOV": "off"}


def test_an_instance_without_resources_is_flagged_empty_not_passed() -> None:
    data = json.loads(run_cli("check", "--format", "json", "--stacks", "core-ue1-root", "--base-path", str(REPO),
                              env=ENV).out)
    assert data["empty_instances"] == ["core-ue1-root/account-map"]
    results = {f"{r['stack']}/{r['component']}": r for r in data["policies"]}
    empty = results["core-ue1-root/account-map"]
    assert empty["empty"] is True and empty["passed"] == [] and empty["findings"] == []
    assert "s3.versioning" in empty["not_applicable"] and "tags.required" in empty["not_applicable"]
    backend = results["core-ue1-root/tfstate-backend"]
    assert backend["empty"] is False and "s3.versioning" in backend["passed"]
    table = run_cli("check", "--stacks", "core-ue1-root", "--base-path", str(REPO), env=ENV)
    assert table.code == 0, table.out + table.err
    assert (f"empty: core-ue1-root/account-map: no planned resource, nothing checked "
            f"({len(empty['not_applicable'])} policies not applicable, none passed)") in table.out
    assert "1 empty instance(s) (nothing planned)" in table.err + table.out
