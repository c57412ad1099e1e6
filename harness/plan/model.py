"""The engine-independent plan model, shaped after Terraform's plan JSON.

Every engine (static, terraform, recorded) produces a ``Plan``; tests and policies read
it through one query API, so an assertion written once runs on every engine.

Choices worth knowing:

- ``Unknown`` is the single marker for "known after apply". Comparing, testing the truth
  of, iterating or indexing an Unknown raises ``Undetermined``: a check that touches an
  unknown value can never pass by accident.
- ``Resource.actions`` is normalized: Terraform's ``["delete", "create"]`` and
  ``["create", "delete"]`` both become ``("replace",)``; the list exactly as Terraform
  wrote it stays in ``Resource.raw_actions``.
- A sensitive value (``Resource.sensitive`` paths, ``Plan.output_sensitive``,
  ``Plan.variable_sensitive``) is wrapped in ``Sensitive``: it compares as its value and prints as
  ``(sensitive value)``; ``to_json()`` leaves it out unless ``reveal=True``.
- Attribute paths are dotted (``tags.Name``, ``ingress.0.cidr_blocks``); a key that
  contains a dot is written in brackets: ``tags["kubernetes.io/role"]``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from harness.errors import HarnessError
from harness.plan.outcome import Undetermined
from harness.plan.reads import TrackedValues, note_read
from harness.plan.sensitive import Sensitive, sensitive_strings, wrap_paths

ACTIONS = ("create", "update", "delete", "replace", "read", "no-op")
UNKNOWN_KEY = "__unknown__"
#: JSON marker of a sensitive value: ``{"__sensitive__": true}``, with ``"value"`` only when revealed on purpose.
SENSITIVE_KEY = "__sensitive__"


@dataclass(frozen=True, eq=False)
class Unknown:
    """A value the engine cannot know before apply; ``ref`` names what it comes from."""

    reason: str
    ref: str | None = None

    def _undetermined(self) -> NoReturn:
        raise Undetermined(self.reason, ref=self.ref)

    def same_as(self, other: object) -> bool:
        """Field-wise comparison, for tests of the engines themselves."""
        return isinstance(other, Unknown) and (self.reason, self.ref) == (other.reason, other.ref)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Unknown):
            return self.same_as(other)
        self._undetermined()

    def __ne__(self, other: object) -> bool:
        if isinstance(other, Unknown):
            return not self.same_as(other)
        self._undetermined()

    def __hash__(self) -> int:
        return hash((Unknown, self.reason, self.ref))

    def __bool__(self) -> bool:
        self._undetermined()

    def __lt__(self, other: object) -> bool:
        self._undetermined()

    __le__ = __gt__ = __ge__ = __lt__

    def __len__(self) -> int:
        self._undetermined()

    def __iter__(self) -> Iterator[Any]:
        self._undetermined()

    def __contains__(self, item: object) -> bool:
        self._undetermined()

    def __getitem__(self, item: object) -> Any:
        self._undetermined()

    def __repr__(self) -> str:
        ref = f" from {self.ref}" if self.ref else ""
        return f"<unknown{ref}: {self.reason}>"

    def to_json(self) -> dict[str, Any]:
        """The JSON form: ``{"__unknown__": true, "reason": ..., "ref": ...}``."""
        return {UNKNOWN_KEY: True, "reason": self.reason, "ref": self.ref}


@dataclass(frozen=True)
class SourceLocation:
    """Where a block is declared: ``file`` relative to the component directory, 1-based ``line``."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Deferred:
    """A block the engine could not expand (for_each, module) or whose count it could not evaluate."""

    address: str
    reason: str
    source: SourceLocation | None = None


class PlanLookupError(HarnessError, LookupError):
    """A query for exactly one resource found none or several."""


_PATH_TOKEN = re.compile(r'\[\s*"((?:[^"\\]|\\.)*)"\s*\]|\[\s*(\d+)\s*\]|([^.\[\]]+)')


def split_path(path: str | Sequence[str | int]) -> list[str | int]:
    """Split ``a.b.0.c`` or ``tags["x.y"]`` into keys; digits become list indices."""
    if not isinstance(path, str):
        return list(path)
    keys: list[str | int] = []
    for quoted, index, bare in _PATH_TOKEN.findall(path):
        if quoted:
            keys.append(json.loads(f'"{quoted}"'))
        elif index:
            keys.append(int(index))
        elif bare.isdigit():
            keys.append(int(bare))
        else:
            keys.append(bare)
    return keys


def join_path(keys: Iterable[str | int]) -> str:
    """Inverse of ``split_path``."""
    out: list[str] = []
    for key in keys:
        text = str(key)
        if isinstance(key, str) and ("." in key or "[" in key or "]" in key or key.isdigit()):
            out.append(f"[{json.dumps(key)}]")
        else:
            out.append(("." if out else "") + text)
    return "".join(out)


