"""Where Terraform providers come from, with no hand setup: mirrors found in a fixed order, one CLI config per run.

Order (first hit wins for a provider):

1. ``HARNESS_TF_PLUGIN_DIR`` (``os.pathsep``-separated folders);
2. the user's CLI config (``TF_CLI_CONFIG_FILE``, else ``~/.terraformrc``): its ``provider_installation``
   ``filesystem_mirror`` paths and ``plugin_cache_dir`` (a file named by ``TF_CLI_CONFIG_FILE`` that does
   not exist is the same as no file);
3. ``TF_PLUGIN_CACHE_DIR``;
4. Terraform's implied local mirror folders (``terraform.d/plugins`` in the working directory,
   ``~/.terraform.d/plugins``, ``$XDG_DATA_HOME/terraform/plugins``, ``$XDG_DATA_DIRS/terraform/plugins``);
5. shared locations: a depth-limited scan of ``/opt``, ``/srv``, ``/usr/local/share`` (or
   ``HARNESS_TF_MIRROR_ROOTS``) for a folder holding a registry host folder such as ``registry.terraform.io``;
6. the registry itself (``direct``), for users with a network.

:func:`cli_config_for_run` writes a CLI config naming these mirrors into a temporary folder of the run; it
is passed to terraform as ``TF_CLI_CONFIG_FILE``; the user's own files are never written.
"""

from __future__ import annotations

import json
import os
import platform
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

REGISTRY_HOSTS = ("registry.terraform.io", "registry.opentofu.org")
SHARED_ROOTS = ("/opt", "/srv", "/usr/local/share")
SHARED_SCAN_DEPTH = 3
RUN_CONFIG_NAME = "harness.tfrc"

_ZIP = re.compile(r"^terraform-provider-(?P<type>[^_]+)_(?P<version>[^_]+)_(?P<target>[a-z0-9]+_[a-z0-9]+)\.zip$")


def platform_target() -> str:
    """This machine's provider platform, e.g. ``linux_amd64``."""
    system = platform.system().lower() or "linux"
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "i386": "386",
            "i686": "386", "armv7l": "arm"}.get(machine, machine)
    return f"{system}_{arch}"


def provider_address(source: str) -> str:
    """``hashicorp/aws`` -> ``registry.terraform.io/hashicorp/aws`` (a full address is kept)."""
    source = source.strip().lower()
    return source if source.count("/") >= 2 else f"registry.terraform.io/{source}"


@dataclass(frozen=True)
class ProviderMirror:
    """A folder in Terraform's filesystem-mirror layout (``HOST/NAMESPACE/TYPE/...``) and why it is searched."""

    path: Path
    origin: str

    def versions(self, source: str, target: str | None = None) -> tuple[str, ...]:
        """Versions of ``source`` this folder holds for ``target`` (unpacked or packed layout), newest first."""
        target = target or platform_target()
        folder = self.path / provider_address(source)
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return ()
        found: set[str] = set()
        for entry in entries:
            if entry.is_dir() and (Path(entry.path) / target).is_dir():
                found.add(entry.name)
                continue
            match = _ZIP.match(entry.name)
            if match and match.group("target") == target:
                found.add(match.group("version"))
        return tuple(sorted(found, key=_version_key, reverse=True))

    def providers(self, target: str | None = None) -> list[str]:
        """Every provider address the folder holds for ``target``."""
        out = []
        for host in _subdirs(self.path):
            for namespace in _subdirs(host):
                for type_ in _subdirs(namespace):
                    address = f"{host.name}/{namespace.name}/{type_.name}"
                    if self.versions(address, target):
                        out.append(address)
        return sorted(out)


@dataclass(frozen=True)
class UserCliConfig:
    """What the harness reads of the user's CLI config file (it never writes it)."""

    path: Path | None
    text: str = ""
    mirrors: tuple[Path, ...] = ()
    plugin_cache_dir: Path | None = None
    has_installation: bool = False
    has_direct: bool = True
    network_mirrors: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProviderSearch:
    """The ordered mirrors, the user's config, and the answer per provider."""

    mirrors: tuple[ProviderMirror, ...]
    user_config: UserCliConfig
    registry: bool = True

    def find(self, source: str, constraint: str = "") -> ProviderMirror | None:
        """The first mirror holding ``source`` in a version meeting ``constraint``, else None."""
        from harness.tools.terraform import satisfies

        for mirror in self.mirrors:
            versions = mirror.versions(source)
            if versions and (not constraint or any(satisfies(v, constraint) for v in versions)):
                return mirror
        return None

    def describe(self, source: str, constraint: str = "") -> tuple[bool, str]:
        """(available offline, one line why) for one provider."""
        mirror = self.find(source, constraint)
        wanted = provider_address(source) + (f" {constraint}" if constraint else "")
        if mirror is not None:
            return True, f"{wanted} in {mirror.path} ({mirror.origin})"
        searched = ", ".join(m.origin for m in self.mirrors) or "no mirror folder exists"
        return False, (f"{wanted} is in no local mirror (searched: {searched}); only the registry could "
                       "provide it")


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", version)[:3])


