"""``harness init``: the files that make an existing Atmos repository testable by the harness at once.

What is written comes from the templates shipped in ``harness/templates/init`` (package data): a thin
``noxfile.py`` on ``harness.noxsessions``, one starter test per deployed Terraform component (it passes for
any component, even one without resources), pytest settings only where the repository has none, GitHub
Actions workflows (pull request: affected only; main: everything; release: the gate), a pre-commit hook,
a ``.gitignore`` where there is none, and a commented ``settings.harness`` reference. A file that exists
is never replaced unless ``force``: running it twice changes nothing.
"""

from __future__ import annotations

import configparser
import re
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from harness.atmos import AtmosConfig, Resolver, gitrev
from harness.errors import ConfigError, HarnessError

#: The folder (relative to atmos.yaml's) whose tests ``nox -s unit`` collects.
UNIT_DIR = "tests/unit"
_RESOURCE = re.compile(r'^\s*resource\s+"([^"]+)"\s+"([^"]+)"', re.M)


@dataclass
class InitResult:
    """Paths (relative to the repository) written and left alone because they existed."""

    root: Path
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    components: list[str] = field(default_factory=list)


def template(name: str) -> str:
    """The text of one template of ``harness/templates/init``."""
    return resources.files("harness").joinpath("templates", "init", *name.split("/")).read_text(encoding="utf-8")


def render(text: str, values: dict[str, str]) -> str:
    """``@NAME@`` placeholders replaced (no template language: the workflows are full of ``${{ }}``)."""
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    leftover = re.search(r"@[A-Z_]+@", text)
    if leftover:
        raise HarnessError(f"template placeholder {leftover.group(0)} has no value")  # a bug, not a user error
    return text


def requirement() -> str:
    """The requirement the written files pin: the running harness's version, or its git commit.

    A harness installed from a local wheel or folder is pinned by version: a path of this machine must
    not end up in the repository (HARNESS_PIP_SPEC points the sessions at such a file instead).
    """
    from harness.install_spec import DIST_NAME, installed_spec

    spec = installed_spec()
    if len(spec) == 1 and " @ " in spec[0] and not spec[0].split(" @ ", 1)[1].startswith("file:"):
        return spec[0]
    from harness import __version__

    return f"{DIST_NAME}=={__version__}"


