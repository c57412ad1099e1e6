"""A small HCL expression parser and evaluator for what contracts need offline.

Covers type constraints (``map(object({a = optional(string)}))``) and the usual ``validation``
conditions (``contains([...], var.x)``, ``can(regex(...))``, comparisons, ``length``, ``alltrue([for
...])``, ``cidrhost``...). Anything it does not know raises :class:`NotEvaluable`, so callers report "not
statically evaluable" instead of guessing.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


class NotEvaluable(Exception):
    """The expression uses something this evaluator does not implement (or a value it cannot know)."""


class EvalError(Exception):
    """Evaluation failed the way Terraform's would (e.g. regex did not match): ``can()`` turns it into false."""


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
     |(?P<str>"(?:[^"\\]|\\.)*")
     |(?P<op>==|!=|<=|>=|&&|\|\||=>|\.\.\.|[-+*/%<>!?:.,()\[\]{}=])
     |(?P<name>[A-Za-z_][A-Za-z0-9_-]*)
    )""",
    re.X,
)


@dataclass(frozen=True)
class Tok:
    kind: str
    value: str


def tokenize(text: str) -> list[Tok]:
    tokens: list[Tok] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        if text.startswith("${", pos) or text.startswith("%{", pos):
            raise NotEvaluable("template interpolation outside a string")
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise NotEvaluable(f"cannot tokenize near {text[pos:pos + 20]!r}")
        kind = m.lastgroup or ""
        tokens.append(Tok(kind, m.group(kind)))
        pos = m.end()
    tokens.append(Tok("eof", ""))
    return tokens


# -- AST ----------------------------------------------------------------------------------------------
Node = tuple[Any, ...]

BINARY_PRECEDENCE = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4,
                     "+": 5, "-": 5, "*": 6, "/": 6, "%": 6}


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = tokenize(text)
        self.i = 0

    def peek(self, value: str | None = None) -> bool:
        tok = self.toks[self.i]
        return tok.kind != "eof" and (value is None or (tok.value == value and tok.kind in ("op", "name")))

    def take(self, value: str | None = None) -> Tok:
        tok = self.toks[self.i]
        if value is not None and tok.value != value:
            raise NotEvaluable(f"expected {value!r}, got {tok.value!r}")
        self.i += 1
        return tok

    def parse(self) -> Node:
        node = self.expr()
        if self.toks[self.i].kind != "eof":
            raise NotEvaluable(f"unexpected {self.toks[self.i].value!r}")
        return node

    def expr(self) -> Node:
        cond = self.binary(1)
        if self.peek("?"):
            self.take("?")
            yes = self.expr()
            self.take(":")
            no = self.expr()
            return ("cond", cond, yes, no)
        return cond

    def binary(self, level: int) -> Node:
        left = self.unary()
        while True:
            tok = self.toks[self.i]
            prec = BINARY_PRECEDENCE.get(tok.value) if tok.kind == "op" else None
            if prec is None or prec < level:
                return left
            self.i += 1
            right = self.binary(prec + 1)
            left = ("bin", tok.value, left, right)

    def unary(self) -> Node:
        if self.peek("!"):
            self.take()
            return ("not", self.unary())
        if self.peek("-"):
            self.take()
            return ("neg", self.unary())
        return self.postfix(self.primary())

    def postfix(self, node: Node) -> Node:
        while True:
            if self.peek("."):
                self.take()
                tok = self.take()
                if tok.value == "*":
                    raise NotEvaluable("splat expressions")
                node = ("get", node, int(tok.value) if tok.kind == "num" else tok.value)
            elif self.peek("["):
                self.take()
                if self.peek("*"):
                    raise NotEvaluable("splat expressions")
                index = self.expr()
                self.take("]")
                node = ("index", node, index)
            else:
                return node

    def primary(self) -> Node:
        tok = self.take()
        if tok.kind == "num":
            return ("lit", float(tok.value) if any(c in tok.value for c in ".eE") else int(tok.value))
        if tok.kind == "str":
            raw = tok.value[1:-1]
            if "${" in raw or "%{" in raw:
                return ("tmpl", raw)
            return ("lit", json.loads(tok.value))
        if tok.kind == "name":
            if tok.value in ("true", "false"):
                return ("lit", tok.value == "true")
            if tok.value == "null":
                return ("lit", None)
            if self.peek("("):
                self.take("(")
                args: list[Node] = []
                while not self.peek(")"):
                    args.append(self.expr())
                    if self.peek("..."):
                        raise NotEvaluable("argument expansion")
                    if self.peek(","):
                        self.take(",")
                self.take(")")
                return ("call", tok.value, args)
            return ("name", tok.value)
        if tok.value == "(":
            node = self.expr()
            self.take(")")
            return node
        if tok.value == "[":
            if self.peek("for"):
                return self.for_expr("]")
            items: list[Node] = []
            while not self.peek("]"):
                items.append(self.expr())
                if self.peek(","):
                    self.take(",")
            self.take("]")
            return ("list", items)
        if tok.value == "{":
            if self.peek("for"):
                return self.for_expr("}")
            pairs: list[tuple[Node, Node]] = []
            while not self.peek("}"):
                key_tok = self.toks[self.i]
                if key_tok.kind == "name" and self.toks[self.i + 1].value in ("=", ":"):
                    self.i += 1
                    key: Node = ("lit", key_tok.value)
                else:
                    key = self.expr()
                self.take()  # = or :
                pairs.append((key, self.expr()))
                if self.peek(","):
                    self.take(",")
            self.take("}")
            return ("obj", pairs)
        raise NotEvaluable(f"unexpected {tok.value!r}")

    def for_expr(self, closer: str) -> Node:
        self.take("for")
        first = self.take().value
        second = None
        if self.peek(","):
            self.take(",")
            second = self.take().value
        self.take("in")
        collection = self.expr()
        self.take(":")
        value = self.expr()
        key = None
        if closer == "}":
            if not self.peek("=>"):
                raise NotEvaluable("object for expression without =>")
            self.take("=>")
            key, value = value, self.expr()
            if self.peek("..."):
                raise NotEvaluable("grouping for expressions")
        cond = None
        if self.peek("if"):
            self.take("if")
            cond = self.expr()
        self.take(closer)
        return ("for", closer, first, second, collection, key, value, cond)


def parse(text: str) -> Node:
    return _Parser(text).parse()


# -- evaluation --------------------------------------------------------------------------------------------
def _regex(pattern: str, text: str) -> Any:
    try:
        match = re.search(pattern, text)
    except re.error as exc:
        raise EvalError(f"invalid regex: {exc}") from None
    if match is None:
        raise EvalError("regex did not match")
    if match.groupdict():
        return match.groupdict()
    if match.groups():
        return list(match.groups())
    return match.group(0)


def _cidr(prefix: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(prefix, strict=False)
    except ValueError as exc:
        raise EvalError(str(exc)) from None


def _tonumber(value: Any) -> Any:
    if isinstance(value, bool):
        raise EvalError("bool is not a number")
    if isinstance(value, (int, float)):
        return value
    try:
        return int(value) if re.fullmatch(r"-?\d+", str(value)) else float(value)
    except (TypeError, ValueError):
        raise EvalError(f"cannot convert {value!r} to number") from None


def _length(value: Any) -> int:
    if isinstance(value, (str, list, dict)):
        return len(value)
    raise EvalError("length of a non-collection")


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "contains": lambda coll, v: v in coll,
    "length": _length,
    "regex": _regex,
    "regexall": lambda p, s: [m.group(0) for m in re.finditer(p, s)],
    "lower": lambda s: s.lower(),
    "upper": lambda s: s.upper(),
    "startswith": lambda s, p: s.startswith(p),
    "endswith": lambda s, p: s.endswith(p),
    "split": lambda sep, s: s.split(sep),
    "join": lambda sep, items: sep.join(items),
    "trimspace": lambda s: s.strip(),
    "tonumber": _tonumber,
    "tostring": lambda v: v if isinstance(v, str) else json.dumps(v),
    "tolist": list,
    "toset": lambda v: sorted(set(v), key=str),
    "keys": lambda m: sorted(m),
    "values": lambda m: [m[k] for k in sorted(m)],
    "alltrue": lambda items: all(items),
    "anytrue": lambda items: any(items),
    "distinct": lambda items: list(dict.fromkeys(items)),
    "concat": lambda *lists: [x for lst in lists for x in lst],
    "flatten": lambda items: [x for i in items for x in (i if isinstance(i, list) else [i])],
    "min": min,
    "max": max,
    "abs": abs,
    "floor": lambda n: int(n // 1),
    "ceil": lambda n: int(-(-n // 1)),
    "lookup": lambda m, k, *d: m[k] if k in m else (d[0] if d else (_ for _ in ()).throw(EvalError(k))),
    "cidrhost": lambda p, n: str(_cidr(p)[n]),
    "cidrnetmask": lambda p: str(_cidr(p).netmask),
    "cidrsubnet": lambda p, bits, num: str(list(_cidr(p).subnets(prefixlen_diff=bits))[num]),
    "substr": lambda s, off, n: s[off:] if n == -1 else s[off:off + n],
    "replace": lambda s, old, new: s.replace(old, new),
    "format": lambda f, *a: re.sub(r"%[sdv]", "{}", f).format(*a),
    "jsondecode": json.loads,
    "jsonencode": lambda v: json.dumps(v, separators=(",", ":")),
}


class Evaluator:
    """Evaluates a parsed expression against ``var``/``local`` values (everything else is not evaluable)."""

    def __init__(self, variables: Mapping[str, Any], local_values: Mapping[str, Any] | None = None) -> None:
        self.scope: dict[str, Any] = {"var": dict(variables), "local": dict(local_values or {})}

    def eval(self, node: Node, env: Mapping[str, Any] | None = None) -> Any:
        env = env or {}
        kind = node[0]
        if kind == "lit":
            return node[1]
        if kind == "tmpl":
            return re.sub(r"\$\{([^}]*)\}", lambda m: str(self.eval(parse(m.group(1)), env)), node[1])
        if kind == "name":
            name = node[1]
            if name in env:
                return env[name]
            if name in self.scope:
                return self.scope[name]
            raise NotEvaluable(f"reference to '{name}'")
        if kind == "get":
            base = self.eval(node[1], env)
            key = node[2]
            if isinstance(base, dict) and key in base:
                return base[key]
            if isinstance(base, list) and isinstance(key, int) and key < len(base):
                return base[key]
            if base is self.scope.get("var") or base is self.scope.get("local"):
                raise NotEvaluable(f"unknown value '{key}'")
            raise EvalError(f"no attribute {key!r}")
        if kind == "index":
            base = self.eval(node[1], env)
            index = self.eval(node[2], env)
            try:
                return base[index]
            except (KeyError, IndexError, TypeError):
                raise EvalError(f"invalid index {index!r}") from None
        if kind == "not":
            return not self._bool(self.eval(node[1], env))
        if kind == "neg":
            return -_tonumber(self.eval(node[1], env))
        if kind == "cond":
            return self.eval(node[2] if self._bool(self.eval(node[1], env)) else node[3], env)
        if kind == "bin":
            return self._binary(node[1], node[2], node[3], env)
        if kind == "list":
            return [self.eval(n, env) for n in node[1]]
        if kind == "obj":
            return {str(self.eval(k, env)): self.eval(v, env) for k, v in node[1]}
        if kind == "call":
            return self._call(node[1], node[2], env)
        if kind == "for":
            return self._for(node, env)
        raise NotEvaluable(kind)

    @staticmethod
    def _bool(value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return bool(value == "true")
        raise EvalError(f"{value!r} is not a bool")

    def _binary(self, op: str, left: Node, right: Node, env: Mapping[str, Any]) -> Any:
        if op == "&&":
            return self._bool(self.eval(left, env)) and self._bool(self.eval(right, env))
        if op == "||":
            return self._bool(self.eval(left, env)) or self._bool(self.eval(right, env))
        a, b = self.eval(left, env), self.eval(right, env)
        if op == "==":
            return bool(a == b and type(a) is type(b)) or (isinstance(a, (int, float)) and isinstance(b, (int, float))
                                                           and not isinstance(a, bool) and a == b)
        if op == "!=":
            return not self._binary("==", ("lit", a), ("lit", b), env)
        x, y = _tonumber(a), _tonumber(b)
        ops: dict[str, Callable[[Any, Any], Any]] = {
            "<": lambda p, q: p < q, "<=": lambda p, q: p <= q, ">": lambda p, q: p > q, ">=": lambda p, q: p >= q,
            "+": lambda p, q: p + q, "-": lambda p, q: p - q, "*": lambda p, q: p * q,
            "/": lambda p, q: p / q, "%": lambda p, q: p % q,
        }
        return ops[op](x, y)

    def _call(self, name: str, args: list[Node], env: Mapping[str, Any]) -> Any:
        if name == "can":
            try:
                self.eval(args[0], env)
                return True
            except EvalError:
                return False
        if name == "try":
            for arg in args:
                try:
                    return self.eval(arg, env)
                except EvalError:
                    continue
            raise EvalError("no try() argument succeeded")
        func = FUNCTIONS.get(name)
        if func is None:
            raise NotEvaluable(f"function {name}()")
        values = [self.eval(a, env) for a in args]
        try:
            return func(*values)
        except (EvalError, NotEvaluable):
            raise
        except Exception as exc:  # noqa: BLE001 - any Python failure is a Terraform evaluation error
            raise EvalError(f"{name}(): {exc}") from None

    def _for(self, node: Node, env: Mapping[str, Any]) -> Any:
        _, closer, first, second, coll_node, key_node, value_node, cond_node = node
        collection = self.eval(coll_node, env)
        pairs = list(collection.items()) if isinstance(collection, dict) else list(enumerate(collection))
        out_list: list[Any] = []
        out_map: dict[str, Any] = {}
        for k, v in pairs:
            scope = dict(env)
            if second is None:
                scope[first] = v
            else:
                scope[first], scope[second] = k, v
            if cond_node is not None and not self._bool(self.eval(cond_node, scope)):
                continue
            if closer == "]":
                out_list.append(self.eval(value_node, scope))
            else:
                out_map[str(self.eval(key_node, scope))] = self.eval(value_node, scope)
        return out_list if closer == "]" else out_map


def evaluate(text: str, variables: Mapping[str, Any], local_values: Mapping[str, Any] | None = None) -> Any:
    """Evaluate an expression; raises NotEvaluable or EvalError."""
    return Evaluator(variables, local_values).eval(parse(text))
