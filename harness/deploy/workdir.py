"""A temporary, initialised copy of one component for one instance, and terraform runs in it.

The source tree is never touched: the component is copied, the backend (and, against an emulator,
the AWS provider) is pointed where the harness wants through generated ``*.tf.json`` files, and the
instance's inputs go to ``terraform.tfvars.json``. Everything needed to rebuild the copy lives in a
JSON-ready :class:`WorkdirSpec`, so a later process (``cleanup``) can destroy what a crashed run left.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.deploy.backend import BackendRef, backend_config, s3_backend
from harness.deploy.providers import folder_stamp, provider_override, render
from harness.errors import HarnessError
from harness.terraform import load_module
from harness.terraform.hcl import HclSyntaxError, loads
from harness.tools.providers import provider_env
from harness.tools.terraform import TerraformBinary, automation_env, satisfies

if TYPE_CHECKING:
    from harness.atmos import Instance
    from harness.aws.emulator import Emulator

TFVARS = "terraform.tfvars.json"
BACKEND_FILE = "harness_backend.tf.json"
BACKEND_OVERRIDE_FILE = "harness_backend_override.tf.json"
_SKIP_TOP = {".terraform", "terraform.tfstate.d", "backend.tf.json", ".git"}
_CLEAR_ENV = ("TF_WORKSPACE", "TF_DATA_DIR", "TF_CLI_ARGS", "TF_CLI_ARGS_init", "TF_CLI_ARGS_plan",
              "TF_CLI_ARGS_apply", "TF_CLI_ARGS_destroy", "TF_LOG", "TF_LOG_PATH")
_LOCK_FIELD = re.compile(r"^\s*(ID|Path|Operation|Who|Version|Created|Info):\s*(.*)$")
INTERRUPT_GRACE = 60.0


class TerraformError(HarnessError):
    """A terraform command failed; the message names the instance, the command and terraform's error."""

    def __init__(self, message: str, *, instance_id: str, command: str, returncode: int | None, output: str,
                 file: str | Path | None = None) -> None:
        super().__init__(message, file=file)
        self.instance_id = instance_id
        self.command = command
        self.returncode = returncode
        self.output = output


class StateLockedError(TerraformError):
    """The state is locked by someone else; ``holder`` has terraform's Lock Info (Who, Operation, Created ...)."""

    holder: dict[str, str]


def clean_output(text: str, limit: int = 1500) -> str:
    """Terraform's error box without the box: one line, bounded."""
    lines = [ln.strip(" │╷╵") for ln in text.splitlines()]
    return " ".join(ln for ln in lines if ln.strip())[:limit]


def parse_lock_info(text: str) -> dict[str, str]:
    """The ``Lock Info:`` block terraform prints when it cannot take a lock."""
    info: dict[str, str] = {}
    inside = False
    for line in text.splitlines():
        stripped = line.strip(" │╷╵")
        if stripped.startswith("Lock Info:"):
            inside = True
            continue
        if inside:
            match = _LOCK_FIELD.match(stripped)
            if match:
                info[match.group(1)] = match.group(2).strip()
            elif info and stripped.strip():
                break
    return info


@dataclass
class RunResult:
    """One finished terraform command."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str


@dataclass
class WorkdirSpec:
    """Everything needed to (re)build an instance's working copy: JSON-ready, so the ledger can hold it."""

    instance_id: str
    stack: str
    component: str
    component_path: str
    workspace: str
    backend: BackendRef
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str | None] = field(default_factory=dict)
    emulator: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"instance_id": self.instance_id, "stack": self.stack, "component": self.component,
                "component_path": self.component_path, "workspace": self.workspace,
                "backend": self.backend.to_json(), "files": self.files, "variables": self.variables,
                "env": self.env, "emulator": self.emulator}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WorkdirSpec:
        return cls(instance_id=str(data["instance_id"]), stack=str(data["stack"]), component=str(data["component"]),
                   component_path=str(data["component_path"]), workspace=str(data["workspace"]),
                   backend=BackendRef.from_json(data["backend"]), files=dict(data.get("files") or {}),
                   variables=dict(data.get("variables") or {}), env=dict(data.get("env") or {}),
                   emulator=data.get("emulator"))


