"""Two real shard runs of the example's unit suite, merged, equal the report of one full run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.unit.harness.conftest import REPO, run_cli

SUITE = ["tests/unit/components"]  # with the built-in policy and contract items


def _run(tmp: Path, name: str, *extra: str) -> Path:
    report = tmp / f"{name}.json"
    proc = subprocess.run([sys.executable, "-m", "pytest", *SUITE, "-q", "-p", "no:cacheprovider", "--engine",
                           "static", "--harness-cache", str(tmp / "cache"), "--harness-report", str(report), *extra],
                          cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:]
    return report


def _essence(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    return {
        "tests": sorted((t["nodeid"], t["outcome"], t.get("stack"), t.get("component")) for t in data["tests"]),
        "instances": sorted(i["id"] if isinstance(i, dict) else i for i in data["instances"]),
        "findings": sorted(json.dumps(f, sort_keys=True) for f in data["findings"]),
        "summary": data["summary"],
    }


def test_two_shards_merged_equal_a_full_run(tmp_path: Path) -> None:
    full = _run(tmp_path, "full")
    one = _run(tmp_path, "one", "--shard", "1/2")
    two = _run(tmp_path, "two", "--shard", "2/2")
    shard_tests = [len(json.loads(p.read_text())["tests"]) for p in (one, two)]
    assert all(n > 20 for n in shard_tests), shard_tests  # both shards did real work
    merged = tmp_path / "merged.json"
    result = run_cli("report", "merge", str(merged), str(two), str(one))
    assert result.code == 0, result.err
    assert _essence(merged) == _essence(full)
    assert run_cli("gate", "--report", str(merged), "--allow-commit-mismatch").code == 0  # any checkout state
