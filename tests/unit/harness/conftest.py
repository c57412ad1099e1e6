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


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    """A private copy of the example repository (atmos.yaml, stacks/, components/) to break on purpose."""
    import shutil

    dest = tmp_path / "example"
    dest.mkdir()
    shutil.copy2(REPO / "atmos.yaml", dest / "atmos.yaml")
    shutil.copytree(REPO / "stacks", dest / "stacks")
    shutil.copytree(REPO / "components", dest / "components",
                    ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", ".terraform.lock.hcl"))
    return dest


def edit(path: Path, old: str, new: str) -> None:
    """Replace one exact snippet in a file (fails loudly if the snippet is not there)."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))
