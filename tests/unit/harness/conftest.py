"""Helpers for the harness's own tests: small real Atmos repositories on disk and the real CLI."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> CliResult:
    """Run the real `harness` CLI in a child process."""
    proc = subprocess.run([sys.executable, "-m", "harness", *args], cwd=cwd or REPO, capture_output=True,
                          text=True, env=env, timeout=300, check=False)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


WriteRepo = Callable[[dict[str, str]], Path]

DEFAULT_ATMOS_YAML = """\
base_path: "."
components:
  terraform:
    base_path: components/terraform
stacks:
  base_path: stacks
  included_paths: ["orgs/**/*"]
  excluded_paths: ["**/_defaults.yaml"]
  name_pattern: "{tenant}-{environment}-{stage}"
"""


@pytest.fixture
def write_repo(tmp_path: Path) -> WriteRepo:
    """Write files (path -> YAML/HCL text) into a fresh repository; atmos.yaml has a default."""

    def write(files: dict[str, str]) -> Path:
        all_files = {"atmos.yaml": DEFAULT_ATMOS_YAML, **files}
        for rel, text in all_files.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
        return tmp_path

    return write