_BACKEND_CACHE: dict[tuple[str, tuple[tuple[str, int, int], ...]], bool] = {}


def _has_backend_block(folder: Path) -> bool:
    """Does the component declare its own ``backend`` block (then the harness writes an override)?"""
    stamp = folder_stamp(folder)
    if stamp not in _BACKEND_CACHE:
        _BACKEND_CACHE[stamp] = _parse_backend_block(folder)
    return _BACKEND_CACHE[stamp]


def _parse_backend_block(folder: Path) -> bool:
    for file in folder.glob("*.tf"):
        if "backend" not in file.read_text(encoding="utf-8", errors="replace"):
            continue
        if file.name == "override.tf" or file.name.endswith("_override.tf"):
            continue
        try:
            data = loads(file.read_text(encoding="utf-8"), str(file))
        except (HclSyntaxError, UnicodeDecodeError):  # a syntax error surfaces at init with terraform's message
            continue
        for block in data.get("terraform") or []:
            if isinstance(block, dict) and block.get("backend"):
                return True
    return False


def spec_for(instance: Instance, variables: Mapping[str, Any], *, emulator: Emulator | None,
             binary: TerraformBinary) -> WorkdirSpec:
    """The spec of ``instance`` with resolved ``variables``, for ``emulator`` (None: real AWS)."""
    backend = backend_config(s3_backend(instance), emulator=emulator, binary=binary)
    component_path = Path(instance.component_path)
    if not component_path.is_dir():
        raise HarnessError(f"{instance.id}: component folder {component_path} does not exist",
                           file=instance.stack_file_path)
    required = load_module(component_path).required_version
    if required and not satisfies(binary.version, required):
        raise HarnessError(f"{instance.id}: the component requires Terraform {required}; {binary} does not satisfy it",
                           file=component_path / "versions.tf")
    name = BACKEND_OVERRIDE_FILE if _has_backend_block(component_path) else BACKEND_FILE
    files: dict[str, dict[str, Any]] = {name: {"terraform": {"backend": {"s3": backend}}}}
    provider = provider_override(component_path, emulator)
    if provider is not None:
        files[provider[0]] = provider[1]
    return WorkdirSpec(instance_id=instance.id, stack=instance.stack, component=instance.component,
                       component_path=str(component_path), workspace=instance.workspace or "default",
                       backend=BackendRef.from_instance(instance), files=files,
                       variables=json.loads(json.dumps(dict(variables), default=str)),
                       env=emulator.terraform_env() if emulator is not None else {},
                       emulator=emulator.describe() if emulator is not None else None)


def _ignore(root: Path) -> Any:
    def ignore(directory: str, names: list[str]) -> set[str]:
        top = Path(directory).resolve() == root
        skipped = set()
        for name in names:
            generated = name.endswith((".tfstate", ".tfstate.backup", ".planfile", ".terraform.tfvars.json"))
            if name in (".terraform", ".git") or (top and name in _SKIP_TOP) or generated:
                skipped.add(name)
        return skipped

    return ignore


class _Deferral:
    """Signals that arrived while a child process was being started (see ``signals_deferred``)."""

    def __init__(self) -> None:
        self.depth = 0
        self.pending: list[int] = []
        self.lock = threading.Lock()


