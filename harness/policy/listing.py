"""The policy catalog as text or JSON, for ``harness policies [--format json]``."""

from __future__ import annotations

import json
from collections.abc import Iterable

from harness.policy.model import Policy
from harness.policy.registry import catalog


def _rows(policies: Iterable[Policy] | None) -> list[Policy]:
    return list(policies) if policies is not None else catalog()


def _params_text(item: Policy) -> str:
    return ", ".join(f"{name}={json.dumps(p.default)}" for name, p in item.params.items())


def format_table(policies: Iterable[Policy] | None = None) -> str:
    """A plain-text table: id, severity, controls, title, and parameters (indented) under each row."""
    rows = _rows(policies)
    if not rows:
        return "(no policies)\n"
    width_id = max(len("ID"), *(len(p.id) for p in rows))
    width_sev = max(len("SEVERITY"), *(len(str(p.severity)) for p in rows))
    width_ctl = max(len("CONTROLS"), *(len(", ".join(p.controls)) for p in rows))
    lines = [f"{'ID':<{width_id}}  {'SEVERITY':<{width_sev}}  {'CONTROLS':<{width_ctl}}  TITLE"]
    for p in rows:
        controls = ", ".join(p.controls)
        lines.append(f"{p.id:<{width_id}}  {p.severity!s:<{width_sev}}  {controls:<{width_ctl}}  {p.title}")
        if p.params:
            lines.append(f"{'':<{width_id}}  params: {_params_text(p)}")
    lines.append(f"{len(rows)} policies")
    return "\n".join(lines) + "\n"


def to_json(policies: Iterable[Policy] | None = None) -> str:
    """The catalog as a JSON array (stable order: by id)."""
    return json.dumps([p.to_json() for p in _rows(policies)], indent=2) + "\n"
