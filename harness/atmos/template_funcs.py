"""The template functions Atmos renders: Go's builtins, Sprig (v3) and Gomplate's namespaces that need no network.

Atmos merges Gomplate's functions, then Sprig's over them, so where both define a name Sprig's meaning wins.
Each function follows its Go source; the semantics that differ from Python's obvious choice:

- ``default D V``: V when V is non-empty, else D; empty = nil, false, 0, 0.0, "", empty list or map (a
  missing key counts as empty). ``empty``, ``coalesce`` (first non-empty argument) use the same test.
- ``required [MSG] V`` (Gomplate): V unless it is nil or "" (then an error with MSG).
- ``fail MSG``: an error with MSG.
- ``env NAME``: the OS variable or ""; ``expandenv S`` / ``env.ExpandEnv``: ``$X``/``${X}`` substituted.
  ``env.Getenv NAME [DEFAULT]``: the variable, or DEFAULT when unset or empty.
- ``toJson``/``toPrettyJson`` (Go ``json.Marshal``): map keys sorted, ``<``, ``>``, ``&`` escaped as ``\\u003c``
  ``\\u003e`` ``\\u0026``, non-ASCII kept, integral floats printed as integers; ``toRawJson`` does not escape.
  Gomplate's ``data.ToJSON``/``toJSON`` and ``data.ToJSONPretty INDENT V`` marshal the same way.
- ``title``/``strings.Title``: Go ``strings.Title``: the rune after a separator (ASCII other than letters,
  digits and ``_``; beyond ASCII, spaces) is upper-cased, nothing is lower-cased (``hello_world-x's`` ->
  ``Hello_world-X'S``). ``untitle`` lower-cases the first letter of each space-delimited word.
- ``quote V...``: each non-nil argument as Go's ``%q`` (double-quoted, Go escapes), space-joined;
  ``squote``: each in single quotes. ``strings.Quote V`` / ``strings.Squote V``: one value.
- Sprig string functions take the string LAST (``trimPrefix "x" .s``, ``replace "a" "b" .s``,
  ``contains "sub" .s``, ``trunc 5 .s``, ``substr 0 3 .s``, ``repeat 3 .s``, ``indent 2 .s``), so they pipe.
  Gomplate's ``strings.*`` take the input last as well (``strings.ReplaceAll OLD NEW S``, ``strings.Trim
  CUTSET S``, ``strings.Split SEP S``, ``strings.Contains SUB S``).
- ``split SEP S`` gives a map ``{_0: .., _1: ..}``; ``splitList SEP S`` / ``strings.Split`` a list.
- ``join SEP LIST`` (Sprig) and ``conv.Join LIST SEP`` (Gomplate) print each element with ``%v``.
- ``keys`` and ``coll.Keys`` return the keys sorted (Go's map order is random; Gomplate sorts).
- ``merge DST SRC...`` (Sprig and ``coll.Merge``): DST's values win; ``mergeOverwrite``: later values win.
- ``add``/``sub``/``mul``/``div``/``mod``/``max``/``min`` (Sprig): int64 arithmetic, ``div`` truncates toward
  zero; arguments are converted like ``cast.ToInt64`` ("3" -> 3, 2.9 -> 2). ``math.*`` (Gomplate) keep
  floats when an argument is a float, ``math.Div`` always divides as floats.
- ``int``/``int64``/``atoi``/``float64``/``toString``/``conv.To*``: ``cast``-style conversions;
  ``conv.ToBool`` is true for 1, "1", "t", "true", "yes", "on" (any case).
- ``ternary T F COND``: T when COND is true. ``index`` on a map gives nil for a missing key.
- ``print`` adds spaces between operands when neither is a string (Go ``fmt.Sprint``); ``printf`` supports
  ``%v %s %d %q %t %f %e %g %x %X %o %b %c %%`` with flags, width and precision.
- ``data.JSON``/``json``, ``data.YAML``/``yaml`` (and ``*Array``) parse text; ``data.ToYAML``/``toYAML``
  prints YAML with sorted keys. ``b64enc``/``b64dec``, ``sha1sum``/``sha256sum``, ``regexMatch``/
  ``regexFind``/``regexReplaceAll`` (``$1`` references), ``path.*``/``filepath.*`` as in Go.

Anything else (``atmos.Component``, ``now``, random and network functions) is not in the table, so the
template engine reports "unsupported template function" with its name.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from harness.atmos.templates import NO_VALUE, Missing, TemplateError, fmt_value, go_float, truth, type_name


@dataclass(frozen=True)
class Call:
    """What a function may read besides its arguments."""

    env: Mapping[str, str]


Func = Callable[..., Any]
FUNCS: dict[str, Func] = {}
#: Functions that see a missing map key as an empty value instead of failing on it.
LENIENT = frozenset(("default", "empty", "coalesce", "required", "conv.Default", "test.Required", "hasKey"))


def _register(*names: str) -> Callable[[Func], Func]:
    def wrap(func: Func) -> Func:
        for name in names:
            FUNCS[name] = func
        return func

    return wrap


def empty(value: Any) -> bool:
    """Sprig's ``empty``: nil, false, 0, "", and empty lists and maps (a missing key too)."""
    if value is None or isinstance(value, Missing):
        return True
    if isinstance(value, (bool, int, float, str, list, tuple, dict)):
        return not value
    return False


