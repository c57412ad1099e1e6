"""Atmos YAML functions evaluated at describe time (``!env``, ``!exec``, ``!template``, ``!unset`` ...).

``!terraform.output``/``!terraform.state`` need state that only exists after apply, so they become typed
:class:`TerraformRef` values (a ``str`` holding the original text, so output stays Atmos-compatible) and are
listed as dependencies; whoever has state resolves them later.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.atmos.yamlio import is_function_tag
from harness.errors import ConfigError, HarnessError

_UNSET = object()


class TerraformRef(str):
    """A deferred ``!terraform.output``/``!terraform.state`` reference; ``str()`` is the original text."""

    kind: str
    ref_component: str
    ref_stack: str | None
    expression: str

    def __new__(cls, text: str, kind: str, component: str, stack: str | None, expression: str) -> TerraformRef:
        obj = super().__new__(cls, text)
        obj.kind = kind
        obj.ref_component = component
        obj.ref_stack = stack
        obj.expression = expression
        return obj

    def __reduce__(self) -> tuple[Any, ...]:
        return (TerraformRef, (str(self), self.kind, self.ref_component, self.ref_stack, self.expression))


def split_function(value: str) -> tuple[str, str] | None:
    """``"!env FOO bar"`` -> ``("!env", "FOO bar")`` when the string is an Atmos function call."""
    if not value.startswith("!"):
        return None
    tag, _, args = value.partition(" ")
    if not is_function_tag(tag):
        return None
    return tag, args.strip()


def _split_args(args: str) -> list[str]:
    """Shell-like words (Atmos splits on spaces outside quotes: ``vpc '.id // "x"'`` is two words)."""
    try:
        return shlex.split(args)
    except ValueError:
        return args.split()


def parse_terraform_ref(tag: str, args: str, *, where: str = "") -> TerraformRef:
    """``<component> [<stack>] <output | yq expression>``; the expression may be quoted or, when it starts
    with ``.``, written unquoted with spaces (``vpc .vpc_id // "vpc-default"``)."""
    parts = _split_args(args)
    kind = tag.split(".", 1)[1]
    if len(parts) > 3 or "//" in parts:
        start = next((i for i in (1, 2) if i < len(parts) and parts[i].startswith(".")), None)
        if start is not None:
            parts = [*parts[:start], " ".join(args.split()[start:])]
    if len(parts) == 2:
        return TerraformRef(f"{tag} {args}", kind, parts[0], None, parts[1])
    if len(parts) == 3:
        return TerraformRef(f"{tag} {args}", kind, parts[0], parts[1], parts[2])
    raise ConfigError(f"{tag} needs '<component> [<stack>] <output>', got '{args}'{where}")


_STEP = re.compile(r"\.?([A-Za-z0-9_-]+)|\[(\d+)\]|\[\"([^\"]+)\"\]|\.\[\"([^\"]+)\"\]")


def output_value(
    outputs: Mapping[str, Any], expression: str, *, where: str, source: str = "the producer's state"
) -> Any:
    """Evaluate an Atmos output expression on a producer's outputs: ``name``, ``.name.attr``, ``.list[0]``,
    ``.`` (every output), with yq's ``// default`` (taken when the path is missing, null or false)."""
    text, sep, fallback = expression.partition("//")
    text = text.strip()
    has_default = bool(sep)
    default = yaml.safe_load(fallback.strip()) if has_default else None
    steps: list[str | int] = []
    pos = 0
    while pos < len(text) and text != ".":
        match = _STEP.match(text, pos)
        if match is None:
            raise HarnessError(f"{where}: cannot read output expression '{expression}'")
        index = match.group(2)
        steps.append(int(index) if index is not None else (match.group(1) or match.group(3) or match.group(4)))
        pos = match.end()
    if not steps and text != ".":
        raise HarnessError(f"{where}: empty output expression")
    value: Any = outputs
    for i, step in enumerate(steps):
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            if has_default:
                return default
            if i == 0:
                known = ", ".join(sorted(outputs)) or "none"
                raise HarnessError(f"{where}: output '{step}' is not in {source} (outputs: {known})") from None
            raise HarnessError(f"{where}: '{expression}' does not resolve in {source}") from None
    if (value is None or value is False) and has_default:
        return default
    return value


@dataclass
class FunctionContext:
    """What function evaluation may read: the component's env, the OS env, and whether !exec is allowed."""

    component_env: Mapping[str, Any]
    os_env: Mapping[str, str]
    allow_exec: bool
    cwd: Path
    repo_root: Path
    where: str
    refs: list[TerraformRef]
    #: With ``--use-mocks``: the producer's ``mocks`` map for a reference (then the reference resolves).
    mocks: Callable[[TerraformRef], tuple[Mapping[str, Any], str]] | None = None


def _env(args: str, ctx: FunctionContext) -> Any:
    parts = shlex.split(args) if args else []
    if not parts:
        raise ConfigError(f"!env needs a variable name{ctx.where}")
    name = parts[0]
    if name in ctx.component_env and ctx.component_env[name] is not None:
        value = ctx.component_env[name]
        return value if not isinstance(value, str) or split_function(value) is None else ""
    if name in ctx.os_env:
        return ctx.os_env[name]
    return parts[1] if len(parts) > 1 else ""


def _exec(args: str, ctx: FunctionContext) -> Any:
    if not ctx.allow_exec:
        raise ConfigError(
            f"!exec is disabled: it runs a shell command from a stack manifest; enable it with --allow-exec "
            f"or HARNESS_ALLOW_EXEC=1{ctx.where}"
        )
    proc = subprocess.run(args, shell=True, capture_output=True, text=True, cwd=ctx.cwd, timeout=120, check=False)
    if proc.returncode != 0:
        raise ConfigError(f"!exec '{args}' failed with exit code {proc.returncode}: {proc.stderr.strip()}{ctx.where}")
    out = proc.stdout.strip()
    try:
        return json.loads(out)
    except ValueError:
        return out


def _template(args: str, ctx: FunctionContext) -> Any:
    try:
        return json.loads(args)
    except ValueError:
        return args


def _terraform(tag: str) -> Callable[[str, FunctionContext], Any]:
    def run(args: str, ctx: FunctionContext) -> Any:
        ref = parse_terraform_ref(tag, args, where=ctx.where)
        ctx.refs.append(ref)
        if ctx.mocks is not None:
            mocks, source = ctx.mocks(ref)
            return output_value(mocks, ref.expression, where=f"{ref}{ctx.where}", source=source)
        return ref

    return run


_HANDLERS: dict[str, Callable[[str, FunctionContext], Any]] = {
    "!env": _env,
    "!exec": _exec,
    "!template": _template,
    "!unset": lambda _args, _ctx: _UNSET,
    "!cwd": lambda _args, ctx: str(ctx.cwd),
    "!repo-root": lambda _args, ctx: str(ctx.repo_root),
    "!terraform.output": _terraform("!terraform.output"),
    "!terraform.state": _terraform("!terraform.state"),
}


def evaluate_tree(value: Any, ctx: FunctionContext) -> Any:
    """Evaluate every function string in a tree; unknown or state-bound functions stay as they are."""
    kind = type(value)
    if kind is str:
        if not value.startswith("!"):
            return value
    elif kind is dict:
        out: dict[str, Any] | None = None
        for k, v in value.items():
            nv = evaluate_tree(v, ctx)
            if nv is not v:
                if out is None:
                    out = dict(value)
                if nv is _UNSET:
                    del out[k]
                else:
                    out[k] = nv
        return value if out is None else out
    elif kind is list:
        items: list[Any] | None = None
        for i, v in enumerate(value):
            nv = evaluate_tree(v, ctx)
            if nv is not v:
                if items is None:
                    items = list(value)
                items[i] = nv
        return value if items is None else [x for x in items if x is not _UNSET]
    elif kind is int or kind is bool or kind is float or value is None:
        return value
    return _evaluate_other(value, ctx)


def _evaluate_other(value: Any, ctx: FunctionContext) -> Any:
    """evaluate_tree for function strings and for subclasses of str, dict and list."""
    if isinstance(value, str):
        call = split_function(value)
        if call is None:
            return value
        handler = _HANDLERS.get(call[0])
        return value if handler is None else handler(call[1], ctx)
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        changed = False
        for k, v in value.items():
            nv = evaluate_tree(v, ctx)
            changed = changed or nv is not v
            if nv is not _UNSET:
                out[k] = nv
        return out if changed else value
    if isinstance(value, list):
        items = [evaluate_tree(v, ctx) for v in value]
        if any(a is not b for a, b in zip(items, value, strict=True)):
            return [i for i in items if i is not _UNSET]
        return value
    return value


def is_deferred(value: Any, *, templates: bool = False) -> bool:
    """Whether a value holds a YAML function call (``!terraform.output`` ...) whose result is not known yet;
    with ``templates``, an unrendered ``{{ }}`` counts too."""
    if isinstance(value, TerraformRef):
        return True
    if isinstance(value, str):
        return split_function(value) is not None or (templates and "{{" in value)
    if isinstance(value, dict):
        return any(is_deferred(v, templates=templates) for v in value.values())
    if isinstance(value, list):
        return any(is_deferred(v, templates=templates) for v in value)
    return False


def collect_refs(value: Any, out: list[TerraformRef]) -> None:
    """Find ``!terraform.*`` calls without evaluating anything (for dependency listing)."""
    if isinstance(value, TerraformRef):
        out.append(value)
    elif isinstance(value, str):
        call = split_function(value)
        if call and call[0] in ("!terraform.output", "!terraform.state"):
            with contextlib.suppress(ConfigError):
                out.append(parse_terraform_ref(call[0], call[1]))
    elif isinstance(value, dict):
        for v in value.values():
            collect_refs(v, out)
    elif isinstance(value, list):
        for v in value:
            collect_refs(v, out)


def default_os_env() -> dict[str, str]:
    return dict(os.environ)