def _subdirs(path: Path) -> list[Path]:
    try:
        return [Path(e.path) for e in os.scandir(path) if e.is_dir()]
    except OSError:
        return []


def _env_dirs(name: str, env: Mapping[str, str]) -> list[Path]:
    return [Path(p).expanduser() for p in (env.get(name) or "").split(os.pathsep) if p]


def user_cli_config_path(env: Mapping[str, str] | None = None) -> Path | None:
    """``TF_CLI_CONFIG_FILE`` when set (None when that file does not exist), else ``~/.terraformrc``."""
    env = os.environ if env is None else env
    named = env.get("TF_CLI_CONFIG_FILE")
    if named:
        path = Path(named).expanduser()
        return path if path.is_file() else None
    home = Path(env.get("HOME") or Path.home())
    for candidate in (home / ".terraformrc", Path(env.get("APPDATA") or home) / "terraform.rc"):
        if candidate.is_file():
            return candidate
    return None


_BLOCK = re.compile(r"\bprovider_installation\s*\{")
_MIRROR = re.compile(r"filesystem_mirror\s*\{[^{}]*?\bpath\s*=\s*\"([^\"]+)\"", re.S)
_NETWORK = re.compile(r"network_mirror\s*\{[^{}]*?\burl\s*=\s*\"([^\"]+)\"", re.S)
_CACHE = re.compile(r"^\s*plugin_cache_dir\s*=\s*\"([^\"]+)\"", re.M)


def _block_span(text: str) -> tuple[int, int] | None:
    """Start and end of the ``provider_installation { ... }`` block (braces matched, strings skipped)."""
    match = _BLOCK.search(text)
    if match is None:
        return None
    depth, i, quoted = 0, match.end() - 1, False
    while i < len(text):
        char = text[i]
        if quoted:
            if char == "\\":
                i += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return match.start(), i + 1
        i += 1
    return match.start(), len(text)


def read_user_cli_config(env: Mapping[str, str] | None = None) -> UserCliConfig:
    """The user's CLI config: its filesystem mirrors, plugin cache and whether it allows the registry."""
    path = user_cli_config_path(env)
    if path is None:
        return UserCliConfig(path=None)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return UserCliConfig(path=None)
    cache = _CACHE.search(text)
    span = _block_span(text)
    block = text[span[0]:span[1]] if span else ""
    return UserCliConfig(
        path=path, text=text,
        mirrors=tuple(Path(p).expanduser() for p in _MIRROR.findall(block)),
        plugin_cache_dir=Path(cache.group(1)).expanduser() if cache else None,
        has_installation=span is not None,
        has_direct=span is None or re.search(r"\bdirect\s*\{", block) is not None,
        network_mirrors=tuple(_NETWORK.findall(block)),
    )


