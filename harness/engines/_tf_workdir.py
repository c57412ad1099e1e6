"""One component folder copied for real plans: local backend, the AWS provider pointed at the emulator.

Instances plan through generated roots beside the copy (see :mod:`harness.engines._tf_batch`); a root is
initialised once and reused by every batch of the same shape, and every root shares the first one's
provider lock. The source tree is never touched.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.deploy.providers import provider_override, provider_use, render
from harness.engines._sources import SKIP_DIRS
from harness.engines._tf_batch import COMPONENT_DIR, BatchMember, member_plan, root_config
from harness.errors import EvaluationError
from harness.terraform import load_module
from harness.tools.terraform import automation_env

if TYPE_CHECKING:
    from harness.aws.emulator import Emulator

BACKEND_OVERRIDE = 'terraform {\n  backend "local" {}\n}\n'
BACKEND_FILE = "harness_backend_override.tf"
LOCK_FILE = ".terraform.lock.hcl"
# Credentials and endpoints of the caller's shell that must not reach a plan against the emulator.
_CLEARED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL",
            "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "TF_WORKSPACE", "TF_DATA_DIR", "TF_CLI_ARGS",
            "TF_CLI_ARGS_plan", "TF_CLI_ARGS_init")


def clean_output(text: str, limit: int = 1500) -> str:
    """Terraform's boxed diagnostics on one line."""
    lines = [ln.strip(" │╷╵") for ln in text.splitlines()]
    return " ".join(ln for ln in lines if ln.strip())[:limit]


def _ignore(component: Path) -> object:
    def ignore(directory: str, names: list[str]) -> set[str]:
        rel = os.path.relpath(directory, component)
        if rel == ".terraform":
            return {n for n in names if n != "modules"}
        return {n for n in names if (n in SKIP_DIRS and not (rel == "." and n == ".terraform"))
                or n.endswith((".tfstate", ".tfstate.backup", ".tfplan")) or n == ".terraform.tfstate.lock.info"}

    return ignore


class ComponentCopy:
    """A component's temporary copy and the generated roots that call it; ``run`` executes terraform."""

    def __init__(self, component: Path, base: Path, binary: str, env: Mapping[str, str],
                 emulator: Emulator | None, timeout: float) -> None:
        self.component = component
        self.base = base
        self.path = base / COMPONENT_DIR
        self.binary = binary
        self.timeout = timeout
        self.uses_aws = provider_use(component).uses_aws
        self.config = load_module(component)
        env_base = automation_env(_CLEARED)
        env_base.update(env)
        if emulator is not None and self.uses_aws:
            for key, value in emulator.terraform_env().items():
                if value is None:
                    env_base.pop(key, None)
                else:
                    env_base[key] = value
        self.env = env_base
        shutil.copytree(component, self.path, ignore=_ignore(component))  # type: ignore[arg-type]
        (self.path / BACKEND_FILE).write_text(BACKEND_OVERRIDE, encoding="utf-8")
        override = provider_override(component, emulator) if self.uses_aws else None
        if override is not None:
            name, body = override
            (self.path / name).write_text(render(body), encoding="utf-8")
        self._roots: dict[str, Path] = {}
        self._root_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._provider_lock: str | None = None
        self._counter = 0
        #: How many ``terraform init`` ran for this component (one per distinct generated root).
        self.inits = 0

    def run(self, cwd: Path, *args: str, what: str, env: Mapping[str, str] | None = None) -> str:
        """Run terraform in ``cwd``; a failure is an EvaluationError naming ``what`` and the component."""
        full = {**self.env, **(env or {})}
        try:
            proc = subprocess.run([self.binary, *args], cwd=cwd, env=full, capture_output=True, text=True,
                                  timeout=self.timeout, check=False, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise EvaluationError(f"{what}: terraform {args[0]} timed out after {self.timeout:g}s",
                                  file=self.component) from None
        except OSError as exc:
            raise EvaluationError(f"{what}: cannot run {self.binary}: {exc}", file=self.component) from None
        if proc.returncode != 0:
            text = re.sub(r"\bmodule\.i\d+\.?", "", proc.stderr or proc.stdout)
            raise EvaluationError(f"{what}: terraform {args[0]} failed: {clean_output(text)}", file=self.component)
        return proc.stdout

    def root_for(self, body: Mapping[str, Any], what: str) -> Path:
        """The generated root holding ``body`` (one per distinct body), initialised once with the shared lock."""
        text = json.dumps(body, indent=2, sort_keys=True)
        key = hashlib.sha256(text.encode()).hexdigest()[:12]
        with self._lock:
            if key in self._roots:
                return self._roots[key]
            lock = self._root_locks.setdefault(key, threading.Lock())
        with lock:
            with self._lock:
                if key in self._roots:
                    return self._roots[key]
            root = self.base / f"root-{key}"
            root.mkdir(parents=True, exist_ok=True)
            (root / "main.tf.json").write_text(text + "\n", encoding="utf-8")
            if self._provider_lock is not None:
                (root / LOCK_FILE).write_text(self._provider_lock, encoding="utf-8")
            self.run(root, "init", "-input=false", "-no-color", what=what)
            with self._lock:
                self.inits += 1
                lock_file = root / LOCK_FILE
                if self._provider_lock is None and lock_file.is_file():
                    self._provider_lock = lock_file.read_text(encoding="utf-8")
                self._roots[key] = root
            return root

    def plan(self, members: Sequence[BatchMember], what: str, env: Mapping[str, str] | None = None
             ) -> list[dict[str, Any]]:
        """One ``plan -out`` + ``show -json`` for every member; the plan JSON of each, as if it were the root."""
        body, values = root_config(self.config, members)
        root = self.root_for(body, what)
        with self._lock:
            self._counter += 1
            name = f"harness-{self._counter}"
        vars_file = root / f"{name}.tfvars.json"
        plan_file = root / f"{name}.tfplan"
        vars_file.write_text(json.dumps(values, default=str), encoding="utf-8")
        try:
            self.run(root, "plan", "-input=false", "-no-color", "-lock=false", f"-var-file={vars_file.name}",
                     f"-out={plan_file.name}", what=what, env=env)
            shown = self.run(root, "show", "-no-color", "-json", plan_file.name, what=what, env=env)
        finally:
            vars_file.unlink(missing_ok=True)
            plan_file.unlink(missing_ok=True)
        try:
            data = json.loads(shown)
        except json.JSONDecodeError as exc:
            raise EvaluationError(f"{what}: terraform show -json printed invalid JSON: {exc}",
                                  file=self.component) from None
        return [member_plan(data, member, self.config) for member in members]