DEFERRAL = _Deferral()


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold back SIGINT/SIGTERM handling while a child starts, so none runs without a handle to stop it.

    ``Deployment``'s handlers record a signal here instead of raising while ``DEFERRAL.depth`` is set;
    it is re-raised (the handler runs again) as soon as the block ends.
    """
    with DEFERRAL.lock:
        DEFERRAL.depth += 1
    try:
        yield
    finally:
        with DEFERRAL.lock:
            DEFERRAL.depth -= 1
            signum = DEFERRAL.pending[0] if DEFERRAL.depth == 0 and DEFERRAL.pending else None
            if signum is not None:
                DEFERRAL.pending.clear()
        if signum is not None:
            signal.raise_signal(signum)


def _stop(proc: subprocess.Popen[str]) -> None:
    """Ask terraform to stop the way Ctrl-C does (it releases its lock), then insist."""
    if proc.poll() is not None:
        return
    try:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)
        proc.communicate(timeout=INTERRUPT_GRACE)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            proc.communicate(timeout=30)
        raise


class Workdir:
    """An initialised copy of a component for one instance; runs terraform in it."""

    def __init__(self, spec: WorkdirSpec, binary: TerraformBinary, *, path: Path | None = None,
                 root: Path | None = None, plugin_cache: Path | None = None, timeout: float = 900.0) -> None:
        self.spec = spec
        self.binary = binary
        self.timeout = timeout
        self.plugin_cache = plugin_cache
        if path is None:
            base = Path(tempfile.mkdtemp(prefix="harness-deploy-", dir=root))
            path = base / Path(spec.component_path).name
        self.path = Path(path)
        self.ready = False
        self._running: subprocess.Popen[str] | None = None
        self._cli_env: dict[str, str] | None = None

    # -- files --------------------------------------------------------------------------------------
    def prepare(self, *, lock_timeout: str = "60s") -> Workdir:
        """Copy (or reuse) the component, write the generated files and inputs, init, select the workspace."""
        source = Path(self.spec.component_path).resolve()
        if not (self.path / ".terraform").is_dir():
            if self.path.exists():
                shutil.rmtree(self.path)
            if not source.is_dir():
                raise HarnessError(f"{self.spec.instance_id}: component folder {source} does not exist")
            shutil.copytree(source, self.path, ignore=_ignore(source))
        self.write_files()
        self.init()
        self.select_workspace(lock_timeout=lock_timeout)
        self.ready = True
        return self

    def write_files(self) -> None:
        """The generated backend/provider files and ``terraform.tfvars.json``."""
        for name, body in self.spec.files.items():
            (self.path / name).write_text(render(body), encoding="utf-8")
        (self.path / TFVARS).write_text(json.dumps(self.spec.variables, indent=2, sort_keys=True) + "\n",
                                        encoding="utf-8")

    def remove(self) -> None:
        """Delete the copy (and its temporary parent folder when that is ours)."""
        parent = self.path.parent
        shutil.rmtree(self.path, ignore_errors=True)
        if parent.name.startswith("harness-deploy-"):
            shutil.rmtree(parent, ignore_errors=True)

    # -- running -----------------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        env = automation_env(_CLEAR_ENV)
        # The user's TF_LOG is cleared (it would flood the captured output); HARNESS_TF_LOG[_PATH] turn it on
        # for the harness's own terraform runs, e.g. to see where an apply waits.
        for name in ("TF_LOG", "TF_LOG_PATH"):
            if os.environ.get(f"HARNESS_{name}"):
                env[name] = os.environ[f"HARNESS_{name}"]
        if self.plugin_cache is not None:
            self.plugin_cache.mkdir(parents=True, exist_ok=True)
            env["TF_PLUGIN_CACHE_DIR"] = str(self.plugin_cache)
        env.update(self._provider_env())
        for key, value in self.spec.env.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def _provider_env(self) -> dict[str, str]:
        """``TF_CLI_CONFIG_FILE`` naming the provider mirrors found here, written once next to the copy."""
        if self._cli_env is None or not Path(self._cli_env["TF_CLI_CONFIG_FILE"]).is_file():
            folder = self.path.parent if self.path.parent.name.startswith("harness-deploy-") else self.path
            self._cli_env = provider_env(folder, workdir=self.path)
        return self._cli_env

    def command(self, *args: str) -> list[str]:
        return [self.binary.path, *args]

    def popen(self, *args: str, **kwargs: Any) -> subprocess.Popen[str]:
        """Start a terraform command in its own process group (tests use it to hold a lock)."""
        kwargs.setdefault("stdout", subprocess.PIPE)
        kwargs.setdefault("stderr", subprocess.STDOUT)
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        return subprocess.Popen(self.command(*args), cwd=self.path, env=self.env(), text=True, process_group=0,
                                **kwargs)

    def run(self, *args: str, timeout: float | None = None, check: bool = True) -> RunResult:
        """Run terraform; on interruption forward SIGINT to it and wait, so it unlocks the state."""
        limit = timeout or self.timeout
        proc: subprocess.Popen[str] | None = None
        try:
            with signals_deferred():
                proc = self._running = self.popen(*args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            out, err = proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            assert proc is not None
            _stop(proc)
            raise self._error(args, None, f"timed out after {limit:g}s", "") from None
        except BaseException:
            if proc is not None:
                _stop(proc)
            raise
        finally:
            self._running = None
        result = RunResult(list(args), proc.returncode, out or "", err or "")
        if check and result.returncode != 0:
            raise self._error(args, result.returncode, result.stderr or result.stdout, result.stdout)
        return result

    def interrupt(self) -> None:
        """Ask the running terraform command (if any) to stop as Ctrl-C does: it finishes its step and unlocks."""
        proc = self._running
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGINT)

    def _error(self, args: tuple[str, ...] | list[str], code: int | None, text: str, stdout: str) -> TerraformError:
        command = " ".join(a for a in args if not a.startswith("-")) or "terraform"
        where = self.spec.component_path
        if "Error acquiring the state lock" in text:
            holder = parse_lock_info(text)
            who = holder.get("Who", "?")
            message = (f"{self.spec.instance_id}: terraform {command}: the state is locked by {who} "
                       f"({holder.get('Operation', '?')} since {holder.get('Created', '?')}, lock ID "
                       f"{holder.get('ID', '?')}); the harness never breaks locks: wait, or after checking that "
                       f"the holder is gone run `terraform force-unlock {holder.get('ID', '<ID>')}`")
            locked = StateLockedError(message, instance_id=self.spec.instance_id, command=command, returncode=code,
                                      output=text, file=where)
            locked.holder = holder
            return locked
        return TerraformError(f"{self.spec.instance_id}: terraform {command} failed: {clean_output(text)}",
                              instance_id=self.spec.instance_id, command=command, returncode=code,
                              output=text + stdout, file=where)

    # -- commands ----------------------------------------------------------------------------------
    def init(self) -> None:
        self.run("init", "-input=false", "-no-color", "-reconfigure")

    def select_workspace(self, *, lock_timeout: str = "60s") -> None:
        workspace = self.spec.workspace
        if workspace == "default":
            return
        if self.run("workspace", "select", "-no-color", workspace, check=False).returncode != 0:
            self.run("workspace", "new", "-no-color", f"-lock-timeout={lock_timeout}", workspace)

    def apply(self, *, lock_timeout: str = "60s", extra: tuple[str, ...] = ()) -> RunResult:
        return self.run("apply", "-auto-approve", "-input=false", "-no-color", f"-lock-timeout={lock_timeout}",
                        *extra)

    def destroy(self, *, lock_timeout: str = "60s") -> RunResult:
        return self.run("destroy", "-auto-approve", "-input=false", "-no-color", f"-lock-timeout={lock_timeout}")

    def outputs(self) -> dict[str, Any]:
        """``terraform output -json`` as ``{name: value}``."""
        result = self.run("output", "-json", "-no-color")
        try:
            data = json.loads(result.stdout or "{}")
        except json.JSONDecodeError as exc:
            raise HarnessError(f"{self.spec.instance_id}: terraform output -json printed invalid JSON: {exc}") from None
        return {name: entry.get("value") for name, entry in data.items() if isinstance(entry, dict)}