def strval(value: Any) -> str:
    """Sprig's ``strval`` / Go's ``fmt.Sprint`` of one value."""
    return value if isinstance(value, str) else fmt_value(value)


def to_int(value: Any) -> int:
    """``cast.ToInt64``: numbers truncated, numeric strings parsed (0 otherwise), bools 0/1, nil 0."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text, 0) if re.fullmatch(r"[-+]?(0[xXoObB])?[0-9a-fA-F_]+", text) else int(float(text))
        except ValueError:
            return 0
    return 0


def to_float(value: Any) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return 0.0
    return 0.0


def go_quote(text: str) -> str:
    """Go's ``strconv.Quote``: double quotes, backslash escapes, other control characters as ``\\x``/``\\u``."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch in "\a\b\f\n\r\t\v":
            out.append({"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
                        "\v": "\\v"}[ch])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif not ch.isprintable():
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _json_ready(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, Missing):
        return None
    return value


def go_json(value: Any, *, indent: int | str | None = None, escape_html: bool = True) -> str:
    """Go's ``json.Marshal``/``MarshalIndent`` of a decoded YAML value (see the module docstring)."""
    if isinstance(indent, int):
        indent = " " * indent
    text = json.dumps(_json_ready(value), sort_keys=True, ensure_ascii=False, indent=indent,
                      separators=(",", ": ") if indent is not None else (",", ":"))
    if escape_html:
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _go_separator(ch: str) -> bool:
    """Go ``strings.Title``'s isSeparator: ASCII other than letters, digits and ``_``; else spaces."""
    if ord(ch) <= 0x7F:
        return not (ch.isalnum() or ch == "_")
    if ch.isalpha() or ch.isdigit():
        return False
    return ch.isspace()


def go_title(text: str) -> str:
    """Go ``strings.Title``: each rune after a separator upper-cased, nothing lower-cased."""
    out: list[str] = []
    previous = " "
    for ch in text:
        out.append(ch.upper() if _go_separator(previous) else ch)
        previous = ch
    return "".join(out)


def _untitle(text: str) -> str:
    """goutils ``Uncapitalize`` as Sprig's ``untitle``: the first letter of each space-delimited word lowered."""
    out: list[str] = []
    previous = " "
    for ch in text:
        out.append(ch.lower() if previous.isspace() else ch)
        previous = ch
    return "".join(out)


# -- Go builtins ------------------------------------------------------------------------------------------
def _compare(a: Any, b: Any) -> tuple[Any, Any]:
    numbers = (int, float)
    if isinstance(a, bool) or isinstance(b, bool):
        if type(a) is not type(b):
            raise TemplateError("incompatible types for comparison")
    elif isinstance(a, numbers) and isinstance(b, numbers):
        return a, b
    elif a is not None and b is not None and type(a) is not type(b):
        raise TemplateError("incompatible types for comparison")
    return a, b


@_register("eq")
def _eq(_: Call, first: Any, *others: Any) -> bool:
    if not others:
        raise TemplateError("missing argument for comparison")
    for other in others:
        a, b = _compare(first, other)
        if a == b:
            return True
    return False


FUNCS["ne"] = lambda c, a, b: not _eq(c, a, b)
FUNCS["lt"] = lambda _c, a, b: _order(a, b) < 0
FUNCS["le"] = lambda _c, a, b: _order(a, b) <= 0
FUNCS["gt"] = lambda _c, a, b: _order(a, b) > 0
FUNCS["ge"] = lambda _c, a, b: _order(a, b) >= 0
FUNCS["not"] = lambda _c, v: not truth(v)


