"""Go ``text/template`` as Atmos renders stack names, import paths and values, with Sprig and Gomplate functions.

The language: ``{{ }}`` actions with ``{{-``/``-}}`` trimming and ``{{/* */}}`` comments; fields (``.a.b``),
variables (``$``, ``$x := ...``, ``$x.a``), literals, pipelines, parenthesised pipelines; ``if``/``else if``/
``else``, ``range`` (lists, and maps in key order, with ``$i, $v :=``), ``with``; Go's builtins (``and``,
``or``, ``not``, ``eq``... ``len``, ``index``, ``print``, ``printf``) and the functions of
:mod:`harness.atmos.template_funcs`. ``define``/``template``/``block`` and ``atmos.*`` calls are not
rendered: they raise TemplateError naming the construct, as does any function outside that table.

Go semantics kept: a missing map key is an error (``map has no entry for key``) unless missing values are
ignored (then ``<no value>``), except as the piped value of ``default`` (and the other emptiness tests
listed in ``LENIENT``), which see it as empty; truth is Go's (false, 0, nil, empty string, list or map are
false); values print as Go's ``%v`` (``map[a:1 b:2]``, ``[a b]``, ``1e+06``, nil as ``<no value>``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

NO_VALUE = "<no value>"
_ACTION = re.compile(r"\{\{(-?)(.*?)(-?)\}\}", re.DOTALL)


class TemplateError(Exception):
    """A template could not be rendered (missing key, bad syntax, unsupported function or construct)."""

    def __init__(self, message: str, *, function: str | None = None) -> None:
        super().__init__(message)
        #: The unsupported function's name, when that is the problem.
        self.function = function
        #: The template text that failed (set by :func:`render`), to find the file and line that hold it.
        self.source: str | None = None


class Missing:
    """A map key that is not there (Go's missingkey=error makes using it an error)."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path


def has_template(text: str) -> bool:
    return "{{" in text


# -- formatting (Go's %v) ---------------------------------------------------------------------------------
def go_float(value: float) -> str:
    """Go's ``%v`` of a float64: ``strconv.FormatFloat(f, 'g', -1, 64)``, shortest digits, with an exponent
    when it is below -4 or at least 6 (``1e+06``, ``1.5``, ``0.0001``, ``1e-05``)."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "0"
    sign, digits, exp = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exp, int)
    text = "".join(str(d) for d in digits)
    x = len(text) + exp - 1
    minus = "-" if sign else ""
    if x < -4 or x >= 6:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{minus}{mantissa}e{'-' if x < 0 else '+'}{abs(x):02d}"
    return minus + format(Decimal(text).scaleb(exp), "f")


def fmt_value(value: Any) -> str:
    """Go's ``%v`` of a decoded YAML value."""
    if value is None:
        return NO_VALUE
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{fmt_value(v)}" for k, v in sorted(value.items(), key=lambda i: str(i[0]))) + "]"
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(fmt_value(v) for v in value) + "]"
    if isinstance(value, Missing):
        return NO_VALUE
    return str(value)


def truth(value: Any) -> bool:
    """Go template truth: false, 0, nil and empty strings, lists and maps are false."""
    if value is None or isinstance(value, Missing):
        return False
    if isinstance(value, (bool, int, float, str, list, tuple, dict)):
        return bool(value)
    return True