_MISSING: Any = object()


def get_path(value: Any, path: str | Sequence[str | int], default: Any = _MISSING) -> Any:
    """Follow ``path`` into nested dicts/lists; an Unknown on the way is returned as is."""
    current = value
    for key in split_path(path):
        if isinstance(current, Unknown):
            return current
        try:
            if isinstance(current, Mapping):
                current = current[key if key in current else str(key)]
            elif isinstance(current, (list, tuple)) and isinstance(key, int):
                current = current[key]
            else:
                raise KeyError(key)
        except (KeyError, IndexError):
            if default is not _MISSING:
                return default
            raise KeyError(f"no {key!r} in path {path!r}") from None
    return current


def unknown_paths(value: Any, prefix: Sequence[str | int] = ()) -> list[str]:
    """Dotted paths of every Unknown inside ``value``."""
    if isinstance(value, Unknown):
        return [join_path(prefix)] if prefix else [""]
    out: list[str] = []
    if isinstance(value, Mapping):
        for key in value:
            out.extend(unknown_paths(value[key], (*prefix, key)))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            out.extend(unknown_paths(item, (*prefix, i)))
    return out


def normalize_actions(raw: Sequence[str]) -> tuple[str, ...]:
    """Terraform's action list to ours: delete+create in either order is ``replace``."""
    items = tuple(raw)
    if set(items) == {"create", "delete"}:
        return ("replace",)
    return items


def base_address(address: str) -> str:
    """The address without the trailing instance key: ``aws_x.y["a"]`` -> ``aws_x.y``."""
    if address.endswith("]"):
        depth = 0
        in_str = False
        for i in range(len(address) - 1, -1, -1):
            ch = address[i]
            if ch == '"' and (i == 0 or address[i - 1] != "\\"):
                in_str = not in_str
            elif not in_str and ch == "]":
                depth += 1
            elif not in_str and ch == "[":
                depth -= 1
                if depth == 0:
                    return address[:i]
    return address


def format_index(index: int | str | None) -> str:
    """``0`` -> ``[0]``, ``"a"`` -> ``["a"]``, None -> ``""``."""
    if index is None:
        return ""
    if isinstance(index, int):
        return f"[{index}]"
    return f"[{json.dumps(index)}]"


@dataclass
class Resource:
    """One resource instance of the plan (managed or data)."""

    address: str
    mode: str
    type: str
    name: str
    index: int | str | None = None
    module_address: str | None = None
    provider: str | None = None
    actions: tuple[str, ...] = ("create",)
    raw_actions: tuple[str, ...] = ()
    values: dict[str, Any] = field(default_factory=dict)
    before: dict[str, Any] | None = None
    unknown: frozenset[str] = frozenset()
    sensitive: frozenset[str] = frozenset()
    source: SourceLocation | None = None

    def __post_init__(self) -> None:
        if not self.raw_actions:
            self.raw_actions = tuple(self.actions)
        if not self.unknown:
            self.unknown = frozenset(p for p in unknown_paths(self.values) if p)
        if self.sensitive:
            self.values = wrap_paths(self.values, sorted(self.sensitive), _is_unknown)
            self.before = wrap_paths(self.before, sorted(self.sensitive), _is_unknown)
        # reads of the attributes are noted under harness.plan.reads.record_reads (failure provenance)
        self.values = TrackedValues(self.values, self.address)

    @property
    def base_address(self) -> str:
        """The address without the instance key."""
        return base_address(self.address)

    def get(self, path: str | Sequence[str | int], default: Any = _MISSING) -> Any:
        """Dotted access into ``values``: ``r.get("tags.Name")``; Unknown on the way is returned."""
        note_read(self.address, path if isinstance(path, str) else join_path(path))
        try:
            return get_path(self.values, path, default)
        except KeyError:
            keys = ", ".join(sorted(self.values)) or "none"
            raise PlanLookupError(
                f"{self.address} has no attribute path {path!r} (top-level attributes: {keys})"
            ) from None

    def known(self, path: str | Sequence[str | int]) -> Any:
        """Like ``get`` but raises Undetermined when the value is or contains an Unknown."""
        from harness.plan.outcome import require_known

        text = path if isinstance(path, str) else join_path(path)
        return require_known(self.get(path), address=self.address, path=text)

    def is_unknown(self, path: str) -> bool:
        """True when the attribute at ``path`` (or something above it) is unknown."""
        note_read(self.address, path)
        return isinstance(get_path(self.values, path, None), Unknown)

    def to_json(self, *, reveal: bool = False) -> dict[str, Any]:
        """The JSON form (see ``Plan.to_json``)."""
        return {
            "address": self.address,
            "module_address": self.module_address,
            "mode": self.mode,
            "type": self.type,
            "name": self.name,
            "index": self.index,
            "provider": self.provider,
            "actions": list(self.actions),
            "raw_actions": list(self.raw_actions),
            "values": to_jsonable(self.values, reveal=reveal),
            "before": to_jsonable(self.before, reveal=reveal),
            "unknown": sorted(self.unknown),
            "sensitive": sorted(self.sensitive),
            "source": None if self.source is None else {"file": self.source.file, "line": self.source.line},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Resource:
        """Inverse of ``to_json``."""
        src = data.get("source")
        return cls(
            address=data["address"],
            module_address=data.get("module_address"),
            mode=data["mode"],
            type=data["type"],
            name=data["name"],
            index=data.get("index"),
            provider=data.get("provider"),
            actions=tuple(data.get("actions", ())),
            raw_actions=tuple(data.get("raw_actions", ())),
            values=from_jsonable(data.get("values") or {}),
            before=from_jsonable(data.get("before")),
            unknown=frozenset(data.get("unknown", ())),
            sensitive=frozenset(data.get("sensitive", ())),
            source=None if not src else SourceLocation(src["file"], src.get("line")),
        )


def _is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def to_jsonable(value: Any, *, reveal: bool = False) -> Any:
    """Replace every Unknown and Sensitive by its JSON marker (a sensitive value only with ``reveal``)."""
    if isinstance(value, Unknown):
        return value.to_json()
    if isinstance(value, Sensitive):
        if not reveal:
            return {SENSITIVE_KEY: True}
        return {SENSITIVE_KEY: True, "value": to_jsonable(value.reveal(), reveal=True)}
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v, reveal=reveal) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v, reveal=reveal) for v in value]
    return value