def _order(a: Any, b: Any) -> int:
    a, b = _compare(a, b)
    if isinstance(a, (dict, list)) or a is None or b is None:
        raise TemplateError("invalid type for comparison")
    return -1 if a < b else (1 if a > b else 0)


@_register("len")
def _len(_: Call, value: Any) -> int:
    if isinstance(value, (str, list, tuple, dict)):
        return len(value)
    raise TemplateError(f"len of type {type_name(value)}")


@_register("index")
def _index(_: Call, value: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(value, dict):
            value = value.get(key if isinstance(key, str) else str(key))
        elif isinstance(value, (list, tuple, str)):
            if not isinstance(key, int) or not 0 <= key < len(value):
                raise TemplateError(f"error calling index: index out of range: {key}")
            value = value[key]
        elif value is None:
            raise TemplateError("error calling index: index of untyped nil")
        else:
            raise TemplateError(f"error calling index: can't index item of type {type_name(value)}")
    return value


@_register("print")
def _print(_: Call, *args: Any) -> str:
    out: list[str] = []
    for i, arg in enumerate(args):
        if i and not isinstance(arg, str) and not isinstance(args[i - 1], str):
            out.append(" ")
        out.append(strval(arg))
    return "".join(out)


FUNCS["println"] = lambda _c, *args: " ".join(strval(a) for a in args) + "\n"

_VERB = re.compile(r"%([-+# 0]*)(\d+|\*)?(?:\.(\d+|\*))?([a-zA-Z%])")


@_register("printf")
def printf(_: Call, fmt: str, *args: Any) -> str:
    """Go ``fmt.Sprintf`` for the verbs templates use."""
    values = list(args)
    out: list[str] = []
    pos = 0
    for match in _VERB.finditer(fmt):
        out.append(fmt[pos:match.start()])
        pos = match.end()
        flags, width, precision, verb = match.groups()
        if verb == "%":
            out.append("%")
            continue
        if not values:
            out.append(f"%!{verb}(MISSING)")
            continue
        value = values.pop(0)
        out.append(_format_one(value, flags or "", width, precision, verb))
    out.append(fmt[pos:])
    if values:
        out.append("%!(EXTRA " + ", ".join(f"{type_name(v)}={strval(v)}" for v in values) + ")")
    return "".join(out)


def _format_one(value: Any, flags: str, width: str | None, precision: str | None, verb: str) -> str:
    spec_flags = flags.replace("#", "")
    if verb in "vs":
        text = strval(value)
        if precision is not None and verb == "s":
            text = text[: int(precision)]
    elif verb == "q":
        text = go_quote(strval(value))
    elif verb == "t":
        text = fmt_value(value) if isinstance(value, bool) else f"%!t({type_name(value)}={strval(value)})"
    elif verb in "dboxXc":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or isinstance(value, float):
            if verb in "xX" and isinstance(value, str):
                text = value.encode().hex()
                return text.upper() if verb == "X" else text
            return f"%!{verb}({type_name(value)}={strval(value)})"
        py = {"d": "d", "b": "b", "o": "o", "x": "x", "X": "X", "c": "c"}[verb]
        text = format(value, ("#" if "#" in flags else "") + py)
    elif verb in "feEgG":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return f"%!{verb}({type_name(value)}={strval(value)})"
        if verb in "gG" and precision is None:
            text = go_float(float(value))
        else:
            text = format(float(value), f".{precision if precision is not None else 6}{verb}")
            if verb in "eE":
                text = re.sub(r"([eE][-+])(\d)$", r"\g<1>0\2", text)
    else:
        return f"%!{verb}({type_name(value)}={strval(value)})"
    if width is not None:
        size = int(width)
        if "-" in spec_flags:
            text = text.ljust(size)
        elif "0" in spec_flags and verb not in "vsqt":
            sign = text[0] if text[:1] in "+-" else ""
            text = sign + text[len(sign):].rjust(size - len(sign), "0")
        else:
            text = text.rjust(size)
    if "+" in spec_flags and verb in "dfeEgG" and not text.lstrip().startswith("-"):
        text = "+" + text
    return text


# -- Sprig: defaults and flow -------------------------------------------------------------------------------
FUNCS["default"] = lambda _c, fallback, *given: fallback if not given or empty(given[0]) else given[0]
FUNCS["empty"] = lambda _c, v: empty(v)
FUNCS["coalesce"] = lambda _c, *vals: next((v for v in vals if not empty(v)), None)
FUNCS["all"] = lambda _c, *vals: all(not empty(v) for v in vals)
FUNCS["any"] = lambda _c, *vals: any(not empty(v) for v in vals)
FUNCS["ternary"] = lambda _c, yes, no, cond: yes if truth(cond) else no
FUNCS["test.Ternary"] = FUNCS["ternary"]


@_register("fail", "test.Fail")
def _fail(_: Call, *message: Any) -> Any:
    raise TemplateError("error calling fail: " + " ".join(strval(m) for m in message))


@_register("required", "test.Required")
def _required(_: Call, *args: Any) -> Any:
    message = strval(args[0]) if len(args) == 2 else "can not render template: a required value was not set"
    value = args[-1] if args else None
    if value is None or isinstance(value, Missing) or value == "":
        raise TemplateError(f"error calling required: {message}")
    return value


# -- Sprig: strings -----------------------------------------------------------------------------------------
FUNCS["upper"] = lambda _c, s: strval(s).upper()
FUNCS["lower"] = lambda _c, s: strval(s).lower()
FUNCS["title"] = lambda _c, s: go_title(strval(s))
FUNCS["untitle"] = lambda _c, s: _untitle(strval(s))
FUNCS["trim"] = lambda _c, s: strval(s).strip()
FUNCS["trimAll"] = lambda _c, cut, s: strval(s).strip(strval(cut))
FUNCS["trimPrefix"] = lambda _c, prefix, s: strval(s).removeprefix(strval(prefix))
FUNCS["trimSuffix"] = lambda _c, suffix, s: strval(s).removesuffix(strval(suffix))
FUNCS["nospace"] = lambda _c, s: "".join(strval(s).split())
FUNCS["repeat"] = lambda _c, n, s: strval(s) * max(0, to_int(n))
FUNCS["contains"] = lambda _c, sub, s: strval(sub) in strval(s)
FUNCS["hasPrefix"] = lambda _c, prefix, s: strval(s).startswith(strval(prefix))
FUNCS["hasSuffix"] = lambda _c, suffix, s: strval(s).endswith(strval(suffix))
FUNCS["replace"] = lambda _c, old, new, s: strval(s).replace(strval(old), strval(new))
FUNCS["quote"] = lambda _c, *vals: " ".join(go_quote(strval(v)) for v in vals if v is not None)
FUNCS["squote"] = lambda _c, *vals: " ".join(f"'{strval(v)}'" for v in vals if v is not None)
FUNCS["cat"] = lambda _c, *vals: " ".join(strval(v) for v in vals if v is not None)
FUNCS["indent"] = lambda _c, n, s: " " * to_int(n) + strval(s).replace("\n", "\n" + " " * to_int(n))
FUNCS["nindent"] = lambda c, n, s: "\n" + FUNCS["indent"](c, n, s)
FUNCS["toString"] = lambda _c, v: strval(v)
FUNCS["toStrings"] = lambda _c, v: [strval(x) for x in (v if isinstance(v, (list, tuple)) else [v])]
FUNCS["splitList"] = lambda _c, sep, s: strval(s).split(strval(sep)) if sep != "" else list(strval(s))
FUNCS["split"] = lambda c, sep, s: {f"_{i}": p for i, p in enumerate(FUNCS["splitList"](c, sep, s))}
FUNCS["join"] = lambda _c, sep, items: strval(sep).join(
    strval(v) for v in (items if isinstance(items, (list, tuple)) else [items]) if v is not None)
FUNCS["sortAlpha"] = lambda _c, items: sorted(strval(v) for v in items)


@_register("trunc")
def _trunc(_: Call, n: Any, s: Any) -> str:
    text, count = strval(s), to_int(n)
    if count < 0 and len(text) + count > 0:
        return text[len(text) + count:]
    if 0 <= count < len(text):
        return text[:count]
    return text


@_register("substr")
def _substr(_: Call, start: Any, end: Any, s: Any) -> str:
    text, a, b = strval(s), to_int(start), to_int(end)
    if a < 0:
        return text[:b]
    if b < 0 or b > len(text):
        return text[a:]
    return text[a:b]


def _go_regex_repl(repl: str) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: f"\\g<{m.group(1)}>", repl.replace("\\", "\\\\"))