# -- lexing -----------------------------------------------------------------------------------------------
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>"(?:[^"\\]|\\.)*")
    | (?P<raw>`[^`]*`)
    | (?P<char>'(?:[^'\\]|\\.)+')
    | (?P<num>[-+]?(?:0[xX][0-9a-fA-F_]+|\d[\d_]*(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?))
    | (?P<field>(?:\.[A-Za-z_][A-Za-z_0-9]*)+|\.)
    | (?P<var>\$[A-Za-z_0-9]*(?:\.[A-Za-z_][A-Za-z_0-9]*)*)
    | (?P<ident>[A-Za-z_][A-Za-z_0-9]*(?:\.[A-Za-z_][A-Za-z_0-9]*)*)
    | (?P<op>:=|=|\||\(|\)|,)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Tok:
    kind: str
    text: str
    spaced: bool = True  # whitespace before it (``(f).x`` chains a field, ``(f) .x`` passes two arguments)


@lru_cache(maxsize=8192)
def _lex(expr: str) -> tuple[Tok, ...]:
    tokens: list[Tok] = []
    pos = 0
    expr = expr.strip()
    while pos < len(expr):
        match = _TOKEN.match(expr, pos)
        if match is None or match.end() == pos:
            rest = expr[pos:].strip()
            if not rest:
                break
            raise TemplateError(f"unexpected '{rest[:20]}' in template action '{{{{ {expr} }}}}'")
        kind = match.lastgroup or ""
        tokens.append(Tok(kind, match.group(kind), match.start(kind) > pos or pos == 0))
        pos = match.end()
    return tuple(tokens)


# -- parsing ----------------------------------------------------------------------------------------------
# An argument: ("field", path) | ("var", name, path) | ("lit", value) | ("ident", name) | ("pipe", Pipeline)
Arg = tuple[Any, ...]


@dataclass(frozen=True)
class Pipeline:
    decl: tuple[str, ...]
    assign: bool  # '=' (assign to an existing variable) rather than ':='
    commands: tuple[tuple[Arg, ...], ...]
    text: str


@dataclass(frozen=True)
class Node:
    """kind: text | action | if | range | with; ``branches``: (pipeline, body) pairs; ``other``: else body."""

    kind: str
    text: str = ""
    pipeline: Pipeline | None = None
    body: tuple[Node, ...] = ()
    other: tuple[Node, ...] = ()
    branches: tuple[tuple[Pipeline, tuple[Node, ...]], ...] = ()


def _literal(tok: Tok) -> Any:
    if tok.kind == "str":
        try:
            return json.loads(tok.text)
        except ValueError:
            return tok.text[1:-1].encode("utf-8").decode("unicode_escape")
    if tok.kind == "raw":
        return tok.text[1:-1]
    if tok.kind == "char":
        inner = tok.text[1:-1].encode("utf-8").decode("unicode_escape")
        return ord(inner[0])
    text = tok.text.replace("_", "")
    if re.fullmatch(r"[-+]?0[xX][0-9a-fA-F]+", text):
        return int(text, 16)
    if re.fullmatch(r"[-+]?\d+", text):
        return int(text)
    return float(text)


def _parse_pipeline(tokens: Sequence[Tok], expr: str) -> Pipeline:
    pos = 0
    decl: list[str] = []
    assign = False
    # $x := ...  |  $i, $v := ...  |  $x = ...
    probe = 0
    names: list[str] = []
    while probe < len(tokens) and tokens[probe].kind == "var" and "." not in tokens[probe].text:
        names.append(tokens[probe].text)
        probe += 1
        if probe < len(tokens) and tokens[probe].text == ",":
            probe += 1
            continue
        break
    if names and probe < len(tokens) and tokens[probe].text in (":=", "="):
        decl, assign, pos = names, tokens[probe].text == "=", probe + 1

    def parse_commands(pos: int, closing: bool) -> tuple[tuple[tuple[Arg, ...], ...], int]:
        commands: list[list[Arg]] = [[]]
        while pos < len(tokens):
            tok = tokens[pos]
            if tok.text == ")" and tok.kind == "op":
                if not closing:
                    raise TemplateError(f"unexpected ')' in template action '{{{{ {expr} }}}}'")
                return tuple(tuple(c) for c in commands), pos + 1
            if tok.text == "|" and tok.kind == "op":
                if not commands[-1]:
                    raise TemplateError(f"missing command before '|' in template action '{{{{ {expr} }}}}'")
                commands.append([])
                pos += 1
                continue
            if tok.text == "(" and tok.kind == "op":
                inner, pos = parse_commands(pos + 1, True)
                sub: Arg = ("pipe", Pipeline((), False, inner, expr))
                if pos < len(tokens) and tokens[pos].kind == "field" and not tokens[pos].spaced:
                    sub = ("chain", sub, tuple(p for p in tokens[pos].text.split(".") if p))
                    pos += 1
                commands[-1].append(sub)
                continue
            if tok.kind == "op":
                raise TemplateError(f"unexpected '{tok.text}' in template action '{{{{ {expr} }}}}'")
            if tok.kind == "field":
                commands[-1].append(("field", tuple(p for p in tok.text.split(".") if p)))
            elif tok.kind == "var":
                name, _, rest = tok.text.partition(".")
                commands[-1].append(("var", name, tuple(p for p in rest.split(".") if p)))
            elif tok.kind == "ident":
                if tok.text in ("true", "false"):
                    commands[-1].append(("lit", tok.text == "true"))
                elif tok.text == "nil":
                    commands[-1].append(("lit", None))
                else:
                    commands[-1].append(("ident", tok.text))
            else:
                commands[-1].append(("lit", _literal(tok)))
            pos += 1
        if closing:
            raise TemplateError(f"unclosed '(' in template action '{{{{ {expr} }}}}'")
        return tuple(tuple(c) for c in commands), pos

    commands, _ = parse_commands(pos, False)
    if not commands or not commands[-1]:
        raise TemplateError(f"missing value in template action '{{{{ {expr} }}}}'")
    return Pipeline(tuple(decl), assign, commands, expr)


_KEYWORDS = ("if", "else", "end", "range", "with", "define", "template", "block", "break", "continue")


def _keyword(expr: str) -> tuple[str, str]:
    head, _, rest = expr.partition(" ")
    head = head.strip()
    if head in _KEYWORDS:
        return head, rest.strip()
    return "", expr


@lru_cache(maxsize=8192)
def parse(text: str) -> tuple[Node, ...]:
    """The template's node tree (cached: stacks repeat the same templates everywhere)."""
    items: list[tuple[str, str]] = []  # ("text", s) | ("action", expr)
    pos = 0
    trim_next = False
    for match in _ACTION.finditer(text):
        start, end = match.span()
        chunk = text[pos:start]
        if trim_next:
            chunk = chunk.lstrip()
        if match.group(1):
            chunk = chunk.rstrip()
        if chunk:
            items.append(("text", chunk))
        expr = match.group(2).strip()
        if not (expr.startswith("/*") and expr.endswith("*/")):
            items.append(("action", expr))
        trim_next = bool(match.group(3))
        pos = end
    tail = text[pos:]
    if trim_next:
        tail = tail.lstrip()
    if tail:
        items.append(("text", tail))
    nodes, _, stop = _parse_nodes(items, 0, text)
    if stop is not None:
        raise TemplateError(f"unexpected {{{{ {stop} }}}} in template")
    return nodes


def _parse_nodes(items: list[tuple[str, str]], index: int, text: str) -> tuple[tuple[Node, ...], int, str | None]:
    """Nodes up to an ``else``/``end`` (returned as the stop keyword's full action text)."""
    nodes: list[Node] = []
    while index < len(items):
        kind, value = items[index]
        index += 1
        if kind == "text":
            nodes.append(Node("text", text=value))
            continue
        keyword, rest = _keyword(value)
        if keyword in ("end", "else"):
            return tuple(nodes), index, value
        if keyword in ("define", "template", "block", "break", "continue"):
            raise TemplateError(f"unsupported template action '{{{{ {value} }}}}'", function=keyword)
        if keyword in ("if", "with"):
            node, index = _parse_branches(keyword, rest, items, index, text)
            nodes.append(node)
        elif keyword == "range":
            pipeline = _parse_pipeline(_lex(rest), rest)
            body, index, stop = _parse_nodes(items, index, text)
            other: tuple[Node, ...] = ()
            if stop is not None and _keyword(stop) == ("else", ""):
                other, index, stop = _parse_nodes(items, index, text)
            if stop is None or _keyword(stop)[0] != "end":
                raise TemplateError("unclosed {{ range }} in template")
            nodes.append(Node("range", pipeline=pipeline, body=body, other=other))
        else:
            nodes.append(Node("action", pipeline=_parse_pipeline(_lex(value), value)))
    return tuple(nodes), index, None


def _parse_branches(
    keyword: str, rest: str, items: list[tuple[str, str]], index: int, text: str
) -> tuple[Node, int]:
    branches: list[tuple[Pipeline, tuple[Node, ...]]] = []
    condition = rest
    while True:
        if not condition:
            raise TemplateError(f"missing condition in {{{{ {keyword} }}}}")
        pipeline = _parse_pipeline(_lex(condition), condition)
        body, index, stop = _parse_nodes(items, index, text)
        branches.append((pipeline, body))
        if stop is None:
            raise TemplateError(f"unclosed {{{{ {keyword} }}}} in template")
        stop_kw, stop_rest = _keyword(stop)
        if stop_kw == "end":
            return Node(keyword, branches=tuple(branches)), index
        # else / else if / else with
        sub_kw, sub_rest = _keyword(stop_rest) if stop_rest else ("", "")
        if stop_rest and sub_kw == keyword:
            condition = sub_rest
            continue
        if stop_rest:
            raise TemplateError(f"unexpected '{{{{ {stop} }}}}' in template")
        other, index, stop = _parse_nodes(items, index, text)
        if stop is None or _keyword(stop)[0] != "end":
            raise TemplateError(f"unclosed {{{{ {keyword} }}}} in template")
        return Node(keyword, branches=tuple(branches), other=other), index


# -- evaluation -------------------------------------------------------------------------------------------
class _State:
    __slots__ = ("env", "ignore_missing", "root", "scopes")

    def __init__(self, root: Any, ignore_missing: bool, env: Mapping[str, str]) -> None:
        self.root = root
        self.ignore_missing = ignore_missing
        self.env = env
        self.scopes: list[dict[str, Any]] = [{"$": root}]

    def lookup_var(self, name: str) -> Any:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        raise TemplateError(f"undefined variable: {name}")

    def set_var(self, name: str, value: Any, declare: bool) -> None:
        if declare:
            self.scopes[-1][name] = value
            return
        for scope in reversed(self.scopes):
            if name in scope:
                scope[name] = value
                return
        raise TemplateError(f"undefined variable: {name}")


def _field(value: Any, path: Sequence[str], shown: str) -> Any:
    for i, part in enumerate(path):
        if isinstance(value, Missing):
            return value
        if isinstance(value, Mapping):
            if part in value:
                value = value[part]
            else:
                return Missing(".".join(path[: i + 1]) if shown == "." else shown)
        elif value is None:
            raise TemplateError(f"nil pointer evaluating interface {{}}.{part}")
        else:
            raise TemplateError(f"can't evaluate field {part} in type {type_name(value)}")
    return value


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, list):
        return "[]interface {}"
    return "interface {}"


def _arg(arg: Arg, dot: Any, state: _State) -> Any:
    kind = arg[0]
    if kind == "field":
        return _field(dot, arg[1], "." + ".".join(arg[1])) if arg[1] else dot
    if kind == "lit":
        return arg[1]
    if kind == "var":
        value = state.lookup_var(arg[1])
        return _field(value, arg[2], arg[1] + "." + ".".join(arg[2])) if arg[2] else value
    if kind == "pipe":
        return _pipeline(arg[1], dot, state)
    if kind == "chain":
        return _field(_strict(_arg(arg[1], dot, state), state), arg[2], "(...)." + ".".join(arg[2]))
    if kind == "ident":
        return _call(arg[1], (), None, False, dot, state)
    raise TemplateError(f"bad template argument {arg!r}")  # pragma: no cover - the parser makes no others


def _strict(value: Any, state: _State) -> Any:
    if isinstance(value, Missing):
        if state.ignore_missing:
            return None
        raise TemplateError(f"map has no entry for key '{value.path.strip('.')}'")
    return value


def _call(name: str, args: Sequence[Arg], piped: Any, has_piped: bool, dot: Any, state: _State) -> Any:
    from harness.atmos import template_funcs

    if name in ("and", "or"):  # Go evaluates these lazily
        values = [*args, ("lit", piped)] if has_piped else list(args)
        if not values:
            raise TemplateError(f"wrong number of args for {name}: want at least 1 got 0")
        result: Any = None
        for item in values:
            result = _strict(_arg(item, dot, state), state)
            if truth(result) == (name == "or"):
                return result
        return result
    func = template_funcs.FUNCS.get(name)
    if func is None:
        if name.startswith("atmos."):
            raise TemplateError(f"unsupported template function '{name}' (it needs Atmos itself)", function=name)
        raise TemplateError(f"unsupported template function '{name}'", function=name)
    lenient = name in template_funcs.LENIENT
    values = [_arg(a, dot, state) for a in args]
    if has_piped:
        values.append(piped)
    if not lenient:
        values = [_strict(v, state) for v in values]
    try:
        return func(template_funcs.Call(state.env), *values)
    except TemplateError:
        raise
    except TypeError as exc:
        raise TemplateError(f"wrong arguments for {name}: {exc}") from None
    except (ValueError, ArithmeticError, LookupError) as exc:
        raise TemplateError(f"error calling {name}: {exc}") from None


def _pipeline(pipeline: Pipeline, dot: Any, state: _State) -> Any:
    value: Any = None
    first = True
    for command in pipeline.commands:
        head, rest = command[0], command[1:]
        if head[0] == "ident":
            value = _call(head[1], rest, value, not first, dot, state)
        else:
            if rest or not first:
                raise TemplateError(f"can't give argument to non-function in '{{{{ {pipeline.text} }}}}'")
            value = _arg(head, dot, state)
        first = False
    for i, name in enumerate(pipeline.decl):
        state.set_var(name, value, not pipeline.assign)
        if i == 0 and len(pipeline.decl) == 1:
            break
    return value


def _run(nodes: Sequence[Node], dot: Any, state: _State, out: list[str]) -> None:
    for node in nodes:
        kind = node.kind
        if kind == "text":
            out.append(node.text)
        elif kind == "action":
            assert node.pipeline is not None
            value = _strict(_pipeline(node.pipeline, dot, state), state)
            if not node.pipeline.decl:
                out.append(fmt_value(value))
        elif kind in ("if", "with"):
            for pipeline, body in node.branches:
                state.scopes.append({})
                try:
                    value = _strict(_pipeline(pipeline, dot, state), state)
                    if truth(value):
                        _run(body, value if kind == "with" else dot, state, out)
                        break
                finally:
                    state.scopes.pop()
            else:
                _run(node.other, dot, state, out)
        elif kind == "range":
            _range(node, dot, state, out)


def _range(node: Node, dot: Any, state: _State, out: list[str]) -> None:
    assert node.pipeline is not None
    decl = node.pipeline.decl
    plain = Pipeline((), False, node.pipeline.commands, node.pipeline.text)
    value = _strict(_pipeline(plain, dot, state), state)
    if isinstance(value, dict):
        items: list[tuple[Any, Any]] = sorted(value.items(), key=lambda i: str(i[0]))
    elif isinstance(value, (list, tuple)):
        items = list(enumerate(value))
    elif isinstance(value, int) and not isinstance(value, bool):
        items = [(i, i) for i in range(value)]
    elif value is None:
        items = []
    else:
        raise TemplateError(f"range can't iterate over {fmt_value(value)}")
    if not items:
        _run(node.other, dot, state, out)
        return
    for key, element in items:
        scope: dict[str, Any] = {}
        if len(decl) == 1:
            scope[decl[0]] = element
        elif len(decl) >= 2:
            scope[decl[0]], scope[decl[1]] = key, element
        state.scopes.append(scope)
        try:
            _run(node.body, element, state, out)
        finally:
            state.scopes.pop()


def render(
    text: str, context: Mapping[str, Any], *, ignore_missing: bool = False, env: Mapping[str, str] | None = None
) -> str:
    """Render ``text`` against ``context``; raise TemplateError on a missing key or unsupported construct."""
    if "{{" not in text:
        return text
    try:
        nodes = parse(text)
        if len(nodes) == 1 and nodes[0].kind == "text":
            return nodes[0].text
        out: list[str] = []
        _run(nodes, context, _State(context, ignore_missing, os.environ if env is None else env), out)
    except TemplateError as exc:
        if exc.source is None:
            exc.source = text
        raise
    return "".join(out)


def render_tree(
    value: Any, context: Mapping[str, Any], *, ignore_missing: bool = False, env: Mapping[str, str] | None = None
) -> Any:
    """Render templates in every string of a tree; returns the same objects where nothing changed."""
    return _render_walk(value, context, ignore_missing, env)


def _render_walk(value: Any, context: Mapping[str, Any], ignore_missing: bool, env: Mapping[str, str] | None) -> Any:
    kind = type(value)
    if kind is str:
        return render(value, context, ignore_missing=ignore_missing, env=env) if "{{" in value else value
    if kind is dict:
        out: dict[str, Any] | None = None
        for k, v in value.items():
            nv = _render_walk(v, context, ignore_missing, env)
            if nv is not v:
                if out is None:
                    out = dict(value)
                out[k] = nv
        return value if out is None else out
    if kind is list:
        items: list[Any] | None = None
        for i, v in enumerate(value):
            nv = _render_walk(v, context, ignore_missing, env)
            if nv is not v:
                if items is None:
                    items = list(value)
                items[i] = nv
        return value if items is None else items
    if kind is int or kind is bool or kind is float or value is None:
        return value
    return _render_other(value, context, ignore_missing, env)


def _render_other(value: Any, context: Mapping[str, Any], ignore_missing: bool, env: Mapping[str, str] | None) -> Any:
    """render_tree for subclasses of str, dict and list (the exact types take the fast path)."""
    if isinstance(value, str):
        return render(value, context, ignore_missing=ignore_missing, env=env) if "{{" in value else value
    if isinstance(value, dict):
        changed = False
        out: dict[str, Any] = {}
        for k, v in value.items():
            nv = _render_walk(v, context, ignore_missing, env)
            changed = changed or nv is not v
            out[k] = nv
        return out if changed else value
    if isinstance(value, list):
        items = [_render_walk(v, context, ignore_missing, env) for v in value]
        if any(a is not b for a, b in zip(items, value, strict=True)):
            return type(value)(items)
        return value
    return value