def implied_mirror_dirs(workdir: Path | None = None, env: Mapping[str, str] | None = None) -> list[Path]:
    """Terraform's implied local mirror folders, in Terraform's own order (Unix; ``%APPDATA%`` on Windows)."""
    env = os.environ if env is None else env
    home = Path(env.get("HOME") or Path.home())
    dirs = [Path(workdir or Path.cwd()) / "terraform.d" / "plugins"]
    if os.name == "nt":
        dirs.append(Path(env.get("APPDATA") or home) / "terraform.d" / "plugins")
        return dirs
    dirs.append(home / ".terraform.d" / "plugins")
    data_home = Path(env["XDG_DATA_HOME"]) if env.get("XDG_DATA_HOME") else home / ".local" / "share"
    dirs.append(data_home / "terraform" / "plugins")
    data_dirs = [Path(p) for p in (env.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share").split(":") if p]
    dirs += [d / "terraform" / "plugins" for d in data_dirs]
    return dirs


_shared_lock = threading.Lock()
_shared_cache: dict[tuple[str, ...], tuple[Path, ...]] = {}


def shared_mirror_dirs(roots: Iterable[str | Path] | None = None, depth: int = SHARED_SCAN_DEPTH) -> list[Path]:
    """Folders under well-known shared roots that hold a registry host folder (cached per process)."""
    if roots is None:
        named = os.environ.get("HARNESS_TF_MIRROR_ROOTS")
        roots = named.split(os.pathsep) if named else SHARED_ROOTS
    key = (*(str(r) for r in roots), str(depth))
    with _shared_lock:
        if key in _shared_cache:
            return list(_shared_cache[key])
    found: list[Path] = []

    def walk(folder: Path, left: int) -> None:
        children = sorted(_subdirs(folder))
        if any(c.name in REGISTRY_HOSTS for c in children):
            found.append(folder)
            return
        if left > 0:
            for child in children:
                if not child.name.startswith(".") and not child.is_symlink():
                    walk(child, left - 1)

    for root in key[:-1]:
        if root and Path(root).is_dir():
            walk(Path(root), depth - 1)
    with _shared_lock:
        _shared_cache[key] = tuple(found)
    return found


def provider_search(workdir: Path | None = None, env: Mapping[str, str] | None = None) -> ProviderSearch:
    """Every mirror folder that exists, in the documented order, with the user's CLI config."""
    env = os.environ if env is None else env
    user = read_user_cli_config(env)
    candidates: list[tuple[Path, str]] = [(p, "HARNESS_TF_PLUGIN_DIR") for p in _env_dirs("HARNESS_TF_PLUGIN_DIR", env)]
    where = str(user.path) if user.path else ""
    candidates += [(p, f"filesystem_mirror of {where}") for p in user.mirrors]
    if user.plugin_cache_dir is not None:
        candidates.append((user.plugin_cache_dir, f"plugin_cache_dir of {where}"))
    candidates += [(p, "TF_PLUGIN_CACHE_DIR") for p in _env_dirs("TF_PLUGIN_CACHE_DIR", env)]
    candidates += [(p, "implied local mirror") for p in implied_mirror_dirs(workdir, env)]
    candidates += [(p, "shared location") for p in shared_mirror_dirs()]
    seen: set[str] = set()
    mirrors = []
    for path, origin in candidates:
        resolved = str(path.resolve()) if path.exists() else ""
        if not resolved or resolved in seen or not path.is_dir():
            continue
        seen.add(resolved)
        mirrors.append(ProviderMirror(path=path, origin=origin))
    return ProviderSearch(mirrors=tuple(mirrors), user_config=user, registry=user.has_direct)


def find_providers(sources: Iterable[str], *, workdir: Path | None = None,
                   search: ProviderSearch | None = None) -> dict[str, ProviderMirror | None]:
    """For each provider source: the first mirror that holds it, or None (only the registry could)."""
    search = search or provider_search(workdir)
    return {provider_address(s): search.find(s) for s in sources}


def _hcl_list(items: Iterable[str]) -> str:
    return json.dumps(sorted(items))


def cli_config_text(search: ProviderSearch) -> str:
    """A CLI config: the user's settings other than ``provider_installation``, and an installation block
    listing each mirror for the providers it is first to hold, then the network mirrors and registry."""
    user = search.user_config
    span = _block_span(user.text)
    kept = (user.text[:span[0]] + user.text[span[1]:]) if span else user.text
    lines = [kept.rstrip(), ""] if kept.strip() else []
    lines.append("provider_installation {")
    claimed: set[str] = set()
    for mirror in search.mirrors:
        mine = [p for p in mirror.providers() if p not in claimed]
        if not mine:
            continue
        claimed.update(mine)
        lines += ["  filesystem_mirror {", f"    path    = {json.dumps(str(mirror.path))}",
                  f"    include = {_hcl_list(mine)}", "  }"]
    exclude = f"    exclude = {_hcl_list(claimed)}" if claimed else ""
    for url in user.network_mirrors:
        lines += ["  network_mirror {", f"    url = {json.dumps(url)}", *([exclude] if exclude else []), "  }"]
    if search.registry:
        lines += ["  direct {", *([exclude] if exclude else []), "  }"]
    lines.append("}")
    return "\n".join(lines) + "\n"


def cli_config_for_run(tmpdir: Path, *, workdir: Path | None = None, search: ProviderSearch | None = None) -> Path:
    """Write the run's CLI config (``harness.tfrc``) into ``tmpdir``; pass it as ``TF_CLI_CONFIG_FILE``."""
    search = search or provider_search(workdir)
    tmpdir.mkdir(parents=True, exist_ok=True)
    path = tmpdir / RUN_CONFIG_NAME
    path.write_text(cli_config_text(search), encoding="utf-8")
    return path


def provider_env(tmpdir: Path, *, workdir: Path | None = None, search: ProviderSearch | None = None
                 ) -> dict[str, str]:
    """The environment a terraform run needs for providers: ``TF_CLI_CONFIG_FILE`` of the run's config."""
    return {"TF_CLI_CONFIG_FILE": str(cli_config_for_run(tmpdir, workdir=workdir, search=search))}
