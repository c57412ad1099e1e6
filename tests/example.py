"""The example repository this project ships, copied for tests that change it or run in a copy of it."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: What a copy leaves out: Terraform's working folders and the harness's caches.
SKIPPED = (".terraform", ".harness-cache")


def copy_example(dest: Path) -> Path:
    """``atmos.yaml``, ``stacks/`` and ``components/`` of the example under ``dest`` (created if needed)."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "atmos.yaml", dest / "atmos.yaml")
    for name in ("stacks", "components"):
        shutil.copytree(REPO / name, dest / name, ignore=shutil.ignore_patterns(*SKIPPED))
    return dest
