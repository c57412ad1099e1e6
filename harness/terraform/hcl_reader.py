"""A small, fast structural reader for HCL native syntax.

The static engine needs the *source expression* of every argument (to tell a real value
from a placeholder tfparse put in place of a computed attribute) and the line span of
every block. python-hcl2 gives the expressions but costs ~20 ms per file plus a 1.4 s
grammar build per process, more than tfparse itself; this reader only finds structure
(blocks, labels, arguments, line numbers) and the references inside expressions, which
is all the engine needs, in well under a millisecond per file.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field

_IDENT_START = re.compile(r"[A-Za-z_]")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_HEREDOC = re.compile(r"<<(-?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n")
_KEYWORDS = frozenset({"true", "false", "null", "for", "in", "if", "else", "endif", "endfor"})


class HclSyntaxError(ValueError):
    """The reader could not follow the file's structure."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass
class Expr:
    """The raw text of one argument's expression and the line it starts on."""

    text: str
    line: int


@dataclass
class Block:
    """A block: ``resource "aws_vpc" "this" { ... }`` -> type ``resource``, labels [aws_vpc, this]."""

    type: str
    labels: list[str]
    line_start: int
    line_end: int
    file: str = ""
    attrs: dict[str, Expr] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def children(self, type_: str) -> list[Block]:
        """Nested blocks of one type."""
        return [b for b in self.blocks if b.type == type_]


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.n = len(text)
        self._newlines = [m.start() for m in re.finditer("\n", text)]

    def line_at(self, pos: int) -> int:
        return bisect.bisect_left(self._newlines, pos) + 1

    def fail(self, message: str) -> HclSyntaxError:
        return HclSyntaxError(message, self.line_at(self.i))

    def skip_space(self, newlines: bool) -> None:
        text, n = self.text, self.n
        while self.i < n:
            ch = text[self.i]
            if ch in " \t\r" or (newlines and ch == "\n"):
                self.i += 1
            elif ch == "#" or text.startswith("//", self.i):
                end = text.find("\n", self.i)
                self.i = n if end < 0 else end
            elif text.startswith("/*", self.i):
                end = text.find("*/", self.i + 2)
                if end < 0:
                    raise self.fail("unterminated comment")
                self.i = end + 2
            else:
                return

    def skip_string(self) -> None:
        """At an opening quote: move past the closing quote, following template interpolations."""
        text, n = self.text, self.n
        self.i += 1
        while self.i < n:
            ch = text[self.i]
            if ch == "\\":
                self.i += 2
            elif ch == '"':
                self.i += 1
                return
            elif ch in "$%" and text.startswith(ch + "{", self.i + 1):
                self.i += 3
            elif ch in "$%" and text.startswith("{", self.i + 1):
                self.i += 2
                self.skip_until_close("}")
            elif ch == "\n":
                raise self.fail("newline in string")
            else:
                self.i += 1
        raise self.fail("unterminated string")

    def skip_heredoc(self, match: re.Match[str]) -> None:
        marker = match.group(2)
        pos = match.end()
        while pos <= self.n:
            end = self.text.find("\n", pos)
            line = self.text[pos: self.n if end < 0 else end]
            if line.strip() == marker:
                self.i = self.n if end < 0 else end
                return
            if end < 0:
                break
            pos = end + 1
        raise self.fail(f"unterminated heredoc {marker}")

    def skip_until_close(self, closer: str) -> None:
        """Skip a nested expression up to and including ``closer``."""
        pairs = {"(": ")", "[": "]", "{": "}"}
        stack = [closer]
        text = self.text
        while self.i < self.n:
            ch = text[self.i]
            if ch == '"':
                self.skip_string()
                continue
            if ch == "<" and text.startswith("<<", self.i):
                m = _HEREDOC.match(text, self.i)
                if m:
                    self.skip_heredoc(m)
                    continue
            if ch == "#" or text.startswith("//", self.i) or text.startswith("/*", self.i):
                self.skip_space(False)
                continue
            if ch in pairs:
                stack.append(pairs[ch])
            elif ch in ")]}":
                if ch != stack[-1]:
                    raise self.fail(f"unbalanced {ch!r}")
                stack.pop()
                if not stack:
                    self.i += 1
                    return
            self.i += 1
        raise self.fail(f"missing {closer!r}")

    def expression_end(self) -> int:
        """Index just past an argument's expression: a newline or ``}`` at depth 0."""
        text = self.text
        pairs = {"(": ")", "[": "]", "{": "}"}
        while self.i < self.n:
            ch = text[self.i]
            if ch == "\n" or ch == "}":
                break
            if text.startswith("/*", self.i):
                self.skip_space(False)
                continue
            if ch == "#" or text.startswith("//", self.i):
                end = self.i
                self.skip_space(False)
                return end
            if ch == '"':
                self.skip_string()
            elif ch == "<" and text.startswith("<<", self.i) and _HEREDOC.match(text, self.i):
                m = _HEREDOC.match(text, self.i)
                assert m is not None
                self.skip_heredoc(m)
            elif ch in pairs:
                self.i += 1
                self.skip_until_close(pairs[ch])
            else:
                self.i += 1
        return self.i

    def body(self, file: str, top: bool) -> tuple[dict[str, Expr], list[Block]]:
        attrs: dict[str, Expr] = {}
        blocks: list[Block] = []
        text = self.text
        while True:
            self.skip_space(True)
            if self.i >= self.n:
                if top:
                    return attrs, blocks
                raise self.fail("missing '}'")
            if text[self.i] == "}":
                if top:
                    raise self.fail("unexpected '}'")
                self.i += 1
                return attrs, blocks
            start = self.i
            m = _IDENT.match(text, self.i)
            if not m:
                raise self.fail(f"unexpected {text[self.i]!r}")
            name = m.group(0)
            self.i = m.end()
            self.skip_space(False)
            if self.i < self.n and text[self.i] == "=" and not text.startswith("==", self.i):
                self.i += 1
                self.skip_space(False)
                expr_start = self.i
                end = self.expression_end()
                attrs[name] = Expr(text[expr_start:end].rstrip(), self.line_at(expr_start))
                continue
            labels: list[str] = []
            while self.i < self.n and text[self.i] != "{":
                if text[self.i] == '"':
                    s = self.i
                    self.skip_string()
                    labels.append(json.loads(text[s:self.i]))
                else:
                    lm = _IDENT.match(text, self.i)
                    if not lm:
                        raise self.fail(f"unexpected {text[self.i]!r} after {name!r}")
                    labels.append(lm.group(0))
                    self.i = lm.end()
                self.skip_space(False)
            if self.i >= self.n:
                raise self.fail("missing '{'")
            self.i += 1
            line_start = self.line_at(start)
            inner_attrs, inner_blocks = self.body(file, False)
            blocks.append(Block(name, labels, line_start, self.line_at(self.i - 1), file,
                                inner_attrs, inner_blocks))


