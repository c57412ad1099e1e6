"""The third test outcome: a check that cannot be decided because a value is only known after apply.

A static plan leaves computed attributes unknown. A test that reads one must neither
pass nor fail: it raises ``Undetermined``, which the pytest plugin reports as a skip
counted apart from ordinary skips.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Undetermined(Exception):
    """The answer depends on a value the engine could not determine (known after apply)."""

    def __init__(self, reason: str, *, address: str | None = None, path: str | None = None,
                 ref: str | None = None) -> None:
        self.reason = reason
        self.address = address
        self.path = path
        self.ref = ref
        super().__init__(self._render())

    def _render(self) -> str:
        where = ""
        if self.address:
            where = self.address if not self.path else f"{self.address}.{self.path}"
            where = f"{where}: "
        ref = f" (from {self.ref})" if self.ref else ""
        return f"{where}undetermined: {self.reason}{ref}"


def find_unknown(value: Any, _path: str = "") -> tuple[str, Any] | None:
    """Return (dotted path, Unknown) of the first Unknown inside ``value``, or None if fully known."""
    from harness.plan.model import Unknown

    if isinstance(value, Unknown):
        return _path, value
    if isinstance(value, Mapping):
        for key in value:
            found = find_unknown(value[key], f"{_path}.{key}" if _path else str(key))
            if found is not None:
                return found
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found = find_unknown(item, f"{_path}.{i}" if _path else str(i))
            if found is not None:
                return found
    return None


def is_known(value: Any) -> bool:
    """True when ``value`` holds no Unknown at any depth."""
    return find_unknown(value) is None


def require_known(value: Any, *, address: str | None = None, path: str | None = None) -> Any:
    """Return ``value`` unchanged, or raise Undetermined when it is or contains an Unknown."""
    found = find_unknown(value)
    if found is None:
        return value
    inner, unknown = found
    full = ".".join(p for p in (path, inner) if p) or None
    raise Undetermined(unknown.reason, address=address, path=full, ref=unknown.ref)
