"""The fidelity check: the static plan of an instance against the terraform plan of the same instance.

Terraform is the reference. For every resource address and output of the two plans, value by value:

- **differs**: both engines know the value and they disagree (a list compared item by item; ``1`` and
  ``1.0`` are the same number), or static gives a value to an attribute Terraform does not have;
- **known but unknown**: static gives a value where Terraform says "known after apply", the worst fault a
  plan can have (a check passes or fails on a value that is not real);
- **static unknown**: static says unknown where Terraform knows: acceptable (a check is undetermined,
  never wrong), counted;
- **not in static**: Terraform has a value for an attribute static does not mention (a provider default or
  computed attribute static does not model; a query for it fails loudly): acceptable, counted.

Addresses present in one plan only fail the check. ``null`` and an absent attribute are the same. A set
attribute (from the provider schema's table, :mod:`harness.terraform.set_attrs`) is compared whatever its order.
Sensitive values are compared as the values they hold and never printed (the report shows the path only).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.plan.model import Plan, Unknown, join_path
from harness.plan.outcome import find_unknown
from harness.plan.sensitive import contains_sensitive, reveal
from harness.terraform.set_attrs import set_attribute_paths

if TYPE_CHECKING:
    from harness.session import SessionOptions

DIFFERS = "differs"
KNOWN_BUT_UNKNOWN = "known-but-unknown"
STATIC_UNKNOWN = "static-unknown"
NOT_IN_STATIC = "not-in-static"
#: The kinds that fail the check.
FAULTS = (DIFFERS, KNOWN_BUT_UNKNOWN)
KINDS = (DIFFERS, KNOWN_BUT_UNKNOWN, STATIC_UNKNOWN, NOT_IN_STATIC)


@dataclass(frozen=True)
class ValueDifference:
    """One value the engines do not agree on: ``where`` is a resource address or ``output.NAME``."""

    where: str
    path: str
    kind: str
    static: Any = None
    terraform: Any = None
    sensitive: bool = False

    def describe(self) -> str:
        """One line; a sensitive value shows as ``(sensitive value)``."""
        at = f"{self.where}.{self.path}" if self.path else self.where
        if self.kind == KNOWN_BUT_UNKNOWN:
            return f"{at}: static says {_show(self.static, self.sensitive)}, terraform says known after apply"
        if self.kind == STATIC_UNKNOWN:
            return f"{at}: static says unknown, terraform says {_show(self.terraform, self.sensitive)}"
        if self.kind == NOT_IN_STATIC:
            return f"{at}: not in the static plan, terraform says {_show(self.terraform, self.sensitive)}"
        return (f"{at}: static says {_show(self.static, self.sensitive)}, "
                f"terraform says {_show(self.terraform, self.sensitive)}")


def _show(value: Any, sensitive: bool, limit: int = 120) -> str:
    if sensitive:
        return "(sensitive value)"
    if isinstance(value, Unknown):
        return "unknown"
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


@dataclass
class EngineComparison:
    """The fidelity check of one instance (``error``: one of the engines could not plan it)."""

    instance_id: str
    only_static: list[str] = field(default_factory=list)
    only_terraform: list[str] = field(default_factory=list)
    differences: list[ValueDifference] = field(default_factory=list)
    #: Known values both engines agree on.
    matching: int = 0
    #: Values both engines call unknown.
    both_unknown: int = 0
    addresses: int = 0
    error: str | None = None

    def of_kind(self, kind: str) -> list[ValueDifference]:
        """The differences of one kind (DIFFERS, KNOWN_BUT_UNKNOWN, STATIC_UNKNOWN, NOT_IN_STATIC)."""
        return [d for d in self.differences if d.kind == kind]

    @property
    def differing(self) -> list[ValueDifference]:
        """Known values that differ."""
        return self.of_kind(DIFFERS)

    @property
    def known_but_unknown(self) -> list[ValueDifference]:
        """Values static calls known and terraform unknown."""
        return self.of_kind(KNOWN_BUT_UNKNOWN)

    @property
    def ok(self) -> bool:
        """Same addresses, no differing value, nothing static knows that terraform does not."""
        return (self.error is None and not self.only_static and not self.only_terraform
                and not any(d.kind in FAULTS for d in self.differences))

    def summary(self) -> str:
        """One line: the verdict and the counts."""
        if self.error is not None:
            return f"ERROR {self.instance_id}: {self.error}"
        verdict = "OK  " if self.ok else "FAIL"
        return (f"{verdict} {self.instance_id}: addresses={self.addresses} "
                f"only-static={len(self.only_static)} only-terraform={len(self.only_terraform)} "
                f"matching={self.matching} differing={len(self.differing)} "
                f"known-but-unknown={len(self.known_but_unknown)} "
                f"static-unknown={len(self.of_kind(STATIC_UNKNOWN))} "
                f"not-in-static={len(self.of_kind(NOT_IN_STATIC))}")

    def to_json(self) -> dict[str, Any]:
        """The counts and the failing differences (paths and values; a sensitive value is never written)."""
        from harness.plan.model import to_jsonable

        def value(v: Any, sensitive: bool) -> Any:
            return {"__sensitive__": True} if sensitive else to_jsonable(v)

        return {"instance": self.instance_id, "ok": self.ok, "error": self.error, "addresses": self.addresses,
                "only_static": self.only_static, "only_terraform": self.only_terraform,
                "matching": self.matching, "both_unknown": self.both_unknown,
                "counts": {kind: len(self.of_kind(kind)) for kind in KINDS},
                "faults": [{"where": d.where, "path": d.path, "kind": d.kind, "static": value(d.static, d.sensitive),
                            "terraform": value(d.terraform, d.sensitive)}
                           for d in self.differences if d.kind in FAULTS]}

    def details(self, *, all_kinds: bool = False) -> list[str]:
        """What makes the check fail, one line each (with ``all_kinds``, the acceptable ones too)."""
        lines = [f"only in the static plan: {a}" for a in self.only_static]
        lines += [f"only in the terraform plan: {a}" for a in self.only_terraform]
        lines += [f"{d.kind}: {d.describe()}" for d in self.differences if all_kinds or d.kind in FAULTS]
        return lines


def compare_plans(static: Plan, terraform: Plan) -> EngineComparison:
    """Compare the static plan of an instance with its terraform plan (see the module's docstring)."""
    result = EngineComparison(f"{terraform.stack}/{terraform.component}")
    ours = {r.address: r for r in static.resources()}
    theirs = {r.address: r for r in terraform.resources()}
    result.only_static = sorted(set(ours) - set(theirs))
    result.only_terraform = sorted(set(theirs) - set(ours))
    result.addresses = len(set(ours) & set(theirs))
    for address in sorted(set(ours) & set(theirs)):
        mine, real = ours[address], theirs[address]
        if mine.actions != real.actions:
            result.differences.append(ValueDifference(address, "(actions)", DIFFERS, list(mine.actions),
                                                      list(real.actions)))
        sets = frozenset(set_attribute_paths(real.provider or mine.provider or "", real.mode, real.type))
        _walk(result, address, (), mine.values, real.values, False, sets)
    for name in sorted(set(static.outputs) | set(terraform.outputs)):
        _walk(result, "output", (name,), static.outputs.get(name), terraform.outputs.get(name), False)
    return result


def _pattern(path: tuple[str | int, ...]) -> str:
    return ".".join("*" if isinstance(k, int) else str(k) for k in path)


def _set_order(mine: list[Any], real: list[Any]) -> list[Any] | None:
    """``mine`` reordered to pair each item with an equal item of ``real`` (a set compared whatever its order);
    None when some item has no equal (the items are then compared in place)."""
    left = list(range(len(mine)))
    out: list[Any] = []
    for item in real:
        match = next((i for i in left if _equal(mine[i], item)), None)
        if match is None:
            return None
        left.remove(match)
        out.append(mine[match])
    return out


def _equal(a: Any, b: Any) -> bool:
    probe = EngineComparison("")
    _walk(probe, "", (), a, b, False)
    return not probe.differences


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, (Mapping, list, tuple)) and not value)


