"""Sensitive values: they compare like the value they hold and never print it.

Terraform shows ``(sensitive value)`` wherever a sensitive value would appear. The plan model
wraps every sensitive leaf in ``Sensitive`` so that a test can still assert on it
(``==``, ``!=``, ``in``, ordering, ``hash``, ``bool``, ``len``, iteration and method calls work, and
what they return is wrapped again when it is not a plain bool/number) while ``repr``, ``str`` and
``format`` give ``(sensitive value)``: pytest's assertion rewriting, ``--showlocals``, f-strings and
logging never see the value. ``reveal()`` is the one deliberate way out.

Only leaves are wrapped (a sensitive map stays a dict of wrapped values), so dotted paths, ``Mapping``
checks and iteration keep working; the keys of a sensitive map are not hidden. An unknown value is never
wrapped: there is nothing to hide in it.

Every wrapped string of a useful length is also remembered (``registered_secrets``): the masking of
test output and reports (``harness.masking``) scrubs those strings from text that came some other way,
such as the source line of a failing assertion or a value read from the stack instead of the plan.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

SENSITIVE_TEXT = "(sensitive value)"
#: Shorter strings are not scrubbed from free text: "true", "1" or "dev" would mask half a report.
MIN_REGISTERED_LENGTH = 6

_REGISTRY: set[str] = set()
_LOCK = threading.Lock()


def register_secret(value: Any) -> None:
    """Remember a secret string so that text masking removes it wherever it shows up."""
    if isinstance(value, str) and len(value.strip()) >= MIN_REGISTERED_LENGTH:
        with _LOCK:
            _REGISTRY.add(value)


def registered_secrets() -> frozenset[str]:
    """Every secret string seen in this process so far."""
    with _LOCK:
        return frozenset(_REGISTRY)


def _plain(value: Any) -> Any:
    return value._value if isinstance(value, Sensitive) else value


def _rewrap(result: Any) -> Any:
    """Results that carry no part of the secret stay plain; the rest stays sensitive."""
    if result is None or isinstance(result, (bool, Sensitive)) or result is NotImplemented:
        return result
    return Sensitive(result)


class Sensitive:
    """A sensitive value: compares, hashes and iterates as the value does; prints as ``(sensitive value)``."""

    __slots__ = ("_value",)
    _value: Any

    def __init__(self, value: Any) -> None:
        object.__setattr__(self, "_value", _plain(value))
        register_secret(self._value)

    def reveal(self) -> Any:
        """The value itself, on purpose (``--show-sensitive``, the plan cache)."""
        return self._value

    unwrap = reveal

    # -- never printed -------------------------------------------------------------------------------
    def __repr__(self) -> str:
        return SENSITIVE_TEXT

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        try:
            return format(SENSITIVE_TEXT, spec)
        except ValueError:  # a numeric spec ("{:.2f}") on the placeholder text
            return SENSITIVE_TEXT

    # -- compares as the value -----------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        return bool(self._value == _plain(other))

    def __ne__(self, other: object) -> bool:
        return bool(self._value != _plain(other))

    def __lt__(self, other: object) -> bool:
        return bool(self._value < _plain(other))

    def __le__(self, other: object) -> bool:
        return bool(self._value <= _plain(other))

    def __gt__(self, other: object) -> bool:
        return bool(self._value > _plain(other))

    def __ge__(self, other: object) -> bool:
        return bool(self._value >= _plain(other))

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __len__(self) -> int:
        return len(self._value)

    def __contains__(self, item: object) -> bool:
        return _plain(item) in self._value

    def __iter__(self) -> Iterator[Any]:
        return (Sensitive(item) for item in self._value)

    def __getitem__(self, key: Any) -> Any:
        return Sensitive(self._value[_plain(key)])

    def __int__(self) -> int:
        return int(self._value)

    def __float__(self) -> float:
        return float(self._value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a Sensitive value is read-only")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)  # copy/pickle probes; never the wrapped value's dunders
        attr = getattr(self._value, name)
        if not callable(attr):
            return _rewrap(attr)

        def call(*args: Any, **kwargs: Any) -> Any:
            return _rewrap(attr(*[_plain(a) for a in args], **{k: _plain(v) for k, v in kwargs.items()}))

        call.__name__ = name
        call.__qualname__ = f"Sensitive.{name}"
        return call

    def __reduce__(self) -> tuple[Callable[..., Sensitive], tuple[Any]]:
        return Sensitive, (self._value,)


def reveal(value: Any) -> Any:
    """``value`` with every Sensitive inside replaced by what it holds (a deep copy of containers)."""
    if isinstance(value, Sensitive):
        return reveal(value.reveal())
    if isinstance(value, Mapping):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    if isinstance(value, tuple):
        return tuple(reveal(v) for v in value)
    return value


def contains_sensitive(value: Any) -> bool:
    """Whether any Sensitive lies inside ``value``."""
    if isinstance(value, Sensitive):
        return True
    if isinstance(value, Mapping):
        return any(contains_sensitive(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_sensitive(v) for v in value)
    return False


def sensitive_strings(*values: Any) -> set[str]:
    """The strings held by the Sensitive leaves inside ``values``."""
    found: set[str] = set()
    stack = list(values)
    while stack:
        item = stack.pop()
        if isinstance(item, Sensitive):
            if isinstance(item.reveal(), str):
                found.add(item.reveal())
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return found


def wrap(value: Any, is_unknown: Callable[[Any], bool] = lambda _: False) -> Any:
    """Every leaf of ``value`` wrapped (containers kept; None and unknowns left as they are)."""
    if value is None or isinstance(value, Sensitive) or is_unknown(value):
        return value
    if isinstance(value, Mapping):
        return {k: wrap(v, is_unknown) for k, v in value.items()}
    if isinstance(value, list):
        return [wrap(v, is_unknown) for v in value]
    if isinstance(value, tuple):
        return tuple(wrap(v, is_unknown) for v in value)
    return Sensitive(value)


def _split(path: str) -> list[str]:
    from harness.plan.model import split_path

    return [str(k) for k in split_path(path)]


def wrap_paths(values: Any, paths: Iterable[str], is_unknown: Callable[[Any], bool] = lambda _: False) -> Any:
    """``values`` with the value at each dotted path wrapped; ``*`` in a path matches every list item or key.

    A path that does not exist in ``values`` is ignored (a provider table names attributes a
    configuration need not set).
    """
    out = values
    for path in paths:
        out = _wrap_at(out, _split(path) if path else [], is_unknown)
    return out


def _wrap_at(value: Any, keys: list[str], is_unknown: Callable[[Any], bool]) -> Any:
    if not keys:
        return wrap(value, is_unknown)
    head, rest = keys[0], keys[1:]
    if isinstance(value, Mapping):
        if head == "*":
            return {k: _wrap_at(v, rest, is_unknown) for k, v in value.items()}
        if head in value:
            return {**value, head: _wrap_at(value[head], rest, is_unknown)}
        return value
    if isinstance(value, list):
        if head == "*":
            return [_wrap_at(v, rest, is_unknown) for v in value]
        if head.isdigit() and int(head) < len(value):
            index = int(head)
            return [*value[:index], _wrap_at(value[index], rest, is_unknown), *value[index + 1:]]
    return value


def expand_paths(values: Any, patterns: Iterable[str]) -> set[str]:
    """The concrete dotted paths of ``values`` that ``patterns`` (with ``*``) name, existing ones only."""
    from harness.plan.model import join_path

    found: set[str] = set()
    for pattern in patterns:
        for keys in _expand(values, _split(pattern)):
            found.add(join_path(keys))
    return found


def _expand(value: Any, keys: list[str]) -> Iterator[list[str | int]]:
    if not keys:
        yield []
        return
    head, rest = keys[0], keys[1:]
    if isinstance(value, Mapping):
        names = list(value) if head == "*" else [head] if head in value else []
        for name in names:
            if value[name] is not None:
                for tail in _expand(value[name], rest):
                    yield [name, *tail]
    elif isinstance(value, list):
        indices = range(len(value)) if head == "*" else [int(head)] if head.isdigit() and int(head) < len(value) else []
        for index in indices:
            if value[index] is not None:
                for tail in _expand(value[index], rest):
                    yield [index, *tail]
