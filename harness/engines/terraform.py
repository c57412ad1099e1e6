"""The terraform engine: a real ``terraform plan`` + ``show -json``, driven through tftest.

The component is copied to a temporary folder (the source tree is never touched), an
``_override.tf`` replaces the backend with a local one, and ``init`` runs once per
component directory with a shared ``TF_PLUGIN_CACHE_DIR``; each instance then runs
``plan -out`` with its variables in a ``.tfvars.json`` and ``show -json``, parsed by the
recorded loader. Works with terraform and tofu.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import tftest

from harness.engines._sources import SKIP_DIRS, iter_nodes, module_tree
from harness.engines.base import PlanRequest
from harness.engines.recorded import plan_from_json
from harness.errors import EvaluationError, HarnessError
from harness.plan import Plan
from harness.tools.terraform import find_terraform, terraform_binary

BACKEND_OVERRIDE = 'terraform {\n  backend "local" {}\n}\n'


def find_binary(explicit: str | os.PathLike[str] | None = None) -> str | None:
    """:func:`harness.tools.terraform.find_terraform`, or None when there is no usable binary (``auto``
    then stays static)."""
    try:
        return find_terraform(explicit)
    except HarnessError:
        return None


def binary_version(binary: str) -> str:
    """``terraform version`` as a string like ``terraform 1.0.3`` (cached per binary path)."""
    try:
        found = terraform_binary(binary)
    except HarnessError as exc:
        raise EvaluationError(str(exc)) from None
    return f"{found.name} {found.version}"


def required_providers(component_dir: Path) -> set[str]:
    """Provider source addresses (``hashicorp/aws``) the component and its local modules need."""
    tree = module_tree(Path(component_dir))
    out: set[str] = set()
    for node in iter_nodes(tree):
        source = node.source
        if source is None:
            continue
        named = dict(source.providers)
        for type_, _ in list(source.resources) + list(source.data):
            local = type_.split("_", 1)[0]
            if type_ == "terraform_data" or local == "terraform":
                continue
            out.add(named.get(local, f"hashicorp/{local}"))
        out.update(named.values())
    return {p if p.count("/") >= 2 else f"registry.terraform.io/{p}" for p in out}


def _provider_dirs() -> list[Path]:
    dirs = []
    cache = os.environ.get("TF_PLUGIN_CACHE_DIR")
    if cache:
        dirs.append(Path(cache))
    home = Path.home()
    dirs += [home / ".terraform.d" / "plugins", home / ".local" / "share" / "terraform" / "plugins",
             Path("/usr/local/share/terraform/plugins"), Path("/usr/share/terraform/plugins")]
    return dirs


def terraform_usable(binary: str | None, component_dir: str | Path) -> tuple[bool, str]:
    """Can ``binary`` plan this component here without downloading anything? (answer, reason)."""
    if not binary:
        return False, "no terraform or tofu binary (set HARNESS_TERRAFORM or put one on PATH)"
    try:
        version = binary_version(binary)
    except EvaluationError as exc:
        return False, exc.message
    try:
        needed = required_providers(Path(component_dir))
    except EvaluationError as exc:
        return False, f"cannot read the component: {exc.message}"
    local = [Path(component_dir) / ".terraform" / "providers", *_provider_dirs()]
    missing = sorted(p for p in needed if not any((d / p).is_dir() for d in local))
    if missing:
        return False, (f"{version} found, but provider(s) {', '.join(missing)} are not available offline "
                       "(no plugin cache or filesystem mirror holds them)")
    return True, f"{version}, providers available offline ({len(needed)})"


class TerraformEngine:
    """``terraform``: real plans through tftest, parsed by the recorded loader."""

    name = "terraform"

    def __init__(self, binary: str | os.PathLike[str] | None = None, *, plugin_cache: Path | None = None,
                 workdir: Path | None = None) -> None:
        try:
            found = terraform_binary(binary)
        except HarnessError as exc:
            raise EvaluationError(str(exc)) from None
        self.binary = found.path
        self.version = f"{found.name} {found.version}"
        self._tmp = Path(tempfile.mkdtemp(prefix="harness-terraform-", dir=workdir))
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(self._tmp), True)
        self.plugin_cache = plugin_cache or Path(os.environ.get("TF_PLUGIN_CACHE_DIR") or self._tmp / "plugin-cache")
        self.plugin_cache.mkdir(parents=True, exist_ok=True)
        self._inited: dict[str, tftest.TerraformTest] = {}
        self._lock = threading.Lock()
        self._counter = 0

    def close(self) -> None:
        """Remove the temporary copies."""
        self._finalizer()

    def __enter__(self) -> TerraformEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _env(self, request: PlanRequest) -> dict[str, str]:
        env = {"TF_PLUGIN_CACHE_DIR": str(self.plugin_cache), "TF_IN_AUTOMATION": "1",
               "CHECKPOINT_DISABLE": "1", "TF_INPUT": "0"}
        env.update(request.env)
        return env

    def _workspace(self, request: PlanRequest) -> tftest.TerraformTest:
        component = Path(request.component_dir).resolve()
        key = str(component)
        with self._lock:
            tf = self._inited.get(key)
            if tf is not None:
                return tf
            copy = self._tmp / f"c{len(self._inited)}" / component.name

            def ignore(directory: str, names: list[str]) -> set[str]:
                rel = os.path.relpath(directory, component)
                if rel == ".terraform":
                    return {n for n in names if n != "modules"}
                return {n for n in names if (n in SKIP_DIRS and not (rel == "." and n == ".terraform"))
                        or n.endswith(".tfstate") or n.endswith(".tfstate.backup")}

            shutil.copytree(component, copy, ignore=ignore)
            (copy / "_override.tf").write_text(BACKEND_OVERRIDE, encoding="utf-8")
            tf = tftest.TerraformTest(str(copy), binary=self.binary, env=self._env(request),
                                      cache_dir=str(self._tmp / "tftest-cache"))
            try:
                tf.execute_command("init", "-input=false", "-no-color")
            except tftest.TerraformTestError as exc:
                raise EvaluationError(f"{request.instance_id}: terraform init failed: {_clean(exc)}",
                                      file=request.component_dir) from None
            self._inited[key] = tf
            return tf

    def plan(self, request: PlanRequest) -> Plan:
        """init (once per component directory), plan -out, show -json."""
        tf = self._workspace(request)
        with self._lock:
            self._counter += 1
            n = self._counter
        vars_file = self._tmp / f"vars-{n}.tfvars.json"
        vars_file.write_text(json.dumps(dict(request.variables), default=str), encoding="utf-8")
        plan_file = self._tmp / f"plan-{n}.tfplan"
        args = ["-input=false", "-no-color", "-lock=false", f"-var-file={vars_file}", f"-out={plan_file}"]
        try:
            tf.execute_command("plan", *args)
            shown = tf.execute_command("show", "-no-color", "-json", str(plan_file))
        except tftest.TerraformTestError as exc:
            raise EvaluationError(f"{request.instance_id}: terraform plan failed: {_clean(exc)}",
                                  file=request.component_dir) from None
        try:
            data: Any = json.loads(shown.out)
        except json.JSONDecodeError as exc:
            raise EvaluationError(f"{request.instance_id}: terraform show -json printed invalid JSON: {exc}",
                                  file=request.component_dir) from None
        return plan_from_json(data, stack=request.stack, component=request.component, engine="terraform",
                              file=request.component_dir)

    def plan_many(self, requests: Sequence[PlanRequest]) -> list[Plan | Exception]:
        """Plan each request in turn; failures are returned, not raised."""
        out: list[Plan | Exception] = []
        for request in requests:
            try:
                out.append(self.plan(request))
            except EvaluationError as exc:
                out.append(exc)
        return out


def _clean(exc: tftest.TerraformTestError) -> str:
    text = str(exc.args[0] if exc.args else exc)
    lines = [ln.strip(" │╷╵") for ln in text.splitlines()]
    keep = [ln for ln in lines if ln.strip()]
    return " ".join(keep)[:1500]
