"""Split Terraform addresses such as ``module.m["a"].aws_x.y[0]`` into their parts."""

from __future__ import annotations

import json
from dataclasses import dataclass


def tokens(address: str) -> list[str]:
    """``module.m["a"].aws_x.y[0]`` -> ``[module, m, ["a"], aws_x, y, [0]]``."""
    out: list[str] = []
    i, n = 0, len(address)
    current = ""
    while i < n:
        ch = address[i]
        if ch == ".":
            if current:
                out.append(current)
                current = ""
            i += 1
        elif ch == "[":
            if current:
                out.append(current)
                current = ""
            j = i + 1
            while j < n and address[j] != "]":
                if address[j] == '"':
                    j += 1
                    while j < n and address[j] != '"':
                        j += 2 if address[j] == "\\" else 1
                j += 1
            out.append(address[i:j + 1])
            i = j + 1
        else:
            current += ch
            i += 1
    if current:
        out.append(current)
    return out


def parse_index(token: str) -> int | str | None:
    """``[0]`` -> 0, ``["a"]`` -> "a"; anything else -> None."""
    inner = token[1:-1].strip()
    if inner.isdigit():
        return int(inner)
    try:
        value = json.loads(inner)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, (str, int)) else None


@dataclass(frozen=True)
class Address:
    """A parsed instance address."""

    module_instance: str
    module_static: str
    rest: tuple[str, ...]
    index: int | str | None

    @property
    def has_index(self) -> bool:
        return self.index is not None


def parse(address: str) -> Address:
    """Separate the module path (with and without instance keys) from the rest."""
    if "[" not in address and '"' not in address and not address.startswith("module."):
        return Address("", "", tuple(address.split(".")) if address else (), None)
    toks = tokens(address)
    inst: list[str] = []
    static: list[str] = []
    i = 0
    while i + 1 < len(toks) and toks[i] == "module" and not toks[i + 1].startswith("["):
        seg = f"module.{toks[i + 1]}"
        static.append(seg)
        i += 2
        if i < len(toks) and toks[i].startswith("["):
            seg += toks[i]
            i += 1
        inst.append(seg)
    rest = toks[i:]
    index: int | str | None = None
    if rest and rest[-1].startswith("["):
        index = parse_index(rest[-1])
        rest = rest[:-1]
    return Address(".".join(inst), ".".join(static), tuple(rest), index)
