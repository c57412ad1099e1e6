"""Render ``data "aws_iam_policy_document"`` offline, byte for byte as the AWS provider does.

The provider computes this data source locally (no API call), so a static plan can show
the exact policy JSON a resource will receive. Rules followed (terraform-provider-aws,
``internal/service/iam``):

- ``actions``/``not_actions``/``resources``/``not_resources`` are sets: duplicates drop,
  one element is rendered as a plain string, several as a list sorted in *reverse* order;
  ``&{`` becomes ``${`` in resources, identifiers and condition values.
- principals: one block of type ``*`` with identifiers ``["*"]`` renders as ``"*"``;
  otherwise a map type -> identifier string or reverse-sorted list (blocks of one type join).
- conditions: map test -> variable -> values (config order kept; one value as a string).
- ``Sid`` is omitted when empty, ``Effect`` defaults to ``Allow``, ``Version`` to
  ``2012-10-17``; ``source_policy_documents`` merge first and ``override_policy_documents``
  last, a statement with the same Sid replacing the earlier one.
- ``json`` is Go's ``json.MarshalIndent(doc, "", "  ")`` (HTML-escaped ``<>&``),
  ``minified_json`` the compact form, ``id`` the CRC-32 of ``json``.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

from harness.plan.model import Unknown
from harness.plan.outcome import find_unknown

_STATEMENT_KEYS = ("Sid", "Effect", "Action", "NotAction", "Resource", "NotResource",
                   "Principal", "NotPrincipal", "Condition")


class PolicyError(ValueError):
    """The configuration is one the provider would reject."""


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _vars(text: str) -> str:
    return text.replace("&{", "${")


def _string_set(values: Any, replace_vars: bool = False) -> str | list[str] | None:
    items = sorted({str(v) for v in _as_list(values) if v is not None}, reverse=True)
    if replace_vars:
        items = [_vars(v) for v in items]
    if not items:
        return None
    return items[0] if len(items) == 1 else items


def _principals(blocks: Sequence[Mapping[str, Any]]) -> Any:
    decoded = [(str(b.get("type")), _string_set(b.get("identifiers"), True)) for b in blocks]
    if len(decoded) == 1 and decoded[0] == ("*", "*"):
        return "*"
    raw: dict[str, Any] = {}
    for ptype, ids in decoded:
        if ids is None:
            ids = []
        current = raw.get(ptype)
        if isinstance(ids, list):
            merged = [] if current is None else ([current] if isinstance(current, str) else current)
            raw[ptype] = merged + sorted(ids, reverse=True)
        elif current is None:
            raw[ptype] = ids
        elif isinstance(current, str):
            raw[ptype] = [current, ids]
        else:
            current.append(ids)
    return {k: raw[k] for k in sorted(raw)}


def _conditions(blocks: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    raw: dict[str, dict[str, list[str]]] = {}
    for block in blocks:
        values = [_vars(str(v)) for v in _as_list(block.get("values")) if v is not None]
        raw.setdefault(str(block.get("test")), {}).setdefault(str(block.get("variable")), []).extend(values)
    out: dict[str, dict[str, Any]] = {}
    for test in sorted(raw):
        out[test] = {}
        for var in sorted(raw[test]):
            items = raw[test][var]
            out[test][var] = items[0] if len(items) == 1 else items
    return out


def _statement(block: Mapping[str, Any]) -> dict[str, Any]:
    stmt: dict[str, Any] = {}
    sid = block.get("sid")
    if sid:
        stmt["Sid"] = str(sid)
    stmt["Effect"] = str(block.get("effect") or "Allow")
    for key, attr, replace in (("Action", "actions", False), ("NotAction", "not_actions", False),
                               ("Resource", "resources", True), ("NotResource", "not_resources", True)):
        value = _string_set(block.get(attr), replace)
        if value is not None:
            stmt[key] = value
    for key, attr in (("Principal", "principals"), ("NotPrincipal", "not_principals")):
        blocks = _as_list(block.get(attr))
        if blocks:
            stmt[key] = _principals(blocks)
    conditions = _as_list(block.get("condition"))
    if conditions:
        stmt["Condition"] = _conditions(conditions)
    return stmt


def _normalize_foreign(stmt: Mapping[str, Any]) -> dict[str, Any]:
    """A statement from a source/override JSON document, as the provider re-marshals it."""
    out: dict[str, Any] = {}
    for key in _STATEMENT_KEYS:
        if key not in stmt or stmt[key] in (None, "", [], {}):
            continue
        value = stmt[key]
        if key in ("Principal", "NotPrincipal") and isinstance(value, Mapping):
            value = {k: (sorted(v, reverse=True) if isinstance(v, list) else v)
                     for k, v in sorted(value.items())}
        elif key in ("Principal", "NotPrincipal") and isinstance(value, str):
            value = "*"
        elif key == "Condition" and isinstance(value, Mapping):
            value = {
                test: {var: (_flatten_condition(vals)) for var, vals in sorted(vars_.items())}
                for test, vars_ in sorted(value.items())
            }
        out[key] = value
    return out


def _flatten_condition(values: Any) -> Any:
    if isinstance(values, bool):
        return "true" if values else "false"
    if isinstance(values, list) and len(values) == 1:
        return values[0]
    return values


def _merge(doc: dict[str, Any], new: Mapping[str, Any]) -> None:
    if new.get("Id"):
        doc["Id"] = new["Id"]
    if str(new.get("Version", "")) > str(doc.get("Version", "")):
        doc["Version"] = new["Version"]
    statements: list[dict[str, Any]] = doc.setdefault("Statement", [])
    for stmt in new.get("Statement", []) or []:
        sid = stmt.get("Sid")
        if sid:
            for i, existing in enumerate(statements):
                if existing.get("Sid") == sid:
                    statements[i] = stmt
                    break
            else:
                statements.append(stmt)
        else:
            statements.append(stmt)


def _go_json(value: Any, indent: bool) -> str:
    text = json.dumps(value, indent=2 if indent else None, ensure_ascii=False,
                      separators=(",", ": ") if indent else (",", ":"))
    for ch, esc in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def _parse_doc(text: Any, what: str) -> dict[str, Any]:
    try:
        data = json.loads(str(text))
    except json.JSONDecodeError as exc:
        raise PolicyError(f"{what} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise PolicyError(f"{what} is not a JSON object")
    statements = data.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    return {"Version": data.get("Version", ""), "Id": data.get("Id", ""),
            "Statement": [_normalize_foreign(s) for s in statements if isinstance(s, Mapping)]}


def render_policy_document(config: Mapping[str, Any]) -> dict[str, Any] | Unknown:
    """The data source's computed attributes (``json``, ``minified_json``, ``id``) from its arguments.

    ``config`` holds the arguments as evaluated, nested blocks as lists of dicts. Returns an
    Unknown when any input is unknown.
    """
    found = find_unknown(config)
    if found is not None:
        path, unknown = found
        return Unknown(f"policy document input {path} is unknown", unknown.ref)
    merged: dict[str, Any] = {}
    seen_sids: set[str] = set()
    for i, source in enumerate(_as_list(config.get("source_policy_documents"))):
        if source is None:
            continue
        source_doc = _parse_doc(source, f"source_policy_documents[{i}]")
        for stmt in source_doc["Statement"]:
            sid = stmt.get("Sid")
            if sid:
                if sid in seen_sids:
                    raise PolicyError(f"duplicate Sid ({sid}) in source_policy_documents")
                seen_sids.add(sid)
        _merge(merged, source_doc)
    own: dict[str, Any] = {"Version": str(config.get("version") or "2012-10-17")}
    if config.get("policy_id"):
        own["Id"] = str(config["policy_id"])
    statements = []
    sids: set[str] = set()
    for block in _as_list(config.get("statement")):
        if not isinstance(block, Mapping):
            continue
        stmt = _statement(block)
        sid = stmt.get("Sid")
        if sid:
            if sid in sids:
                raise PolicyError(f"duplicate Sid ({sid}); remove the Sid or make it unique")
            sids.add(sid)
        statements.append(stmt)
    own["Statement"] = statements
    _merge(merged, own)
    for i, override in enumerate(_as_list(config.get("override_policy_documents"))):
        if override is not None:
            _merge(merged, _parse_doc(override, f"override_policy_documents[{i}]"))
    doc: dict[str, Any] = {}
    if merged.get("Version"):
        doc["Version"] = merged["Version"]
    if merged.get("Id"):
        doc["Id"] = merged["Id"]
    if merged.get("Statement"):
        doc["Statement"] = merged["Statement"]
    pretty = _go_json(doc, indent=True)
    return {"json": pretty, "minified_json": _go_json(doc, indent=False),
            "id": str(zlib.crc32(pretty.encode("utf-8")))}
