"""The policy catalog as text or JSON, for ``harness policies [--format json]``.

``full_catalog`` is everything ``harness check`` can report: the built-in and repository policies of
the registry, the organization policies (``org.*``, across instances) and, when checkov is installed,
the checkov checks the harness maps (``checkov.<ID>``, from ``checkov_catalog``). Each entry's
``origin`` is its source: ``builtin``, ``policies/<file>.py`` or an entry point, ``organization``,
``checkov``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from harness.policy.model import Policy
from harness.policy.registry import Registry, catalog


def full_catalog(*, checkov: bool | None = None, registry: Registry | None = None) -> list[Policy]:
    """Registry policies, organization policies and (``checkov`` None: when checkov is found) checkov's, by id."""
    from harness.policy.checkov_catalog import table_policies
    from harness.policy.checkov_run import checkov_command
    from harness.policy.organization import catalog_entries

    rows = [*catalog(registry), *catalog_entries()]
    if checkov is None:
        checkov = checkov_command() is not None
    if checkov:
        rows += table_policies()
    return sorted(rows, key=lambda p: p.id)


def _rows(policies: Iterable[Policy] | None) -> list[Policy]:
    return list(policies) if policies is not None else catalog()


def _params_text(item: Policy) -> str:
    return ", ".join(f"{name}={json.dumps(p.default)}" for name, p in item.params.items())


def format_table(policies: Iterable[Policy] | None = None) -> str:
    """A plain-text table: id, severity, source, controls, title, and parameters (indented) under each row."""
    rows = _rows(policies)
    if not rows:
        return "(no policies)\n"
    width_id = max(len("ID"), *(len(p.id) for p in rows))
    width_sev = max(len("SEVERITY"), *(len(str(p.severity)) for p in rows))
    width_src = max(len("SOURCE"), *(len(p.origin) for p in rows))
    width_ctl = max(len("CONTROLS"), *(len(", ".join(p.controls) or "-") for p in rows))
    lines = [f"{'ID':<{width_id}}  {'SEVERITY':<{width_sev}}  {'SOURCE':<{width_src}}  {'CONTROLS':<{width_ctl}}  "
             "TITLE"]
    for p in rows:
        controls = ", ".join(p.controls) or "-"
        lines.append(f"{p.id:<{width_id}}  {p.severity!s:<{width_sev}}  {p.origin:<{width_src}}  "
                     f"{controls:<{width_ctl}}  {p.title}")
        if p.params:
            lines.append(f"{'':<{width_id}}  params: {_params_text(p)}")
    counts: dict[str, int] = dict.fromkeys(("builtin", "repository", "organization", "checkov"), 0)
    for p in rows:
        source = p.origin if p.origin in ("builtin", "organization", "checkov") else "repository"
        counts[source] = counts.get(source, 0) + 1
    lines.append(f"{len(rows)} policies (" + ", ".join(f"{n} {s}" for s, n in counts.items() if n) + ")")
    return "\n".join(lines) + "\n"


def to_json(policies: Iterable[Policy] | None = None) -> str:
    """The catalog as a JSON array (stable order: by id)."""
    return json.dumps([p.to_json() for p in _rows(policies)], indent=2) + "\n"
