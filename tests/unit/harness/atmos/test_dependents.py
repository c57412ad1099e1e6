"""``describe dependents``: hand-built stacks for each matching rule, plus the Atmos oracle cases."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.atmos.dependents import (
    DepSource,
    component_dependencies,
    describe_dependents,
    describe_dependents_recursive,
)
from harness.errors import HarnessError
from tests.unit.harness.oracle import ATMOS_CASES

ORACLE = ATMOS_CASES


def comp(
    vars_: dict[str, Any] | None = None,
    *,
    settings: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    dependencies: dict[str, Any] | None = None,
    folder: str = "mock",
) -> dict[str, Any]:
    section: dict[str, Any] = {
        "component": folder,
        "vars": vars_ if vars_ is not None else {},
        "settings": settings if settings is not None else {},
        "metadata": metadata if metadata is not None else {},
        "component_info": {"component_path": f"components/terraform/{folder}", "component_type": "terraform"},
    }
    if dependencies is not None:
        section["dependencies"] = dependencies
    return section


def stacks_of(**stacks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {name.replace("_", "-"): {"components": {"terraform": comps}} for name, comps in stacks.items()}


def ctx(env: str, stage: str) -> dict[str, Any]:
    return {"environment": env, "stage": stage}


def brief(items: list[dict[str, Any]]) -> list[str]:
    return [f"{i['component']}@{i['stack']}" for i in items]


def test_legacy_same_stack_by_default() -> None:
    stacks = stacks_of(
        ue1_dev={
            "vpc": comp(ctx("ue1", "dev")),
            "app": comp(ctx("ue1", "dev"), settings={"depends_on": {1: {"component": "vpc"}}}),
        },
        ue1_prod={
            "vpc": comp(ctx("ue1", "prod")),
            "app": comp(ctx("ue1", "prod"), settings={"depends_on": {1: {"component": "vpc"}}}),
        },
    )
    assert brief(describe_dependents(stacks, "vpc", "ue1-dev")) == ["app@ue1-dev"]


def test_legacy_context_fields_pick_other_stacks() -> None:
    hub_dep = {"depends_on": {"1": {"component": "hub", "environment": "ue1"}}}
    stacks = stacks_of(
        ue1_net={"hub": comp(ctx("ue1", "net"))},
        uw2_net={"att": comp(ctx("uw2", "net"), settings=hub_dep)},
        uw2_prod={"att": comp(ctx("uw2", "prod"), settings=hub_dep)},
    )
    # environment is given (ue1 = hub's), stage is not: it must be shared, so only uw2-net matches.
    assert brief(describe_dependents(stacks, "hub", "ue1-net")) == ["att@uw2-net"]


def test_legacy_explicit_stack_still_checks_unset_context_fields() -> None:
    stacks = stacks_of(
        ue1_net={"hub": comp(ctx("ue1", "net"))},
        uw2_net={
            "att": comp(ctx("uw2", "net"), settings={"depends_on": {1: {"component": "hub", "stack": "ue1-net"}}})
        },
        ue1_dev={
            "att": comp(ctx("ue1", "net"), settings={"depends_on": {1: {"component": "hub", "stack": "ue1-net"}}})
        },
    )
    # Atmos compares environment/stage too when the legacy entry leaves them unset.
    assert brief(describe_dependents(stacks, "hub", "ue1-net")) == ["att@ue1-dev"]


def test_new_format_matches_by_stack_only() -> None:
    stacks = stacks_of(
        ue1_net={"hub": comp(ctx("ue1", "net"))},
        uw2_net={"att": comp(ctx("uw2", "net"), dependencies={"components": [{"name": "hub", "stack": "ue1-net"}]})},
        ue1_net2={"att": comp(ctx("ue1", "net"), dependencies={"components": [{"component": "hub"}]})},
    )
    assert brief(describe_dependents(stacks, "hub", "ue1-net")) == ["att@uw2-net"]


def test_new_format_wins_over_legacy_even_with_only_files() -> None:
    section = comp(
        settings={"depends_on": {1: {"component": "vpc"}}},
        dependencies={"files": ["config/a.json"]},
    )
    deps, source = component_dependencies(section)
    assert source is DepSource.DEPENDENCIES
    assert [(d.kind, d.path, d.component) for d in deps] == [("file", "config/a.json", "")]


def test_name_and_component_conflict_is_an_error() -> None:
    with pytest.raises(HarnessError, match="differ"):
        component_dependencies(comp(dependencies={"components": [{"name": "a", "component": "b"}]}))


def test_skips_abstract_disabled_and_same_name() -> None:
    dep = {"depends_on": {1: {"component": "vpc"}}}
    stacks = stacks_of(
        dev={
            "vpc": comp(settings=dep),
            "abstract": comp(settings=dep, metadata={"type": "abstract"}),
            "off": comp(settings=dep, metadata={"enabled": False}),
            "on": comp(settings=dep, metadata={"enabled": True}),
        }
    )
    assert brief(describe_dependents(stacks, "vpc", "dev")) == ["on@dev"]


def test_item_shape_and_sort_order() -> None:
    dep = {"depends_on": {1: {"component": "vpc"}}}
    stacks = stacks_of(
        dev={
            "vpc": comp({"namespace": "acme", "stage": "dev"}),
            "z/app": comp({"namespace": "acme", "stage": "dev", "tenant": 3}, settings=dep),
            "a/app": comp({"namespace": "acme", "stage": "dev"}, settings=dep),
        }
    )
    items = describe_dependents(stacks, "vpc", "dev")
    assert items[0] == {
        "component": "a/app",
        "component_type": "terraform",
        "component_path": "components/terraform/mock",
        "namespace": "acme",
        "stage": "dev",
        "stack": "dev",
        "stack_slug": "dev-a-app",
        "dependents": None,
        "included_in_dependents": False,
        "settings": None,
    }
    assert brief(items) == ["a/app@dev", "z/app@dev"]
    with_settings = describe_dependents(stacks, "vpc", "dev", include_settings=True)
    assert with_settings[0]["settings"] == dep


def test_spacelift_and_atlantis_names() -> None:
    settings = {
        "depends_on": {1: {"component": "vpc"}},
        "spacelift": {"workspace_enabled": True},
        "atlantis": {"project_template": {"name": "{environment}-{stage}-{component}"}},
    }
    stacks = stacks_of(ue1_dev={"vpc": comp(ctx("ue1", "dev")), "tgw/hub": comp(ctx("ue1", "dev"), settings=settings)})
    [item] = describe_dependents(stacks, "vpc", "ue1-dev")
    assert item["spacelift_stack"] == "ue1-dev-tgw-hub"
    assert item["atlantis_project"] == "ue1-dev-tgw-hub"


def test_missing_component_is_a_clear_error() -> None:
    with pytest.raises(HarnessError, match="'vpc' not found in stack 'dev'"):
        describe_dependents(stacks_of(dev={}), "vpc", "dev")


def test_only_in_stack_limits_candidates() -> None:
    dep = {"depends_on": {1: {"component": "hub", "environment": "ue1"}}}
    stacks = stacks_of(
        ue1_net={"hub": comp(ctx("ue1", "net")), "a": comp(ctx("ue1", "net"), settings=dep)},
        uw2_net={"b": comp(ctx("uw2", "net"), settings=dep)},
    )
    assert brief(describe_dependents(stacks, "hub", "ue1-net")) == ["a@ue1-net", "b@uw2-net"]
    assert brief(describe_dependents(stacks, "hub", "ue1-net", only_in_stack="uw2-net")) == ["b@uw2-net"]


def test_recursive_fills_leaves_and_stops_on_cycles() -> None:
    stacks = stacks_of(
        dev={
            "a": comp(settings={"depends_on": {1: {"component": "c"}}}),
            "b": comp(settings={"depends_on": {1: {"component": "a"}}}),
            "c": comp(settings={"depends_on": {1: {"component": "b"}}}),
        }
    )
    [b] = describe_dependents_recursive(stacks, "a", "dev")
    [c] = b["dependents"]
    [a] = c["dependents"]
    assert (b["component"], c["component"], a["component"]) == ("b", "c", "a")
    assert a["dependents"] == []


# --- Atmos oracle: tests/fixtures/scenarios/depends-on-with-stacks-name-pattern ---------------------


def _cases(fixture: str, command: str) -> list[Any]:
    path = ORACLE / fixture / "expected.json"
    if not path.is_file():
        return [pytest.param(None, id=f"{fixture}-missing", marks=pytest.mark.skip(reason=f"no oracle at {path}"))]
    cases = json.loads(path.read_text())["cases"]
    return [pytest.param(c, id=c["id"]) for c in cases if c["command"] == command]


def _canonical(items: list[dict[str, Any]]) -> list[str]:
    """Order-free, type-exact comparison: JSON text keeps 1, 1.0, true and "1" apart."""
    return sorted(json.dumps(i, sort_keys=True) for i in items)


@pytest.mark.parametrize("case", _cases("depends-on-with-stacks-name-pattern", "describe dependents"))
def test_oracle_describe_dependents(case: dict[str, Any]) -> None:
    from harness.atmos import Resolver, load_config

    case_dir = ORACLE / case["id"].split("/")[0]
    flags = case["flags"]
    config = load_config(cwd=case_dir, env=case["env"])
    resolver = Resolver(
        config, process_templates=flags["process_templates"], process_functions=flags["process_functions"]
    )
    stacks = resolver.describe_stacks()
    got = describe_dependents(
        stacks, case["component"], case["stack"], include_settings=flags["include_settings"], settings=config
    )
    assert _canonical(got) == _canonical(case["expect_items"])