def has_pytest_config(root: Path) -> bool:
    """Whether pytest already finds its settings here (pytest.ini, pyproject, tox.ini or setup.cfg)."""
    if (root / "pytest.ini").is_file() or (root / ".pytest.ini").is_file():
        return True
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError):
            return True  # do not add a second configuration next to one that cannot be read
        if "pytest" in data.get("tool", {}):
            return True
    for name, section in (("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        parser = configparser.ConfigParser()
        try:
            parser.read(root / name, encoding="utf-8")
        except configparser.Error:
            continue
        if parser.has_section(section):
            return True
    return False


def deployed_folders(config: AtmosConfig) -> list[str]:
    """The Terraform component folders some stack deploys (sorted); a stack that cannot resolve is an error."""
    resolver = Resolver(config)
    return sorted({inst.folder or inst.component for inst in resolver.instances() if inst.deployable})


def _slug(folder: str) -> str:
    return re.sub(r"[^0-9a-zA-Z]+", "_", folder).strip("_").lower() or "component"


def starter_tests(config: AtmosConfig, folders: Iterable[str]) -> dict[str, str]:
    """``tests/unit/test_<folder>.py`` -> the starter test of each component folder (names kept unique)."""
    out: dict[str, str] = {}
    for folder in folders:
        name, n = f"{UNIT_DIR}/test_{_slug(folder)}.py", 2
        while name in out:
            name, n = f"{UNIT_DIR}/test_{_slug(folder)}_{n}.py", n + 1
        out[name] = render(template("component_test.py.tmpl"), {"FOLDER": folder, "HINTS": _hints(config, folder)})
    return out


def _hints(config: AtmosConfig, folder: str) -> str:
    """A comment line per resource the component declares, e.g. ``plan.resource("aws_s3_bucket.this")``."""
    found: list[str] = []
    for tf in sorted((config.components_base_path / folder).glob("*.tf")):
        try:
            found += [f"{t}.{n}" for t, n in _RESOURCE.findall(tf.read_text(encoding="utf-8", errors="replace"))]
        except OSError:
            continue
    if not found:
        return " none (a component of data sources, modules or outputs only plans too)"
    return "".join(f'\n    #   plan.resource("{address}").values' for address in found[:10])


def _workflow_values(home: Path, top: Path) -> dict[str, str]:
    rel = home.relative_to(top).as_posix() if home != top else ""
    defaults = f"\ndefaults:\n  run:\n    working-directory: {rel}\n" if rel else ""
    return {"DEFAULTS": defaults, "WORKDIR_PREFIX": f"{rel}/" if rel else "",
            "PYTHON": f"{sys.version_info.major}.{sys.version_info.minor}"}


def plan_files(config: AtmosConfig) -> tuple[Path, dict[Path, str]]:
    """Where the repository is (the folder of atmos.yaml) and every file to write, by absolute path."""
    if config.config_file is None:
        raise ConfigError("no atmos.yaml found: harness init runs in an Atmos repository (or give its folder)")
    home = config.config_file.parent.resolve()
    try:
        top = gitrev.repo_root(home)
    except HarnessError:
        top = home  # not a git repository (yet): workflows go next to atmos.yaml
    if not home.is_relative_to(top):
        top = home
    req = requirement()
    noxfile = (home / "noxfile.py").relative_to(top).as_posix()
    stacks = config.stacks_base_path.resolve()
    stacks_re = re.escape(stacks.relative_to(top).as_posix()) + "/" if stacks.is_relative_to(top) else ""
    comps = config.components_base_path.resolve()
    comps_re = re.escape(comps.relative_to(top).as_posix()) + "/" if comps.is_relative_to(top) else ""
    files_re = "(" + "|".join(p for p in (stacks_re, comps_re) if p) + ")" if (stacks_re or comps_re) else ""
    files: dict[Path, str] = {
        home / "noxfile.py": render(template("noxfile.py.tmpl"), {"HARNESS_REQUIREMENT": req}),
        home / "harness-settings.yaml": template("harness-settings.yaml"),
        top / ".pre-commit-config.yaml": render(template("pre-commit-config.yaml"),
                                                {"HARNESS_REQUIREMENT": req, "NOXFILE": noxfile,
                                                 "FILES_RE": files_re}),
    }
    values = _workflow_values(home, top)
    for name in ("pr.yml", "main.yml", "release.yml"):
        files[top / ".github" / "workflows" / name] = render(template(f"github/{name}"), values)
    if not has_pytest_config(home):
        files[home / "pytest.ini"] = template("pytest.ini")
    if not (top / ".gitignore").exists():
        files[top / ".gitignore"] = template("gitignore")
    for rel, text in starter_tests(config, deployed_folders(config)).items():
        files[home / rel] = text
    return top, files


def init(config: AtmosConfig, *, force: bool = False) -> InitResult:
    """Write the setup; existing files are skipped (listed) unless ``force``. Paths in the result are
    relative to the repository's top (the git work tree, else the folder of atmos.yaml)."""
    top, files = plan_files(config)
    result = InitResult(root=top)
    for path, text in files.items():
        rel = path.relative_to(top).as_posix()
        if path.name.startswith("test_") and path.parent.name == "unit":
            result.components.append(rel)
        if path.exists() and not force:
            result.skipped.append(rel)
            continue
        if path.exists() and path.read_text(encoding="utf-8", errors="replace") == text:
            result.skipped.append(rel)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        result.written.append(rel)
    return result
