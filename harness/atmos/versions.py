"""Atmos behaviour that depends on the Atmos version a repository targets: one table, one place.

A repository declares its Atmos in ``atmos.yaml`` (``version.use``, or ``version.constraint.require``), or
the harness's own override ``settings.harness.atmos_version``. A rule Atmos introduced after that version
does not apply: the harness follows the older behaviour and warns once, naming the Atmos version that
brought the rule. With no version declared the newest Atmos the harness knows is followed, and an error a
newer rule raises says how to declare an older Atmos.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.errors import ConfigError

Version = tuple[int, int, int]

#: The newest Atmos whose stack processing the harness follows (spec snapshot, shared/atmos-spec.md).
NEWEST: Version = (1, 226, 1)

_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class Rule:
    """One behaviour Atmos introduced in ``since``; ``before`` says what older releases did instead."""

    key: str
    since: Version
    summary: str
    before: str


#: Every version-dependent rule (each has a test in tests/unit/harness/atmos/test_versions.py).
RULES: dict[str, Rule] = {
    rule.key: rule
    for rule in (
        Rule(
            "stack-metadata-allow-list",
            (1, 225, 0),
            "a stack-level 'metadata' may only hold labels, tags, custom, enabled, locked, "
            "terraform_workspace_pattern",
            "a stack-level 'metadata' block is ignored",
        ),
        Rule(
            "component-mocks",
            (1, 224, 0),
            "!terraform.output and !terraform.state read the producer's 'mocks' section with --use-mocks",
            "components have no 'mocks' section; --use-mocks does not exist",
        ),
    )
}


def parse_version(text: Any) -> Version | None:
    """The first ``X.Y[.Z]`` in a version or constraint string (``">= 1.163.0"`` -> (1, 163, 0))."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    match = _VERSION.search(text)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def show(version: Version) -> str:
    return ".".join(str(p) for p in version)


@dataclass(frozen=True)
class Target:
    """The Atmos a repository targets, and where that was declared (None: not declared, the newest)."""

    version: Version | None
    source: str = ""

    @property
    def effective(self) -> Version:
        return self.version or NEWEST

    def applies(self, key: str) -> bool:
        """Whether the rule is in force for this repository's Atmos."""
        return self.effective >= RULES[key].since

    def hint(self, key: str) -> str:
        """What an error raised by a rule adds: the Atmos that brought it, and how to target an older one."""
        rule = RULES[key]
        if self.version is not None:
            return f"(Atmos {show(rule.since)} rule; this repository targets Atmos {show(self.version)}, {self.source})"
        return (
            f"(Atmos {show(rule.since)} rule; before it, {rule.before}. A repository written for an older Atmos "
            f"declares it in atmos.yaml, e.g. 'version: {{use: 1.163.0}}', or 'settings.harness.atmos_version')"
        )

    def ignored(self, key: str) -> str:
        """The warning text when a rule does not apply to this repository's Atmos."""
        rule = RULES[key]
        assert self.version is not None
        return (f"Atmos {show(rule.since)} rule not applied ({rule.summary}); this repository targets Atmos "
                f"{show(self.version)} ({self.source}), where {rule.before}")


def target_of(raw: Mapping[str, Any], *, file: str | None = None) -> Target:
    """Read the targeted Atmos from atmos.yaml data; a declared value that is no version is an error."""
    candidates: list[tuple[str, Any]] = []
    settings = raw.get("settings")
    harness = settings.get("harness") if isinstance(settings, Mapping) else None
    if isinstance(harness, Mapping) and harness.get("atmos_version") not in (None, ""):
        candidates.append(("settings.harness.atmos_version", harness["atmos_version"]))
    version = raw.get("version")
    if isinstance(version, Mapping):
        if version.get("use") not in (None, ""):
            candidates.append(("version.use", version["use"]))
        constraint = version.get("constraint")
        if isinstance(constraint, Mapping) and constraint.get("require") not in (None, ""):
            candidates.append(("version.constraint.require", constraint["require"]))
    for source, value in candidates:
        parsed = parse_version(value)
        if parsed is None:
            raise ConfigError(f"{source}: '{value}' names no Atmos version (expected e.g. 1.163.0)", file=file)
        return Target(parsed, f"{source} in atmos.yaml")
    return Target(None)