def from_jsonable(value: Any) -> Any:
    """Turn JSON markers back into Unknown (``value`` is decoded JSON: plain dicts and lists)."""
    if isinstance(value, dict):
        if value.get(UNKNOWN_KEY) is True:
            return Unknown(str(value.get("reason", "")), value.get("ref"))
        if value.get(SENSITIVE_KEY) is True:
            if "value" not in value:
                return Unknown("sensitive value, not recorded in this file")
            return wrap_paths(from_jsonable(value["value"]), [""], _is_unknown)
        return {k: from_jsonable(v) if isinstance(v, (dict, list)) else v for k, v in value.items()}
    if isinstance(value, list):
        return [from_jsonable(v) if isinstance(v, (dict, list)) else v for v in value]
    return value


def _top_level(names: Iterable[str]) -> list[str]:
    """Output/variable names as paths (a name is one key, whatever characters it holds)."""
    return [join_path([name]) for name in sorted(names)]


Predicate = Callable[[Resource], bool]


def _matches_where(resource: Resource, where: Mapping[str, Any] | Predicate) -> bool:
    if callable(where):
        return bool(where(resource))
    for path, expected in where.items():
        actual = get_path(resource.values, path, _MISSING)
        if actual is _MISSING:
            return False
        if isinstance(actual, Unknown):
            raise Undetermined(actual.reason, address=resource.address, path=path, ref=actual.ref)
        if actual != expected:
            return False
    return True


