"""HCL native syntax as plain data: literals as Python values, other expressions as ``${...}`` strings.

The harness reads ``.tf``, ``.hcl`` and ``.tfvars`` files in several places (component declarations,
backend and provider blocks, ``!include`` of tfvars, failure provenance). It does so with its own
structural reader (:mod:`harness.terraform.hcl_reader`) rather than python-hcl2, so that checkov (whose
``bc-python-hcl2`` installs a module of the same name) can share the harness's environment.

The shape is the one python-hcl2 gives with quotes stripped: every block type maps to a list of its
occurrences, each label nests one level (``{"resource": [{"aws_vpc": {"this": {...}}}]}``), nested
blocks inside a body are lists of bodies, literals are Python values and any other expression is its
source text inside ``${...}``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from harness.terraform.expr import BINARY_PRECEDENCE, Node, NotEvaluable, parse
from harness.terraform.hcl_reader import Block, Expr, HclSyntaxError, parse_body, string_end

__all__ = ["HclSyntaxError", "expression_text", "loads", "value_of"]

_HEREDOC = re.compile(r"<<(-?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n")


def loads(text: str, file: str = "") -> dict[str, Any]:
    """Top-level arguments and blocks of one file; raises :class:`HclSyntaxError` (with ``.line``)."""
    attrs, blocks = parse_body(text, file)
    data: dict[str, Any] = {name: value_of(expr) for name, expr in attrs.items()}
    _add_blocks(data, blocks)
    return data


def _add_blocks(into: dict[str, Any], blocks: list[Block]) -> None:
    for block in blocks:
        body: dict[str, Any] = {name: value_of(expr) for name, expr in block.attrs.items()}
        _add_blocks(body, block.blocks)
        item: Any = body
        for label in reversed(block.labels):
            item = {label: item}
        existing = into.get(block.type)
        if isinstance(existing, list):
            existing.append(item)
        else:
            into[block.type] = [item]


def expression_text(text: str) -> str:
    """An expression's source without comments, on one line where it holds no heredoc."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            end = _string_end(text, i)
            out.append(text[i:end])
            i = end
        elif ch == "<" and _HEREDOC.match(text, i):
            return text.strip()  # a heredoc's lines are content, comments included
        elif ch == "#" or text.startswith("//", i):
            newline = text.find("\n", i)
            i = n if newline < 0 else newline
        elif text.startswith("/*", i):
            close = text.find("*/", i + 2)
            i = n if close < 0 else close + 2
            out.append(" ")
        elif ch.isspace():
            start = i
            while i < n and text[i].isspace():
                i += 1
            if out and start > 0:
                out.append(" ")
        else:
            out.append(ch)
            i += 1
    return "".join(out).strip()


def _string_end(text: str, i: int) -> int:
    """Index just past the string literal opening at ``i`` (templates with nested quotes followed)."""
    try:
        return string_end(text, i)
    except HclSyntaxError:
        return len(text)


def value_of(expr: Expr | str) -> Any:
    """A literal as its Python value; any other expression as ``${source}``."""
    text = expr.text if isinstance(expr, Expr) else expr
    heredoc = _HEREDOC.match(text.lstrip())
    if heredoc:
        return _heredoc_value(text.lstrip(), heredoc)
    source = expression_text(text)
    if source.startswith('"') and _string_end(source, 0) == len(source):
        return _string_value(source[1:-1])
    try:
        node = parse(source)
    except (NotEvaluable, ValueError):
        return "${" + source + "}"
    if node[0] == "name":  # a bare keyword such as a type name: ``string``
        return str(node[1])
    value, literal = _literal(node)
    if literal:
        return value
    try:
        return "${" + unparse(node) + "}"
    except NotEvaluable:
        return "${" + source + "}"


