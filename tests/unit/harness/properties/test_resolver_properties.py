"""Properties of the stack resolver over generated repositories (hypothesis)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.atmos import Resolver, load_config
from harness.atmos.merge import deep_merge
from harness.errors import HarnessError
from harness.strategies import SCALARS, StackTree, stack_trees, values, values_of_type, var_maps, write_tree
from harness.terraform import load_module
from harness.terraform.types import type_errors
from tests.unit.harness.conftest import REPO

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


#: Keys with a fixed kind of value: Atmos's merge is associative when a path never changes type
#: (a scalar over a map, or ``{}`` over a map, make the order of grouping matter, as in Atmos).
CONSISTENT = st.fixed_dictionaries({}, optional={
    "name": SCALARS,
    "size": st.integers(0, 9),
    "zones": st.lists(SCALARS, max_size=3),
    "tags": st.dictionaries(st.sampled_from(["a", "b", "c"]), SCALARS, min_size=1, max_size=3),
    "nested": st.fixed_dictionaries({}, optional={"x": SCALARS, "ys": st.lists(SCALARS, max_size=2)}).filter(bool),
})


@SETTINGS
@given(CONSISTENT, CONSISTENT, CONSISTENT, st.sampled_from(["replace", "append"]))
def test_deep_merge_is_associative(a: dict[str, Any], b: dict[str, Any], c: dict[str, Any], strategy: str) -> None:
    assert deep_merge([a, b, c], strategy) == deep_merge([deep_merge([a, b], strategy), c], strategy)
    assert deep_merge([a, b, c], strategy) == deep_merge([a, deep_merge([b, c], strategy)], strategy)


@SETTINGS
@given(var_maps(), var_maps())
def test_later_wins_and_empty_maps_are_identities(a: dict[str, Any], b: dict[str, Any]) -> None:
    merged = deep_merge([a, {}, b])
    for key, value in b.items():
        if not isinstance(value, dict):
            assert merged[key] == value
    assert deep_merge([a, {}]) == deep_merge([{}, a]) == a


def _resolve(tree: StackTree) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root = write_tree(tree, Path(tmp))
        return Resolver(load_config(root)).describe_stacks()


@SETTINGS
@given(stack_trees())
def test_resolution_is_deterministic_and_complete(tree: StackTree) -> None:
    first = _resolve(tree)
    assert first == _resolve(tree)
    for stack, components in tree.components.items():
        described = first[stack]["components"]["terraform"]
        deployable = sorted(c for c, s in described.items() if s["metadata"].get("type") != "abstract")
        assert deployable == components


@SETTINGS
@given(stack_trees())
def test_inheritance_order_and_overrides_precedence(tree: StackTree) -> None:
    described = _resolve(tree)
    for stack, path in tree.stacks.items():
        manifest = tree.files[path]
        overrides = (manifest.get("overrides") or {}).get("vars") or {}
        for comp in tree.components[stack]:
            section = described[stack]["components"]["terraform"][comp]
            own = (((manifest.get("components") or {}).get("terraform") or {}).get(comp) or {}).get("vars") or {}
            catalog = tree.files[f"stacks/catalog/{comp}.yaml"]["components"]["terraform"]
            layers = [catalog[b]["vars"] for b in tree.bases.get(comp, [])] + [catalog[comp]["vars"], own, overrides]
            for key in section["vars"]:
                setters = [layer[key] for layer in layers if key in layer]
                last = setters[-1] if setters else None
                if setters and not isinstance(last, dict):
                    assert section["vars"][key] == last, (stack, comp, key)
            if comp in tree.bases:
                assert section["inheritance"] == list(reversed(tree.bases[comp]))


@st.composite
def broken_trees(draw: st.DrawFn) -> StackTree:
    """A valid tree with one random part replaced by something of the wrong shape."""
    tree = draw(stack_trees(max_stacks=2, max_components=2))
    path = draw(st.sampled_from(sorted(p for p in tree.files if p.startswith("stacks/"))))
    junk = st.one_of(st.none(), SCALAR_JUNK, st.lists(SCALAR_JUNK, max_size=2), st.just("import: [nope]"),
                     st.just("a: [unclosed"), st.just({"import": "not-a-list"}), st.just({"import": ["missing/x"]}),
                     st.just({"vars": ["list"]}), st.just({"components": {"terraform": {"x": 3}}}),
                     st.just({"components": {"terraform": {"x": {"metadata": {"inherits": ["ghost"]}}}}}),
                     st.just({"settings": {"list_merge_strategy": "weird"}, "vars": {"tenant": "t", "stage": "q"},
                              "components": {"terraform": {"x": {"vars": {"a": 1}}}}}),
                     st.just({"metadata": {"bogus": 1}}), st.just({"terraform": {"backend_type": "s3",
                                                                                 "backend": {"gcs": {}}},
                                                                   "components": {"terraform": {"x": {}}}}))
    value = draw(junk)
    tree.files[path] = value
    return tree


SCALAR_JUNK = st.one_of(st.integers(), st.text(max_size=5), st.booleans())


@SETTINGS
@given(broken_trees())
def test_bad_input_raises_only_harness_errors_with_a_file(tree: StackTree) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for rel, content in tree.files.items():
            p = root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(content if isinstance(content, str) else yaml.safe_dump(content))
        try:
            resolver = Resolver(load_config(root))
            resolver.describe_stacks()
            resolver.instances()
        except HarnessError as exc:
            assert exc.file, f"error without a file: {exc}"


def _declared_types() -> list[str]:
    types = []
    for folder in sorted((REPO / "components/terraform").iterdir()):
        types += [v.type for v in load_module(folder).variables.values() if v.type]
    return sorted(set(types))


@SETTINGS
@given(st.data())
def test_generated_values_fit_every_declared_type(data: st.DataObject) -> None:
    type_expr = data.draw(st.sampled_from(_declared_types()))
    value = data.draw(values_of_type(type_expr))
    assert type_errors(value, type_expr) == [], (type_expr, value)


@SETTINGS
@given(values(2))
def test_any_value_fits_any(value: Any) -> None:
    assert type_errors(value, "any") == []
