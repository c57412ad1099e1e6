"""The generated API reference (docs/api/) is what docs/gen_api.py makes from today's docstrings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[4]
API = REPO / "docs" / "api"


def test_the_api_reference_is_up_to_date(tmp_path: Path) -> None:
    out = tmp_path / "api"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}  # a different seed than the one that wrote docs/api
    proc = subprocess.run([sys.executable, str(REPO / "docs" / "gen_api.py"), "--out", str(out)], cwd=REPO,
                          capture_output=True, text=True, timeout=300, check=False, env=env)
    assert proc.returncode == 0, proc.stderr
    fresh = {p.name: p.read_text(encoding="utf-8") for p in sorted(out.glob("*.md"))}
    committed = {p.name: p.read_text(encoding="utf-8") for p in sorted(API.glob("*.md"))}
    assert sorted(committed) == sorted(fresh), "docs/api/ lists other modules: run python docs/gen_api.py"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"docs/api/{', '.join(stale)} out of date: run python docs/gen_api.py"


def test_the_reference_covers_the_public_modules() -> None:
    index = (API / "README.md").read_text(encoding="utf-8")
    for module in ("harness.atmos", "harness.plan", "harness.engines", "harness.policy", "harness.contracts",
                   "harness.session", "harness.report"):
        assert f"[`{module}`]({module}.md)" in index
        assert (API / f"{module}.md").read_text(encoding="utf-8").startswith(f"# `{module}`\n")
    report = (API / "harness.report.md").read_text(encoding="utf-8")
    assert "#### `ReportBuilder.add_test(self, nodeid: str, *, stack: str | None" in report