FUNCS["regexMatch"] = lambda _c, rx, s: re.search(strval(rx), strval(s)) is not None
FUNCS["regexFind"] = lambda _c, rx, s: (lambda m: m.group(0) if m else "")(re.search(strval(rx), strval(s)))
FUNCS["regexFindAll"] = lambda _c, rx, s, n: [m.group(0) for m in re.finditer(strval(rx), strval(s))][
    : (None if to_int(n) < 0 else to_int(n))]
FUNCS["regexReplaceAll"] = lambda _c, rx, s, repl: re.sub(strval(rx), _go_regex_repl(strval(repl)), strval(s))
FUNCS["regexReplaceAllLiteral"] = lambda _c, rx, s, repl: re.sub(strval(rx), lambda _m: strval(repl), strval(s))
FUNCS["regexSplit"] = lambda _c, rx, s, n: re.split(strval(rx), strval(s), maxsplit=max(0, to_int(n) - 1))


# -- Sprig: encoding, JSON, environment -------------------------------------------------------------------
FUNCS["b64enc"] = lambda _c, s: base64.b64encode(strval(s).encode()).decode()
FUNCS["b64dec"] = lambda _c, s: base64.b64decode(strval(s).encode()).decode()
FUNCS["sha1sum"] = lambda _c, s: hashlib.sha1(strval(s).encode()).hexdigest()
FUNCS["sha256sum"] = lambda _c, s: hashlib.sha256(strval(s).encode()).hexdigest()
FUNCS["toJson"] = lambda _c, v: go_json(v)
FUNCS["mustToJson"] = FUNCS["toJson"]
FUNCS["toPrettyJson"] = lambda _c, v: go_json(v, indent=2)
FUNCS["mustToPrettyJson"] = FUNCS["toPrettyJson"]
FUNCS["toRawJson"] = lambda _c, v: go_json(v, escape_html=False)
FUNCS["mustToRawJson"] = FUNCS["toRawJson"]