def _known_leaves(value: Any) -> int:
    if isinstance(value, Unknown):
        return 0
    if isinstance(value, Mapping):
        return sum(_known_leaves(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_known_leaves(v) for v in value)
    return 1


def _same_scalar(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))
    return type(a) is type(b) and bool(a == b)


def _walk(result: EngineComparison, where: str, path: tuple[str | int, ...], mine: Any, real: Any,
          sensitive: bool, sets: frozenset[str] = frozenset()) -> None:
    sensitive = sensitive or contains_sensitive(mine) or contains_sensitive(real)
    mine, real = reveal(mine), reveal(real)

    def add(kind: str) -> None:
        result.differences.append(ValueDifference(where, join_path(path), kind, mine, real, sensitive))

    if isinstance(real, Unknown):
        if isinstance(mine, Unknown) or mine is _ABSENT:
            result.both_unknown += 1
        else:
            add(KNOWN_BUT_UNKNOWN)
        return
    if isinstance(mine, Unknown):
        if not _empty(real) and real is not _ABSENT:
            add(STATIC_UNKNOWN)
        return
    if mine is _ABSENT:
        if not _empty(real):
            add(NOT_IN_STATIC)
        return
    if real is _ABSENT:
        real = None
    if isinstance(mine, Mapping) and isinstance(real, Mapping):
        for key in sorted(set(mine) | set(real), key=str):
            _walk(result, where, (*path, key), mine.get(key, _ABSENT), real.get(key, _ABSENT), sensitive, sets)
        return
    if isinstance(mine, (list, tuple)) and isinstance(real, (list, tuple)) and len(mine) == len(real):
        if path and _pattern(path) in sets:
            mine = _set_order(list(mine), list(real)) or mine
        for i, (a, b) in enumerate(zip(mine, real, strict=True)):
            _walk(result, where, (*path, i), a, b, sensitive, sets)
        return
    if _empty(mine) and _empty(real):
        result.matching += 1
        return
    if isinstance(mine, (Mapping, list, tuple)) or isinstance(real, (Mapping, list, tuple)):
        if find_unknown(mine) is not None and real is not None:
            add(STATIC_UNKNOWN)  # a container static knows part of, shaped otherwise than terraform's
        else:
            add(DIFFERS)
        return
    if _same_scalar(mine, real):
        result.matching += 1
    else:
        add(DIFFERS)


