"""Helpers for the integration tests: the test Atmos repository and child deploy runs."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.atmos import Instance, Resolver
from harness.aws import Emulator, eventually
from harness.deploy import remote_state_config
from harness.tools import TerraformBinary

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CHILD = FIXTURES / "child_run.py"

PRODUCER = ("account-map", "core-ue1-root")
CONSUMER = ("account-consumer", "plat-ue1-sandbox")
ROOT_ACCOUNT = "444444444444"
SANDBOX_ACCOUNT = "888888888888"


def build_repo(dest: Path) -> Path:
    """The example repository plus the test stacks and components, components linked (never copied into)."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "atmos.yaml", dest / "atmos.yaml")
    shutil.copytree(REPO / "stacks", dest / "stacks")
    shutil.copytree(FIXTURES / "stacks", dest / "stacks", dirs_exist_ok=True)
    components = dest / "components" / "terraform"
    components.mkdir(parents=True)
    for source in [*(REPO / "components" / "terraform").iterdir(), *(FIXTURES / "components" / "terraform").iterdir()]:
        if source.is_dir():
            (components / source.name).symlink_to(source, target_is_directory=True)
    return dest


def consumer_vars(resolver: Resolver, emulator: Emulator, terraform: TerraformBinary) -> dict[str, dict[str, Any]]:
    """extra_vars for account-consumer: how to read account-map's state through terraform_remote_state."""
    producer = resolver.instance(*PRODUCER)
    return {"account-consumer": {"account_map_backend": remote_state_config(producer, emulator=emulator,
                                                                             binary=terraform)}}


def instances(resolver: Resolver) -> tuple[Instance, Instance]:
    return resolver.instance(*PRODUCER), resolver.instance(*CONSUMER)


def generated_files(folder: Path) -> list[Path]:
    """Anything a deploy could have left in a component source folder."""
    patterns = (".terraform", "harness_*.tf.json", "terraform.tfvars.json", "*.tfstate", ".terraform.lock.hcl")
    return [p for pattern in patterns for p in folder.glob(pattern)]


def _children(parent: int) -> dict[int, str]:
    found: dict[int, str] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text(encoding="utf-8").rsplit(")", 1)[1].split()
            if int(fields[1]) == parent:
                found[int(stat.parent.name)] = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
    return found


@dataclass
class ChildRun:
    """A child python process that deploys, says APPLIED, and waits to be signalled or killed."""

    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, *, repo: Path, emulator: Emulator, terraform: TerraformBinary, ledger_dir: Path,
              workdir_root: Path, extra_vars: dict[str, Any]) -> ChildRun:
        args = {"repo": str(repo), "emulator": emulator.describe(), "terraform": terraform.path,
                "ledger_dir": str(ledger_dir), "workdir_root": str(workdir_root), "extra_vars": extra_vars}
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen([sys.executable, str(CHILD), json.dumps(args)], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, env=env, cwd=REPO,
                                start_new_session=True)
        run = cls(proc)
        threading.Thread(target=run._read, daemon=True).start()
        return run

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_applied(self, timeout: float = 120.0) -> None:
        def applied() -> bool:
            if any(line.startswith("APPLIED") for line in self.lines):
                return True
            assert self.proc.poll() is None, f"child exited early ({self.proc.returncode}):\n{self.output}"
            return False

        eventually(applied, timeout=timeout, interval=0.1, message="the child run to apply")

    def children(self) -> dict[int, str]:
        """Direct child processes (pid -> command line), read from /proc."""
        return _children(self.proc.pid)

    @staticmethod
    def descendants(pid: int) -> list[int]:
        out = []
        for child in _children(pid):
            out += [child, *ChildRun.descendants(child)]
        return out

    def signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def wait(self, timeout: float = 180.0) -> int:
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        """Make sure nothing of the child is left running (its own session: the whole group)."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
