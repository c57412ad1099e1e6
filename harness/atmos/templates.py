"""The subset of Go templates that Atmos stacks use in names, import paths and values.

Supported: ``{{ .a.b }}`` field paths (with ``{{-``/``-}}`` trimming), string and number literals,
pipelines, and the functions ``default``, ``lower``, ``upper``, ``title``, ``trim``, ``quote``,
``replace``, ``printf`` (``%s``/``%d``/``%v``), ``toJson``. Anything else (control flow, ``atmos.*``
calls) raises TemplateError so the caller can report it rather than guess.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

NO_VALUE = "<no value>"
_ACTION = re.compile(r"\{\{(-?)\s*(.*?)\s*(-?)\}\}", re.DOTALL)


class TemplateError(Exception):
    """A template could not be rendered (missing key or unsupported construct)."""


class _Missing:
    def __init__(self, path: str) -> None:
        self.path = path


def has_template(text: str) -> bool:
    return "{{" in text


def _lookup(context: Mapping[str, Any], path: str) -> Any:
    value: Any = context
    if path == ".":
        return value
    for part in path.strip(".").split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        else:
            return _Missing(path)
    return value


def _fmt(value: Any) -> str:
    if value is None:
        return NO_VALUE
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_fmt(v)}" for k, v in sorted(value.items())) + "]"
    if isinstance(value, list):
        return "[" + " ".join(_fmt(v) for v in value) + "]"
    return str(value)


def _printf(fmt: str, *args: Any) -> str:
    out = re.sub(r"%[vdsq]", "{}", fmt)
    return out.format(*(_fmt(a) for a in args))


_FUNCS: dict[str, Callable[..., Any]] = {
    "lower": lambda s: _fmt(s).lower(),
    "upper": lambda s: _fmt(s).upper(),
    "title": lambda s: _fmt(s).title(),
    "trim": lambda s: _fmt(s).strip(),
    "quote": lambda s: json.dumps(_fmt(s)),
    "replace": lambda old, new, s: _fmt(s).replace(old, new),
    "printf": _printf,
    "toJson": lambda v: json.dumps(v, separators=(",", ":")),
}


@lru_cache(maxsize=4096)
def _commands(expr: str) -> tuple[tuple[str, ...], ...]:
    """The pipeline of one action, split into commands (cached: stacks repeat the same actions everywhere)."""
    try:
        lexer = shlex.shlex(expr, posix=False, punctuation_chars="|")
        lexer.whitespace_split = True
        lexer.commenters = ""
        tokens = list(lexer)
    except ValueError as exc:
        raise TemplateError(f"cannot parse template action '{expr}': {exc}") from None
    commands: list[list[str]] = [[]]
    for tok in tokens:
        if tok == "|":
            commands.append([])
        else:
            commands[-1].append(tok)
    return tuple(tuple(c) for c in commands)


def _operand(token: str, context: Mapping[str, Any]) -> Any:
    if token.startswith("."):
        return _lookup(context, token)
    if token.startswith('"') and token.endswith('"') and len(token) >= 2:
        return json.loads(token)
    if token.startswith("`") and token.endswith("`"):
        return token[1:-1]
    if re.fullmatch(r"-?\d+", token):
        return int(token)
    if token in ("true", "false"):
        return token == "true"
    if token == "nil":
        return None
    raise TemplateError(f"unsupported template operand '{token}'")


def _evaluate(expr: str, context: Mapping[str, Any], ignore_missing: bool) -> Any:
    if expr.startswith(("if ", "range ", "with ", "end", "else", "define ", "template ", "block ", "/*")):
        raise TemplateError(f"unsupported template action '{{{{ {expr} }}}}'")
    commands = _commands(expr)
    value: Any = None
    first = True
    for command in commands:
        if not command:
            raise TemplateError(f"empty command in template action '{expr}'")
        head, args = command[0], command[1:]
        if head == "default":
            if len(args) != 1 or first:
                raise TemplateError("default takes one argument in a pipeline")
            fallback = _operand(args[0], context)
            if isinstance(value, _Missing) or value in (None, "", 0, False) or value == [] or value == {}:
                value = fallback
        elif head in _FUNCS:
            operands = [_operand(a, context) for a in args]
            if not first:
                operands.append(value)
            for op in operands:
                if isinstance(op, _Missing) and not ignore_missing:
                    raise TemplateError(f"map has no entry for key '{op.path.strip('.')}'")
            value = _FUNCS[head](*[NO_VALUE if isinstance(o, _Missing) else o for o in operands])
        elif first and len(command) == 1:
            value = _operand(head, context)
        else:
            raise TemplateError(f"unsupported template function '{head}'")
        first = False
    if isinstance(value, _Missing):
        if ignore_missing:
            return NO_VALUE
        raise TemplateError(f"map has no entry for key '{value.path.strip('.')}'")
    return value


@lru_cache(maxsize=4096)
def _parse(text: str) -> tuple[tuple[str, ...], tuple[str | None, ...]]:
    """Literal chunks (whitespace trimming applied) and the action between each pair; None for comments."""
    chunks: list[str] = []
    actions: list[str | None] = []
    pos = 0
    for match in _ACTION.finditer(text):
        start, end = match.span()
        chunk = text[pos:start]
        if match.group(1):
            chunk = chunk.rstrip()
        chunks.append(chunk)
        expr = match.group(2)
        actions.append(None if expr.startswith("/*") else expr)
        pos = end
        if match.group(3):
            rest = text[pos:]
            pos += len(rest) - len(rest.lstrip())
    chunks.append(text[pos:])
    return tuple(chunks), tuple(actions)


def render(text: str, context: Mapping[str, Any], *, ignore_missing: bool = False) -> str:
    """Render every ``{{ }}`` action in ``text``; raise TemplateError on a missing key or unknown construct."""
    if "{{" not in text:
        return text
    chunks, actions = _parse(text)
    out: list[str] = []
    for chunk, expr in zip(chunks, actions, strict=False):
        out.append(chunk)
        if expr is not None:
            out.append(_fmt(_evaluate(expr, context, ignore_missing)))
    out.append(chunks[-1])
    return "".join(out)


def render_tree(value: Any, context: Mapping[str, Any], *, ignore_missing: bool = False) -> Any:
    """Render templates in every string of a tree; returns the same objects where nothing changed."""
    return _render_walk(value, context, ignore_missing)


def _render_walk(value: Any, context: Mapping[str, Any], ignore_missing: bool) -> Any:
    kind = type(value)
    if kind is str:
        return render(value, context, ignore_missing=ignore_missing) if "{{" in value else value
    if kind is dict:
        out: dict[str, Any] | None = None
        for k, v in value.items():
            nv = _render_walk(v, context, ignore_missing)
            if nv is not v:
                if out is None:
                    out = dict(value)
                out[k] = nv
        return value if out is None else out
    if kind is list:
        items: list[Any] | None = None
        for i, v in enumerate(value):
            nv = _render_walk(v, context, ignore_missing)
            if nv is not v:
                if items is None:
                    items = list(value)
                items[i] = nv
        return value if items is None else items
    if kind is int or kind is bool or kind is float or value is None:
        return value
    return _render_other(value, context, ignore_missing)


def _render_other(value: Any, context: Mapping[str, Any], ignore_missing: bool) -> Any:
    """render_tree for subclasses of str, dict and list (the exact types take the fast path)."""
    if isinstance(value, str):
        return render(value, context, ignore_missing=ignore_missing) if "{{" in value else value
    if isinstance(value, dict):
        changed = False
        out: dict[str, Any] = {}
        for k, v in value.items():
            nv = _render_walk(v, context, ignore_missing)
            changed = changed or nv is not v
            out[k] = nv
        return out if changed else value
    if isinstance(value, list):
        items = [_render_walk(v, context, ignore_missing) for v in value]
        if any(a is not b for a, b in zip(items, value, strict=True)):
            return type(value)(items)
        return value
    return value