def _heredoc_value(text: str, match: re.Match[str]) -> Any:
    body = text[match.end():]
    lines = body.split("\n")
    marker = match.group(2)
    content: list[str] = []
    rest = ""
    for index, line in enumerate(lines):
        if line.strip() == marker:
            rest = "\n".join(lines[index + 1:]).strip()
            break
        content.append(line)
    if rest:  # the heredoc is one operand of a larger expression
        return "${" + text.strip() + "}"
    if match.group(1) == "-":
        indents = [len(line) - len(line.lstrip()) for line in content if line.strip()]
        cut = min(indents) if indents else 0
        content = [line[cut:] for line in content]
    return "\n".join(content) + ("\n" if content else "")


def _string_value(raw: str) -> str:
    try:
        value: str = json.loads('"' + raw + '"')
    except ValueError:
        return raw
    return value


def _literal(node: Node) -> tuple[Any, bool]:
    """(value, True) when the whole node is literal; (a value with ``${}`` parts, True) for a collection
    holding some non-literal parts, as python-hcl2 gives; (None, False) otherwise."""
    kind = node[0]
    if kind == "lit":
        return node[1], True
    if kind == "tmpl":
        return _string_value(str(node[1])), True
    if kind == "neg" and node[1][0] == "lit" and isinstance(node[1][1], (int, float)):
        return -node[1][1], True
    if kind == "list":
        return [_part(item) for item in node[1]], True
    if kind == "obj":
        out: dict[str, Any] = {}
        for key, value in node[1]:
            key_value, literal = _literal(key)
            if key[0] == "name":
                key_value, literal = key[1], True
            if not literal or not isinstance(key_value, (str, int, float, bool)):
                return None, False
            out[str(key_value)] = _part(value)
        return out, True
    return None, False


def _part(node: Node) -> Any:
    if node[0] == "name":
        return str(node[1])
    value, literal = _literal(node)
    return value if literal else "${" + unparse(node) + "}"


def unparse(node: Node) -> str:
    """HCL source for a parsed expression (spacing normalized)."""
    kind = node[0]
    if kind == "lit":
        value = node[1]
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "true" if value else "false"
        return json.dumps(value) if isinstance(value, str) else str(value)
    if kind == "tmpl":
        return f'"{node[1]}"'
    if kind == "name":
        return str(node[1])
    if kind == "get":
        return f"{unparse(node[1])}.{node[2]}"
    if kind == "index":
        return f"{unparse(node[1])}[{unparse(node[2])}]"
    if kind == "call":
        return f"{node[1]}({', '.join(unparse(a) for a in node[2])})"
    if kind == "bin":
        return f"{_operand(node[2], node[1])} {node[1]} {_operand(node[3], node[1])}"
    if kind == "not":
        return f"!{_operand(node[1], '!')}"
    if kind == "neg":
        return f"-{_operand(node[1], '!')}"
    if kind == "cond":
        return f"{_operand(node[1], '?')} ? {unparse(node[2])} : {unparse(node[3])}"
    if kind == "list":
        return "[" + ", ".join(unparse(item) for item in node[1]) + "]"
    if kind == "obj":
        return "{" + ", ".join(f"{_key(k)} = {unparse(v)}" for k, v in node[1]) + "}"
    if kind == "for":
        _, closer, first, second, collection, key, value, cond = node
        names = f"{first}, {second}" if second else str(first)
        result = f"{unparse(key)} => {unparse(value)}" if key is not None else unparse(value)
        tail = f" if {unparse(cond)}" if cond is not None else ""
        opener = "[" if closer == "]" else "{"
        return f"{opener}for {names} in {unparse(collection)} : {result}{tail}{closer}"
    raise NotEvaluable(f"cannot write {kind!r}")


def _key(node: Node) -> str:
    if node[0] == "lit" and isinstance(node[1], str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", node[1]):
        return str(node[1])
    return unparse(node) if node[0] in ("lit", "tmpl") else f"({unparse(node)})"


def _operand(node: Node, parent: str) -> str:
    text = unparse(node)
    if node[0] == "cond" or (node[0] == "bin" and parent in BINARY_PRECEDENCE
                              and BINARY_PRECEDENCE[node[1]] <= BINARY_PRECEDENCE[parent]) or (
            node[0] == "bin" and parent in ("!", "?")):
        return f"({text})"
    return text