class _Absent:
    def __repr__(self) -> str:
        return "(absent)"


_ABSENT: Any = _Absent()


@dataclass
class FidelityReport:
    """The fidelity check over several instances."""

    comparisons: list[EngineComparison]

    @property
    def ok(self) -> bool:
        """Every instance passes."""
        return all(c.ok for c in self.comparisons)

    def total(self, kind: str) -> int:
        """How many differences of ``kind`` over every instance."""
        return sum(len(c.of_kind(kind)) for c in self.comparisons)

    def summary(self) -> str:
        """The totals, one line."""
        failed = sum(1 for c in self.comparisons if not c.ok)
        return (f"fidelity: {len(self.comparisons)} instances, {failed} failed; "
                f"addresses={sum(c.addresses for c in self.comparisons)} "
                f"only-static={sum(len(c.only_static) for c in self.comparisons)} "
                f"only-terraform={sum(len(c.only_terraform) for c in self.comparisons)} "
                f"matching={sum(c.matching for c in self.comparisons)} differing={self.total(DIFFERS)} "
                f"known-but-unknown={self.total(KNOWN_BUT_UNKNOWN)} static-unknown={self.total(STATIC_UNKNOWN)} "
                f"not-in-static={self.total(NOT_IN_STATIC)} "
                f"errors={sum(1 for c in self.comparisons if c.error is not None)}")

    def to_json(self) -> dict[str, Any]:
        """Every instance's comparison and the totals."""
        return {"ok": self.ok, "totals": totals(self.comparisons),
                "instances": [c.to_json() for c in self.comparisons]}

    def lines(self, *, verbose: bool = False) -> Iterator[str]:
        """Per instance its summary line and, indented, what fails (every difference with ``verbose``)."""
        for comparison in self.comparisons:
            yield comparison.summary()
            for line in comparison.details(all_kinds=verbose):
                yield f"    {line}"
        yield self.summary()


def compare_engines(options: SessionOptions, instance_ids: Iterable[str] | None = None, *,
                    only: bool = False) -> FidelityReport:
    """Plan the selected instances (or ``instance_ids``, ``stack/component``) with the static and the
    terraform engine and compare each pair.

    ``options`` select the repository and instances as for any session (its ``engine`` is ignored). The
    terraform side plans in batches, through the plan cache unless ``options.cache`` is ``"off"``; with
    ``only``, each named instance is planned on its own (with its producers), not with the whole selection.
    """
    import dataclasses

    from harness.session import HarnessSession

    # static plans are cheap and follow the engine's code, which the cache key does not cover
    static = HarnessSession(dataclasses.replace(options, engine="static", cache="off"))
    real = HarnessSession(dataclasses.replace(options, engine="terraform"))
    try:
        wanted = list(instance_ids) if instance_ids is not None else [i.id for i in static.selected]
        if only:
            static.plan_groups = {}
            real.plan_groups = {}
        comparisons = [compare_instance(static, real, instance_id) for instance_id in wanted]
    finally:
        static.close()
        real.close()
    return FidelityReport(comparisons)


def compare_instance(static: Any, real: Any, instance_id: str) -> EngineComparison:
    """One instance through two sessions (``HarnessSession`` with the static and the terraform engine)."""
    from harness.errors import HarnessError

    try:
        mine = static.plan(static.instance(instance_id))
    except HarnessError as exc:
        return EngineComparison(instance_id, error=f"static engine: {exc}")
    try:
        theirs = real.plan(real.instance(instance_id))
    except HarnessError as exc:
        return EngineComparison(instance_id, error=f"terraform engine: {exc}")
    return compare_plans(mine, theirs)


def totals(comparisons: Sequence[EngineComparison]) -> dict[str, int]:
    """Counts over several instances, by kind (and ``failed``, ``errors``)."""
    out = {kind: sum(len(c.of_kind(kind)) for c in comparisons) for kind in KINDS}
    out["failed"] = sum(1 for c in comparisons if not c.ok)
    out["errors"] = sum(1 for c in comparisons if c.error is not None)
    return out