def parse_body(text: str, file: str = "") -> tuple[dict[str, Expr], list[Block]]:
    """Top-level arguments and blocks of one ``.tf``, ``.hcl`` or ``.tfvars`` file."""
    return _Reader(text).body(file, True)


def string_end(text: str, i: int) -> int:
    """Index just past the string literal that opens at ``i`` (templates with nested quotes followed)."""
    reader = _Reader(text)
    reader.i = i
    reader.skip_string()
    return reader.i


def parse_blocks(text: str, file: str = "") -> list[Block]:
    """Top-level blocks of one ``.tf`` file (top-level arguments are ignored)."""
    reader = _Reader(text)
    _, blocks = reader.body(file, True)
    return blocks


def json_blocks(data: object, file: str = "") -> list[Block]:
    """Blocks of a ``.tf.json`` file; expressions are the JSON values re-serialized."""
    blocks: list[Block] = []
    if not isinstance(data, dict):
        return blocks
    depth = {"resource": 2, "data": 2, "module": 1, "output": 1, "variable": 1,
             "provider": 1, "locals": 0, "terraform": 0}

    def attrs_of(body: object) -> dict[str, Expr]:
        if not isinstance(body, dict):
            return {}
        return {k: Expr(_json_expr(v), 0) for k, v in body.items()}

    for kind, content in data.items():
        levels = depth.get(kind)
        if levels is None:
            continue
        items = content if isinstance(content, list) else [content]
        for item in items:
            _walk_json(kind, item, levels, [], file, blocks, attrs_of)
    return blocks


