"""Does a literal stack value fit a Terraform type constraint? (Terraform's conversion rules, offline.)"""

from __future__ import annotations

import re
from typing import Any

from harness.terraform.expr import Node, NotEvaluable, parse

_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")


def parse_type(text: str) -> Node:
    return parse(text)


def _name(node: Node) -> str | None:
    return str(node[1]) if node[0] == "name" else None


def type_errors(value: Any, type_expr: str | None, path: str = "") -> list[str]:
    """Problems converting ``value`` to the type, e.g. ``['cidr: a list is not a string']``; [] when it fits."""
    if not type_expr:
        return []
    try:
        node = parse_type(type_expr)
    except NotEvaluable:
        return []
    return _check(value, node, path)


def _where(path: str) -> str:
    return f"{path}: " if path else ""


def _check(value: Any, node: Node, path: str) -> list[str]:
    if value is None:
        return []
    simple = _name(node)
    if simple is not None:
        return _primitive(value, simple, path)
    if node[0] != "call":
        return []
    func, args = node[1], node[2]
    if func in ("list", "set"):
        if not isinstance(value, list):
            return [f"{_where(path)}{_kind(value)} is not a {func}"]
        return [e for i, item in enumerate(value) for e in _check(item, args[0], f"{path}[{i}]")]
    if func == "map":
        if not isinstance(value, dict):
            return [f"{_where(path)}{_kind(value)} is not a map"]
        return [e for k, item in value.items() for e in _check(item, args[0], f"{path}.{k}" if path else k)]
    if func == "tuple":
        elems = args[0][1] if args and args[0][0] == "list" else []
        if not isinstance(value, list):
            return [f"{_where(path)}{_kind(value)} is not a tuple"]
        if len(value) != len(elems):
            return [f"{_where(path)}tuple needs {len(elems)} elements, got {len(value)}"]
        pairs = enumerate(zip(value, elems, strict=True))
        return [e for i, (item, t) in pairs for e in _check(item, t, f"{path}[{i}]")]
    if func == "object":
        if not isinstance(value, dict):
            return [f"{_where(path)}{_kind(value)} is not an object"]
        if not args or args[0][0] != "obj":
            return []
        errors: list[str] = []
        for key_node, attr_type in args[0][1]:
            key = str(key_node[1])
            optional = attr_type[0] == "call" and attr_type[1] == "optional"
            inner = attr_type[2][0] if optional else attr_type
            sub = f"{path}.{key}" if path else key
            if key not in value:
                if not optional:
                    errors.append(f"{_where(sub)}attribute is required by the type")
                continue
            errors.extend(_check(value[key], inner, sub))
        return errors
    if func == "optional":
        return _check(value, args[0], path)
    return []


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a map"
    return type(value).__name__


def _primitive(value: Any, name: str, path: str) -> list[str]:
    if name == "any":
        return []
    if name == "string":
        if isinstance(value, (str, int, float)):  # numbers and bools convert to strings
            return []
        return [f"{_where(path)}{_kind(value)} is not a string"]
    if name == "number":
        if isinstance(value, bool):
            return [f"{_where(path)}a bool is not a number"]
        if isinstance(value, (int, float)) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
            return []
        return [f"{_where(path)}{_kind(value)} {value!r} is not a number" if isinstance(value, str)
                else f"{_where(path)}{_kind(value)} is not a number"]
    if name == "bool":
        if isinstance(value, bool) or value in ("true", "false"):
            return []
        return [f"{_where(path)}{_kind(value)} is not a bool"]
    return []
