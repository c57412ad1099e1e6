"""Stack names, as Atmos derives them per component (manifest ``name`` > name_template > name_pattern > file key)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from harness.atmos import notices
from harness.atmos.templates import TemplateError, render

PATTERN_TOKENS = ("namespace", "tenant", "environment", "stage")


class NameUnresolved(Exception):
    """The name pattern or template needs a var this manifest does not set."""


@lru_cache(maxsize=64)
def pattern_tokens(pattern: str) -> tuple[str, ...]:
    """The context tokens a pattern uses, in order (parsed once: every instance of a repository asks)."""
    return tuple(
        part[1:-1]
        for part in pattern.split("-")
        if part.startswith("{") and part.endswith("}") and part[1:-1] in PATTERN_TOKENS
    )


def from_pattern(pattern: str, variables: Mapping[str, Any]) -> str:
    """Atmos splits on ``-`` and keeps only the four context tokens; any other part is dropped."""
    parts: list[str] = []
    for token in pattern_tokens(pattern):
        value = variables.get(token)
        if not isinstance(value, str) or not value:
            raise NameUnresolved(f"stack name pattern '{pattern}' needs var '{token}'")
        parts.append(value)
    return "-".join(parts)


def from_template(template: str, section: Mapping[str, Any], *, ignore_missing: bool = False) -> str:
    try:
        return render(template, section, ignore_missing=ignore_missing)
    except TemplateError as exc:
        raise NameUnresolved(f"stack name template '{template}': {exc}") from None


def stack_name(
    *,
    manifest_name: Any,
    name_template: str,
    name_pattern: str,
    section: Mapping[str, Any],
    file_key: str,
) -> str:
    """The logical stack name for one component section; raises NameUnresolved when vars are missing."""
    if isinstance(manifest_name, str) and manifest_name:
        return manifest_name
    if name_template:
        return from_template(name_template, section)
    if name_pattern and pattern_tokens(name_pattern):
        return from_pattern(name_pattern, section.get("vars") or {})
    if name_pattern:
        notices.warn(
            f"stacks.name_pattern '{name_pattern}' holds none of the Atmos tokens "
            f"{', '.join('{' + t + '}' for t in PATTERN_TOKENS)} (Atmos drops every other part), so Atmos "
            f"names each stack after its manifest file; use those tokens, or "
            f"stacks.name_template for other names", file="atmos.yaml")
    return file_key