def _walk_json(kind: str, node: object, levels: int, labels: list[str], file: str,
               out: list[Block], attrs_of: object) -> None:
    assert callable(attrs_of)
    if levels == 0:
        bodies = node if isinstance(node, list) else [node]
        for body in bodies:
            out.append(Block(kind, list(labels), 0, 0, file, attrs_of(body), []))
        return
    if isinstance(node, dict):
        for key, value in node.items():
            for v in value if isinstance(value, list) else [value]:
                _walk_json(kind, v, levels - 1, [*labels, key], file, out, attrs_of)


def _json_expr(value: object) -> str:
    """A JSON value as HCL-ish text: strings keep their ``${}`` templates, so references are found."""
    if isinstance(value, str):
        return json.dumps(value)
    return json.dumps(value)


@dataclass(frozen=True)
class Key:
    """An index step of a traversal: ``[0]``, ``["a"]``; None for ``[*]`` or a computed key."""

    value: int | str | None


@dataclass(frozen=True)
class Ref:
    """A reference found in an expression: ``aws_vpc.this.id`` -> names and index steps."""

    parts: tuple[str | Key, ...]
    text: str

    @property
    def root(self) -> str:
        first = self.parts[0]
        return first if isinstance(first, str) else ""

    @property
    def names(self) -> tuple[str, ...]:
        """The attribute names, index steps skipped (computed once)."""
        cached: tuple[str, ...] | None = self.__dict__.get("_names")
        if cached is None:
            cached = tuple(p for p in self.parts if isinstance(p, str))
            object.__setattr__(self, "_names", cached)
        return cached

    def name_at(self, position: int) -> str | None:
        """The ``position``-th attribute name (index steps skipped), or None."""
        names = self.names
        return names[position] if position < len(names) else None

    def key_after(self, position: int) -> Key | None:
        """The index step right after the ``position``-th name, if any."""
        seen = -1
        for i, part in enumerate(self.parts):
            if isinstance(part, str):
                seen += 1
                if seen == position:
                    nxt = self.parts[i + 1] if i + 1 < len(self.parts) else None
                    return nxt if isinstance(nxt, Key) else None
        return None


@dataclass
class ExprInfo:
    """References and function calls of one expression."""

    refs: list[Ref] = field(default_factory=list)
    functions: set[str] = field(default_factory=set)
    whole_ref: Ref | None = None


def analyze(text: str) -> ExprInfo:
    """Find the references and function names in an expression's text."""
    info = ExprInfo()
    _scan_expr(text, info, set())
    stripped = text.strip()
    if len(info.refs) == 1 and not info.functions and info.refs[0].text == stripped:
        info.whole_ref = info.refs[0]
    elif stripped.startswith('"${') and stripped.endswith('}"') and len(info.refs) == 1:
        inner = stripped[3:-2].strip()
        if info.refs[0].text == inner and not info.functions:
            info.whole_ref = info.refs[0]
    return info


def _scan_expr(text: str, info: ExprInfo, bound: set[str]) -> None:
    i, n = 0, len(text)
    prev = ""
    while i < n:
        ch = text[i]
        if ch in " \t\r\n":
            i += 1
            continue
        if ch == "#" or text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        if ch == '"':
            i = _scan_template(text, i + 1, '"', info, bound)
            prev = '"'
            continue
        if ch == "<" and text.startswith("<<", i):
            m = _HEREDOC.match(text, i)
            if m:
                marker = m.group(2)
                body_start = m.end()
                end_m = re.compile(r"^[ \t]*" + re.escape(marker) + r"[ \t]*$", re.M).search(text, body_start)
                body_end = end_m.start() if end_m else n
                _scan_template(text[:body_end], body_start, "", info, bound)
                i = end_m.end() if end_m else n
                prev = '"'
                continue
        if _IDENT_START.match(ch) and prev != ".":
            i, prev = _scan_traversal(text, i, info, bound)
            continue
        prev = ch
        i += 1