class Plan:
    """One instance's planned change, as any engine sees it."""

    def __init__(
        self,
        *,
        stack: str,
        component: str,
        engine: str,
        complete: bool,
        resources: Iterable[Resource] = (),
        outputs: Mapping[str, Any] | None = None,
        variables: Mapping[str, Any] | None = None,
        unexpanded: Iterable[Deferred] = (),
        conditional: Iterable[Deferred] = (),
        errors: Iterable[str] = (),
        output_sensitive: Iterable[str] = (),
        variable_sensitive: Iterable[str] = (),
    ) -> None:
        self.stack = stack
        self.component = component
        self.engine = engine
        self.complete = complete
        self._resources = sorted(resources, key=lambda r: r.address)
        self.output_sensitive = frozenset(output_sensitive)
        self.outputs: dict[str, Any] = wrap_paths(dict(sorted((outputs or {}).items())),
                                                  _top_level(self.output_sensitive), _is_unknown)
        # a variable holding a value the plan hides elsewhere (a stack literal fed to a provider-sensitive
        # attribute) is hidden too: Terraform cannot follow the value, the plan model can
        hidden = sensitive_strings([r.values for r in self._resources], self.outputs)
        self.variable_sensitive = frozenset(variable_sensitive) | {
            k for k, v in (variables or {}).items() if isinstance(v, str) and v in hidden}
        self.variables: dict[str, Any] = wrap_paths(dict(sorted((variables or {}).items())),
                                                    _top_level(self.variable_sensitive), _is_unknown)
        self.unexpanded = sorted(unexpanded, key=lambda d: d.address)
        self.conditional = sorted(conditional, key=lambda d: d.address)
        self.errors = list(errors)

    def __repr__(self) -> str:
        return (f"Plan({self.stack}/{self.component}, engine={self.engine}, "
                f"{len(self._resources)} resources, complete={self.complete})")

    @property
    def addresses(self) -> list[str]:
        """Every resource address, sorted."""
        return [r.address for r in self._resources]

    def resources(
        self,
        address: str | None = None,
        *,
        type: str | None = None,
        mode: str | None = None,
        module: str | None = None,
        where: Mapping[str, Any] | Predicate | None = None,
    ) -> list[Resource]:
        """Resources matching all filters; ``address`` matches with or without the instance key.

        ``where`` is a mapping of dotted paths to expected values or a predicate; a filter
        that reads an Unknown raises Undetermined (membership cannot be decided).
        """
        out: list[Resource] = []
        for res in self._resources:
            if address is not None and address not in (res.address, res.base_address):
                continue
            if type is not None and res.type != type:
                continue
            if mode is not None and res.mode != mode:
                continue
            if module is not None and (res.module_address or "") != module:
                continue
            if where is not None and not _matches_where(res, where):
                continue
            out.append(res)
        return out

    def resource(self, address: str) -> Resource:
        """Exactly one resource at ``address``; a clear error listing what exists otherwise."""
        found = self.resources(address)
        if len(found) == 1:
            return found[0]
        for deferred in (*self.unexpanded, *self.conditional):
            hit = address == deferred.address or base_address(address) == deferred.address
            if hit and (not found or deferred in self.unexpanded):
                raise Undetermined(deferred.reason, address=address)
        if not found:
            listing = "\n  ".join(self.addresses) or "(no resources)"
            raise PlanLookupError(
                f"{self.stack}/{self.component}: no resource {address!r}; the plan has:\n  {listing}"
            )
        listing = ", ".join(r.address for r in found)
        raise PlanLookupError(
            f"{self.stack}/{self.component}: {address!r} matches {len(found)} instances ({listing}); "
            "give the instance key"
        )

    def output(self, name: str) -> Any:
        """One output value, with a clear error listing the outputs when absent."""
        if name not in self.outputs:
            names = ", ".join(self.outputs) or "none"
            raise PlanLookupError(f"{self.stack}/{self.component}: no output {name!r} (outputs: {names})")
        return self.outputs[name]

    def to_json(self, *, reveal: bool = False) -> dict[str, Any]:
        """A deterministic JSON-able dict; Unknown is ``{"__unknown__": true, "reason", "ref"}``.

        A sensitive value is ``{"__sensitive__": true}``; with ``reveal`` (the plan cache,
        ``harness plan --show-sensitive``) it also holds ``"value"``.
        """

        def deferred(items: list[Deferred]) -> list[dict[str, Any]]:
            return [
                {"address": d.address, "reason": d.reason,
                 "source": None if d.source is None else {"file": d.source.file, "line": d.source.line}}
                for d in items
            ]

        return {
            "stack": self.stack,
            "component": self.component,
            "engine": self.engine,
            "complete": self.complete,
            "resources": [r.to_json(reveal=reveal) for r in self._resources],
            "outputs": to_jsonable(self.outputs, reveal=reveal),
            "output_sensitive": sorted(self.output_sensitive),
            "variables": to_jsonable(self.variables, reveal=reveal),
            "variable_sensitive": sorted(self.variable_sensitive),
            "unexpanded": deferred(self.unexpanded),
            "conditional": deferred(self.conditional),
            "errors": list(self.errors),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Plan:
        """Inverse of ``to_json`` (used by the plan cache)."""

        def deferred(items: Iterable[Mapping[str, Any]]) -> list[Deferred]:
            out = []
            for d in items:
                src = d.get("source")
                out.append(Deferred(d["address"], d["reason"],
                                    None if not src else SourceLocation(src["file"], src.get("line"))))
            return out

        return cls(
            stack=data["stack"],
            component=data["component"],
            engine=data["engine"],
            complete=bool(data["complete"]),
            resources=[Resource.from_json(r) for r in data.get("resources", ())],
            outputs=from_jsonable(data.get("outputs") or {}),
            variables=from_jsonable(data.get("variables") or {}),
            unexpanded=deferred(data.get("unexpanded", ())),
            conditional=deferred(data.get("conditional", ())),
            errors=data.get("errors", ()),
            output_sensitive=data.get("output_sensitive", ()),
            variable_sensitive=data.get("variable_sensitive", ()),
        )