@_register("fromJson", "mustFromJson")
def _from_json(_: Call, text: Any) -> Any:
    return json.loads(strval(text))


@_register("env")
def _env(call: Call, name: Any) -> str:
    return call.env.get(strval(name), "")


def _expand(call: Call, text: Any) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: call.env.get(m.group(1) or m.group(2), ""), strval(text))


FUNCS["expandenv"] = _expand
FUNCS["env.ExpandEnv"] = _expand


@_register("env.Getenv", "getenv")
def _getenv(call: Call, name: Any, *default: Any) -> str:
    value = call.env.get(strval(name), "")
    return value if value or not default else strval(default[0])


# -- Sprig: lists and dicts ---------------------------------------------------------------------------------
def _as_list(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    if value is None:
        return []
    raise TemplateError(f"cannot use type {type_name(value)} as a list")


FUNCS["list"] = lambda _c, *vals: list(vals)
FUNCS["first"] = lambda _c, v: _as_list(v)[0] if _as_list(v) else None
FUNCS["last"] = lambda _c, v: _as_list(v)[-1] if _as_list(v) else None
FUNCS["rest"] = lambda _c, v: _as_list(v)[1:]
FUNCS["initial"] = lambda _c, v: _as_list(v)[:-1]
FUNCS["append"] = lambda _c, v, x: [*_as_list(v), x]
FUNCS["push"] = FUNCS["append"]
FUNCS["prepend"] = lambda _c, v, x: [x, *_as_list(v)]
FUNCS["concat"] = lambda _c, *lists: [x for v in lists for x in _as_list(v)]
FUNCS["reverse"] = lambda _c, v: list(reversed(_as_list(v)))
FUNCS["compact"] = lambda _c, v: [x for x in _as_list(v) if not empty(x)]
FUNCS["has"] = lambda _c, needle, v: needle in _as_list(v)
FUNCS["without"] = lambda _c, v, *drop: [x for x in _as_list(v) if x not in drop]
FUNCS["uniq"] = lambda _c, v: [x for i, x in enumerate(_as_list(v)) if x not in _as_list(v)[:i]]
FUNCS["slice"] = lambda _c, v, *ix: _as_list(v)[
    (to_int(ix[0]) if ix else 0):(to_int(ix[1]) if len(ix) > 1 else None)]


def _dict_of(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if value is None:
        return {}
    raise TemplateError(f"cannot use type {type_name(value)} as a map")


@_register("dict", "coll.Dict")
def _dict(_: Call, *pairs: Any) -> dict[str, Any]:
    items = list(pairs) + ([""] if len(pairs) % 2 else [])
    return {strval(items[i]): items[i + 1] for i in range(0, len(items), 2)}


FUNCS["get"] = lambda _c, d, k: _dict_of(d).get(strval(k), "")
FUNCS["hasKey"] = lambda _c, d, k: isinstance(d, dict) and strval(k) in d
FUNCS["keys"] = lambda _c, *ds: sorted(k for d in ds for k in _dict_of(d))
FUNCS["values"] = lambda _c, d: list(_dict_of(d).values())
FUNCS["pick"] = lambda _c, d, *ks: {k: v for k, v in _dict_of(d).items() if k in ks}
FUNCS["omit"] = lambda _c, d, *ks: {k: v for k, v in _dict_of(d).items() if k not in ks}


@_register("set")
def _set(_: Call, d: Any, key: Any, value: Any) -> dict[str, Any]:
    target = _dict_of(d)
    target[strval(key)] = value
    return target


@_register("unset")
def _unset(_: Call, d: Any, key: Any) -> dict[str, Any]:
    target = _dict_of(d)
    target.pop(strval(key), None)
    return target


def _deep_merge(dst: dict[str, Any], src: Mapping[str, Any], overwrite: bool) -> dict[str, Any]:
    out = dict(dst)
    for key, value in src.items():
        if key in out and isinstance(out[key], dict) and isinstance(value, dict):
            out[key] = _deep_merge(out[key], value, overwrite)
        elif key not in out or overwrite:
            out[key] = value
    return out


@_register("merge", "mustMerge", "coll.Merge")
def _merge(_: Call, dst: Any, *srcs: Any) -> dict[str, Any]:
    out = _dict_of(dst)
    for src in srcs:
        out = _deep_merge(out, _dict_of(src), overwrite=False)
    return out


@_register("mergeOverwrite", "mustMergeOverwrite")
def _merge_overwrite(_: Call, dst: Any, *srcs: Any) -> dict[str, Any]:
    out = _dict_of(dst)
    for src in srcs:
        out = _deep_merge(out, _dict_of(src), overwrite=True)
    return out


@_register("dig")
def _dig(_: Call, *args: Any) -> Any:
    if len(args) < 3:
        raise TemplateError("dig needs at least three arguments")
    *keys, default, data = args
    value: Any = data
    for key in keys:
        if not isinstance(value, dict) or strval(key) not in value:
            return default
        value = value[strval(key)]
    return value


# -- Sprig: numbers -----------------------------------------------------------------------------------------
def _go_div(a: int, b: int) -> int:
    if b == 0:
        raise ZeroDivisionError("integer divide by zero")
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


FUNCS["add"] = lambda _c, *vals: sum(to_int(v) for v in vals)
FUNCS["add1"] = lambda _c, v: to_int(v) + 1
FUNCS["sub"] = lambda _c, a, b: to_int(a) - to_int(b)
FUNCS["mul"] = lambda _c, a, *vals: math.prod([to_int(a), *(to_int(v) for v in vals)])
FUNCS["div"] = lambda _c, a, b: _go_div(to_int(a), to_int(b))
FUNCS["mod"] = lambda _c, a, b: to_int(a) - _go_div(to_int(a), to_int(b)) * to_int(b)
FUNCS["max"] = lambda _c, a, *vals: max([to_int(a), *(to_int(v) for v in vals)])
FUNCS["min"] = lambda _c, a, *vals: min([to_int(a), *(to_int(v) for v in vals)])
FUNCS["floor"] = lambda _c, v: float(math.floor(to_float(v)))
FUNCS["ceil"] = lambda _c, v: float(math.ceil(to_float(v)))
FUNCS["round"] = lambda _c, v, p, *_r: round(to_float(v), to_int(p))
FUNCS["int"] = lambda _c, v: to_int(v)
FUNCS["int64"] = FUNCS["int"]
FUNCS["float64"] = lambda _c, v: to_float(v)
FUNCS["atoi"] = lambda _c, v: to_int(v) if re.fullmatch(r"\s*[-+]?\d+\s*", strval(v)) else 0
FUNCS["typeOf"] = lambda _c, v: type_name(v)
FUNCS["kindOf"] = lambda _c, v: {"map[string]interface {}": "map", "[]interface {}": "slice",
                                 "interface {}": "invalid"}.get(type_name(v), type_name(v))


# -- Gomplate: strings, conv, data, coll, math, path ----------------------------------------------------------
FUNCS.update({
    "strings.Title": lambda _c, s: go_title(strval(s)),
    "strings.ToUpper": lambda _c, s: strval(s).upper(),
    "strings.ToLower": lambda _c, s: strval(s).lower(),
    "strings.TrimSpace": lambda _c, s: strval(s).strip(),
    "strings.Trim": lambda _c, cut, s: strval(s).strip(strval(cut)),
    "strings.TrimLeft": lambda _c, cut, s: strval(s).lstrip(strval(cut)),
    "strings.TrimRight": lambda _c, cut, s: strval(s).rstrip(strval(cut)),
    "strings.TrimPrefix": lambda _c, prefix, s: strval(s).removeprefix(strval(prefix)),
    "strings.TrimSuffix": lambda _c, suffix, s: strval(s).removesuffix(strval(suffix)),
    "strings.ReplaceAll": lambda _c, old, new, s: strval(s).replace(strval(old), strval(new)),
    "strings.Split": lambda _c, sep, s: strval(s).split(strval(sep)) if sep != "" else list(strval(s)),
    "strings.SplitN": lambda _c, sep, n, s: strval(s).split(strval(sep), to_int(n) - 1) if to_int(n) > 0 else [],
    "strings.Contains": lambda _c, sub, s: strval(sub) in strval(s),
    "strings.HasPrefix": lambda _c, prefix, s: strval(s).startswith(strval(prefix)),
    "strings.HasSuffix": lambda _c, suffix, s: strval(s).endswith(strval(suffix)),
    "strings.Repeat": lambda _c, n, s: strval(s) * max(0, to_int(n)),
    "strings.Quote": lambda _c, s: go_quote(strval(s)),
    "strings.Squote": lambda _c, s: "'" + strval(s).replace("'", "''") + "'",
    "strings.Indent": lambda _c, *a: _gomplate_indent(*a),
    "strings.Trunc": lambda _c, n, s: strval(s)[: max(0, to_int(n))],
    "strings.Join": lambda _c, items, sep: strval(sep).join(strval(v) for v in _as_list(items)),
    "strings.SnakeCase": lambda _c, s: _words_joined(strval(s), "_", str.lower),
    "strings.KebabCase": lambda _c, s: _words_joined(strval(s), "-", str.lower),
    "strings.CamelCase": lambda _c, s: _camel(strval(s)),
    "conv.ToString": lambda _c, v: strval(v),
    "conv.ToInt": lambda _c, v: to_int(v),
    "conv.ToInt64": lambda _c, v: to_int(v),
    "conv.ToFloat64": lambda _c, v: to_float(v),
    "conv.ToBool": lambda _c, v: _to_bool(v),
    "conv.Bool": lambda _c, v: _to_bool(v),
    "conv.Default": lambda _c, fallback, *given: fallback if not given or empty(given[0]) else given[0],
    "conv.Join": lambda _c, items, sep: strval(sep).join(strval(v) for v in _as_list(items)),
    "conv.Has": lambda _c, d, key: (key in d) if isinstance(d, (dict, list)) else False,
    "conv.ToStrings": lambda _c, *vals: [strval(v) for v in vals],
    "coll.Has": lambda _c, d, key: (key in d) if isinstance(d, (dict, list)) else False,
    "coll.Keys": lambda _c, *ds: sorted(k for d in ds for k in _dict_of(d)),
    "coll.Values": lambda _c, *ds: [d[k] for d in ds for k in sorted(_dict_of(d))],
    "coll.Slice": lambda _c, *vals: list(vals),
    "coll.Append": lambda _c, v, items: [*_as_list(items), v],
    "coll.Prepend": lambda _c, v, items: [v, *_as_list(items)],
    "coll.Uniq": lambda c, items: FUNCS["uniq"](c, items),
    "coll.Reverse": lambda _c, items: list(reversed(_as_list(items))),
    "coll.Sort": lambda _c, *a: sorted(_as_list(a[-1]), key=lambda x: (x.get(a[0]) if len(a) > 1 else x)),
    "coll.Pick": lambda _c, *a: {k: v for k, v in _dict_of(a[-1]).items() if k in a[:-1]},
    "coll.Omit": lambda _c, *a: {k: v for k, v in _dict_of(a[-1]).items() if k not in a[:-1]},
    "data.JSON": lambda _c, s: json.loads(strval(s)),
    "data.JSONArray": lambda _c, s: json.loads(strval(s)),
    "data.YAML": lambda _c, s: yaml.safe_load(strval(s)),
    "data.YAMLArray": lambda _c, s: yaml.safe_load(strval(s)),
    "data.ToJSON": lambda _c, v: go_json(v),
    "data.ToJSONPretty": lambda _c, indent, v: go_json(v, indent=strval(indent)),
    "data.ToYAML": lambda _c, v: yaml.safe_dump(_json_ready(v), sort_keys=True, default_flow_style=False),
    "math.Add": lambda _c, *vals: _num(sum(to_float(v) for v in vals), vals),
    "math.Sub": lambda _c, a, b: _num(to_float(a) - to_float(b), (a, b)),
    "math.Mul": lambda _c, *vals: _num(math.prod(to_float(v) for v in vals), vals),
    "math.Div": lambda _c, a, b: to_float(a) / to_float(b),
    "math.Rem": lambda _c, a, b: to_int(a) - _go_div(to_int(a), to_int(b)) * to_int(b),
    "math.Max": lambda _c, *vals: _num(max(to_float(v) for v in vals), vals),
    "math.Min": lambda _c, *vals: _num(min(to_float(v) for v in vals), vals),
    "math.Abs": lambda _c, v: _num(abs(to_float(v)), (v,)),
    "math.Floor": lambda _c, v: float(math.floor(to_float(v))),
    "math.Ceil": lambda _c, v: float(math.ceil(to_float(v))),
    "math.Round": lambda _c, v: float(math.floor(abs(to_float(v)) + 0.5)) * (1 if to_float(v) >= 0 else -1),
    "path.Base": lambda _c, p: posixpath.basename(strval(p).rstrip("/")) or ("/" if strval(p) else "."),
    "path.Dir": lambda _c, p: posixpath.dirname(strval(p)) or ".",
    "path.Ext": lambda _c, p: posixpath.splitext(strval(p))[1],
    "path.Join": lambda _c, *ps: posixpath.normpath(posixpath.join(*(strval(p) for p in ps if p != ""))),
    "path.Clean": lambda _c, p: posixpath.normpath(strval(p)) if strval(p) else ".",
})
for _name in ("Base", "Dir", "Ext", "Join", "Clean"):
    FUNCS[f"filepath.{_name}"] = FUNCS[f"path.{_name}"]
FUNCS.update({
    "json": FUNCS["data.JSON"], "jsonArray": FUNCS["data.JSONArray"], "yaml": FUNCS["data.YAML"],
    "yamlArray": FUNCS["data.YAMLArray"], "toJSON": FUNCS["data.ToJSON"],
    "toJSONPretty": FUNCS["data.ToJSONPretty"], "toYAML": FUNCS["data.ToYAML"], "has": FUNCS["has"],
})


def _num(result: float, inputs: tuple[Any, ...]) -> float | int:
    """Gomplate keeps integers when every input is one."""
    if all(isinstance(v, int) or (isinstance(v, str) and re.fullmatch(r"\s*[-+]?\d+\s*", v)) for v in inputs):
        return int(result)
    return result


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value == 1
    return strval(value).strip().lower() in ("1", "t", "true", "yes", "on")


def _gomplate_indent(*args: Any) -> str:
    """``strings.Indent [WIDTH] [INDENT] S``: every line prefixed (WIDTH copies of INDENT, default one space)."""
    text = strval(args[-1])
    width, pad = 1, " "
    if len(args) == 2:
        if isinstance(args[0], int):
            width = args[0]
        else:
            pad = strval(args[0])
    elif len(args) >= 3:
        width, pad = to_int(args[0]), strval(args[1])
    prefix = pad * width
    return "\n".join(prefix + line if line else line for line in text.split("\n"))


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", text)


def _words_joined(text: str, sep: str, case: Callable[[str], str]) -> str:
    return sep.join(case(w) for w in _words(text))


def _camel(text: str) -> str:
    words = _words(text)
    return (words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:])) if words else ""


assert NO_VALUE  # re-exported for callers that test rendered output