def _scan_template(text: str, i: int, quote: str, info: ExprInfo, bound: set[str]) -> int:
    """Scan a template body from ``i``; returns the index after the closing quote (or end)."""
    n = len(text)
    while i < n:
        ch = text[i]
        if quote and ch == "\\":
            i += 2
            continue
        if quote and ch == quote:
            return i + 1
        if ch in "$%" and text.startswith("{", i + 1):
            if i + 2 < n and text[i:i + 3] in ("$${", "%%{"):
                i += 3
                continue
            inner_start = i + 2
            j = _matching_brace(text, inner_start)
            inner = text[inner_start:j].strip().strip("~").strip()
            _scan_expr(inner, info, bound)
            i = j + 1
            continue
        if ch in "$%" and i + 2 < n and text[i + 1] == ch and text[i + 2] == "{":
            i += 3
            continue
        i += 1
    return n


def _matching_brace(text: str, i: int) -> int:
    depth = 1
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return n


def _scan_traversal(text: str, i: int, info: ExprInfo, bound: set[str]) -> tuple[int, str]:
    start = i
    m = _IDENT.match(text, i)
    assert m is not None
    name = m.group(0)
    i = m.end()
    if name in _KEYWORDS:
        if name == "for":
            j = i
            names: list[str] = []
            while True:
                while j < len(text) and text[j] in " \t\r\n,":
                    j += 1
                im = _IDENT.match(text, j)
                if not im or im.group(0) == "in":
                    break
                names.append(im.group(0))
                j = im.end()
            bound.update(names)
        return i, name
    if text.startswith("::", i):
        while True:
            im = _IDENT.match(text, i + 2) if text.startswith("::", i) else None
            if not im:
                break
            i = im.end()
        info.functions.add(text[start:i])
        return i, name
    k = i
    while k < len(text) and text[k] in " \t":
        k += 1
    if k < len(text) and text[k] == "(":
        info.functions.add(name)
        return i, name
    parts: list[str | Key] = [name]
    n = len(text)
    while i < n:
        if text[i] == "." and i + 1 < n:
            if text[i + 1] == "*":
                parts.append(Key(None))
                i += 2
                continue
            am = _IDENT.match(text, i + 1)
            if am:
                parts.append(am.group(0))
                i = am.end()
                continue
            dm = re.compile(r"\d+").match(text, i + 1)
            if dm:
                parts.append(Key(int(dm.group(0))))
                i = dm.end()
                continue
            break
        if text[i] == "[":
            j = _matching_bracket(text, i + 1)
            inner = text[i + 1:j].strip()
            if inner == "*":
                parts.append(Key(None))
            elif re.fullmatch(r"\d+", inner):
                parts.append(Key(int(inner)))
            elif re.fullmatch(r'"(?:[^"\\$]|\\.)*"', inner):
                parts.append(Key(str(json.loads(inner))))
            else:
                parts.append(Key(None))
                _scan_expr(inner, info, bound)
            i = j + 1
            continue
        break
    if name not in bound:
        info.refs.append(Ref(tuple(parts), text[start:i]))
    return i, "x"


def _matching_bracket(text: str, i: int) -> int:
    depth = 1
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif ch in "[({":
            depth += 1
        elif ch in "])}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return n


def list_elements(text: str) -> list[str] | None:
    """The element texts of a tuple literal ``[a, b]`` (None when ``text`` is not one)."""
    text = text.strip()
    if not (text.startswith("[") and text.endswith("]")) or text.startswith("[for "):
        return None
    inner = text[1:-1]
    out: list[str] = []
    depth = 0
    start = 0
    i = 0
    while i < len(inner):
        ch = inner[i]
        if ch == '"':
            i += 1
            while i < len(inner) and inner[i] != '"':
                i += 2 if inner[i] == "\\" else 1
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth < 0:
                return None
        elif ch == "," and depth == 0:
            out.append(inner[start:i].strip())
            start = i + 1
        i += 1
    last = inner[start:].strip()
    if last:
        out.append(last)
    return out
