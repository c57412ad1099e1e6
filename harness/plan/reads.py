"""Which resource attributes a piece of code read: what a failing plan assertion was looking at.

A resource's ``values`` is a ``TrackedValues`` (a plain ``dict`` to everything else); while
``record_reads()`` is active in the current context, every top-level key looked up in it (``values["x"]``,
``values.get("x")``, ``"x" in values``) and every path given to ``Resource.get``/``known``/``is_unknown`` is
noted as an ``AttributeRead``. Outside ``record_reads()`` nothing is noted and the cost is one context
variable lookup, so engines and policies read plans as before.

Recording the reads, not the values, is what makes the answer exact: ``r.values["bucket"] == "x"`` and
``r.get("tags.Name")`` name their resource and attribute whatever the assertion looks like.
``focus()`` then narrows the reads to those a failing statement names, when it names some.
"""

from __future__ import annotations

import ast
import contextvars
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

#: The longest list of reads kept per recording (a loop over a large plan stops being noted past it).
MAX_READS = 500


@dataclass(frozen=True)
class AttributeRead:
    """One attribute of one planned resource instance, read by the code under ``record_reads()``."""

    address: str
    path: str

    @property
    def top(self) -> str:
        """The top-level attribute name (``tags`` of ``tags.Name``, ``ingress`` of ``ingress[0].cidr``)."""
        return self.path.split(".", 1)[0].split("[", 1)[0]


_READS: contextvars.ContextVar[list[AttributeRead] | None] = contextvars.ContextVar("harness_plan_reads",
                                                                                       default=None)


def note_read(address: str, path: str) -> None:
    """Note one read when a recording is active (called by the plan model)."""
    reads = _READS.get()
    if reads is not None and len(reads) < MAX_READS:
        read = AttributeRead(address, path)
        if not reads or reads[-1] != read:
            reads.append(read)


@contextmanager
def record_reads() -> Iterator[list[AttributeRead]]:
    """Note the attribute reads made inside the block, in order (nested recordings each see their own)."""
    reads: list[AttributeRead] = []
    token = _READS.set(reads)
    try:
        yield reads
    finally:
        _READS.reset(token)


class TrackedValues(dict[str, Any]):
    """A resource's top-level attribute map: a ``dict`` that notes key lookups under ``record_reads()``."""

    __slots__ = ("_address",)

    def __init__(self, values: Any = (), address: str = "") -> None:
        super().__init__(values)
        self._address = address

    def __getitem__(self, key: str) -> Any:
        if _READS.get() is not None:
            note_read(self._address, str(key))
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        if _READS.get() is not None:
            note_read(self._address, str(key))
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        if _READS.get() is not None:
            note_read(self._address, str(key))
        return super().__contains__(key)

    def __reduce__(self) -> tuple[Any, ...]:
        # copy/deepcopy/pickle: the same class and address, the items copied as a dict's are
        return (TrackedValues, ((), self._address), None, None, iter(self.items()))


def distinct(reads: Iterable[AttributeRead]) -> list[AttributeRead]:
    """The reads once each, first seen first; a path dropped when a deeper one under it was read too."""
    unique = list(dict.fromkeys(reads))
    out = []
    for read in unique:
        deeper = any(o.address == read.address and o.path != read.path and
                     (o.path.startswith(read.path + ".") or o.path.startswith(read.path + "["))
                     for o in unique)
        if not deeper:
            out.append(read)
    return out


def named_in(statement: str) -> set[str]:
    """The string literals of a statement, and each dotted segment of them (``"tags.Name"`` gives both
    ``tags.Name``, ``tags`` and ``Name``); empty when the text is not parseable Python."""
    try:
        tree = ast.parse(statement.strip())
    except SyntaxError:
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.add(node.value)
            found.update(part.split("[", 1)[0] for part in node.value.split("."))
    return found


def focus(reads: Iterable[AttributeRead], statement: str | None) -> list[AttributeRead]:
    """The reads a failing statement names by a string literal (its attribute, path or resource address);
    every read when it names none of them (the value was read earlier, into a variable)."""
    kept = distinct(reads)
    if not statement:
        return kept
    names = named_in(statement)
    named = [r for r in kept if r.path in names or r.top in names]
    return named or kept
