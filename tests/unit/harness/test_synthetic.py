"""The synthetic organization the benchmarks run on: it must resolve to what it says it contains."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks.synthetic import REGIONS, Fn, GeneratedOrg, generate
from harness.atmos import Resolver, load_config
from harness.atmos.functions import TerraformRef
from harness.terraform import load_module


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """A minimal independent deep merge (maps merge, anything else replaces) to state expectations."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[GeneratedOrg, dict[str, Any], Resolver]:
    org = generate(tmp_path_factory.mktemp("org"), stacks=6, components=4, seed=7)
    resolver = Resolver(load_config(org.root), process_templates=True, process_functions=True)
    return org, resolver.describe_stacks(), resolver


def test_layout_and_stack_names(small: tuple[GeneratedOrg, dict[str, Any], Resolver]) -> None:
    org, described, resolver = small
    assert org.components == ("vpc", "eks-cluster", "eks-node-group", "rds-cluster")
    assert org.abstract_components == ("eks-cluster/defaults", "rds-cluster/defaults")
    # 6 stacks: one tenant, dev in all four regions, then staging in the first two
    assert sorted(described) == sorted(
        ["plat-ue1-dev", "plat-uw2-dev", "plat-ew1-dev", "plat-as1-dev", "plat-ue1-staging", "plat-uw2-staging"]
    )
    assert sorted(org.stack_names) == resolver.stack_names()
    for stack in described:
        assert sorted(described[stack]["components"]["terraform"]) == sorted(
            org.components + org.abstract_components
        )
    assert len(resolver.instances()) == 6 * 4
    text = (org.root / "stacks" / "orgs" / "acme" / "plat" / "dev" / "us-east-1.yaml").read_text()
    assert "- catalog/eks-*" in text and "- ../_defaults" in text
    for inst in resolver.instances():  # every var a stack passes is declared by its root module
        declared = set(load_module(inst.component_path).variables)
        assert set(inst.vars) <= declared, (inst.id, set(inst.vars) - declared)


def test_the_generated_unit_suite_passes(small: tuple[GeneratedOrg, dict[str, Any], Resolver]) -> None:
    org, _, _ = small
    proc = subprocess.run([sys.executable, "-m", "pytest", "tests/unit", "-q", "-p", "no:cacheprovider",
                           "--engine", "static", "--harness-cache", "off"],
                          cwd=org.root, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert f"{6 * 4 * (3 + 2)} passed" in proc.stdout  # 3 plan tests + the built-in policy and contract items


def test_every_instance_merges_catalog_defaults_and_inline_overrides(
    small: tuple[GeneratedOrg, dict[str, Any], Resolver],
) -> None:
    org, described, _ = small
    for spec in org.stacks:
        components = described[spec.name]["components"]["terraform"]
        for name in org.components:
            section = components[name]
            actual = section["vars"]
            inline = org.overrides[spec.name][name]
            assert 2 <= len(inline) <= 5
            expected = _merge(org.catalog_vars[name], inline)
            for key, want in expected.items():
                got = actual[key]
                if isinstance(want, Fn):
                    assert isinstance(got, TerraformRef) and got == f"{want.tag} {want.args}"
                elif isinstance(want, str) and "{{" in want:
                    assert "{{" not in got and spec.tenant in got and spec.stage in got
                elif key == "tags":
                    assert got == {**got, **want}
                else:
                    assert got == want, (spec.name, name, key)
            # stack-global vars from the org/tenant defaults and the region/stage mixins
            assert actual["namespace"] == spec.org
            assert (actual["tenant"], actual["stage"]) == (spec.tenant, spec.stage)
            assert (actual["region"], actual["environment"]) == (spec.region, REGIONS[spec.region])
            assert actual["tags"]["Tenant"] == spec.tenant and actual["tags"]["Stage"] == spec.stage
            assert actual["tags"]["Component"] == inline.get("tags", {}).get("Component", name)
            assert section["backend_type"] == "s3"
            assert section["backend"]["bucket"] == f"{spec.org}-core-ue1-root-tfstate"
            assert section["backend"]["workspace_key_prefix"] == name
            assert section["settings"]["spacelift"]["workspace_enabled"] is True


def test_bases_templates_and_dependencies(small: tuple[GeneratedOrg, dict[str, Any], Resolver]) -> None:
    org, described, resolver = small
    spec = org.stacks[0]
    components = described[spec.name]["components"]["terraform"]
    eks = components["eks-cluster"]
    assert eks["inheritance"] == ["eks-cluster/defaults"]
    assert eks["vars"]["cluster_encryption_config_enabled"] is True  # from the abstract base only
    assert eks["vars"]["cluster_name"] == "acme-plat-ue1-dev-eks"
    assert components["eks-cluster/defaults"]["metadata"]["type"] == "abstract"
    node_group = resolver.instance("eks-node-group", spec.name)
    assert {(d.component, d.stack) for d in node_group.dependencies} == {("eks-cluster", spec.name)}
    assert components["rds-cluster"]["settings"]["depends_on"] == {"1": {"component": "vpc"}}


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_generation_is_deterministic(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", stacks=6, components=4)
    second = generate(tmp_path / "b", stacks=6, components=4)
    other_seed = generate(tmp_path / "c", stacks=6, components=4, seed=1)
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    assert _tree(tmp_path / "a") != _tree(tmp_path / "c")
    assert first.overrides == second.overrides and len(first.manifest_files) == len(_tree(tmp_path / "a" / "stacks"))
    assert other_seed.stack_names == first.stack_names


def test_extra_components_and_validation(tmp_path: Path) -> None:
    org = generate(tmp_path, stacks=2, components=22)
    assert org.components[-2:] == ("app-020", "app-021")
    assert "- catalog/app-*" in org.stack_files[0].read_text()
    with pytest.raises(ValueError, match="positive"):
        generate(tmp_path / "x", stacks=0)


def test_bench_runner_prints_key_values(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.run import BENCHMARKS, benchmark, main

    core = ("resolve_ratio", "static_overhead", "cache_speedup", "affected_ratio", "xdist_speedup")
    # the benchmarks of large organizations, real plans, deploys and checkov take minutes: `nox -s bench` runs them
    only = [arg for name in core for arg in ("--only", name)]
    assert main(["--stacks", "3", "--components", "3", "--repeat", "1", "--xdist-stacks", "1", *only]) == 0
    lines = capsys.readouterr().out.splitlines()
    values = dict(line.split("=", 1) for line in lines)
    assert list(values)[:2] == ["clock", "stacks"]
    for ratio in core:
        assert float(values[ratio]) > 0, ratio
    assert values["stacks"] == "3" and values["instances"] == str(3 * (3 + 1))
    assert float(values["resolve_ratio"]) > 0 and float(values["instances_per_second"]) > 0
    with pytest.raises(ValueError, match="already registered"):
        benchmark("resolve_ratio")(BENCHMARKS["resolve_ratio"])


@pytest.mark.parametrize("enabled", [True, False])
def test_resolving_leaves_the_garbage_collector_as_it_was(tmp_path: Path, enabled: bool) -> None:
    import gc

    org = generate(tmp_path, stacks=2, components=2)
    frozen = gc.get_freeze_count()
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        Resolver(load_config(org.root)).describe_stacks()
        assert gc.isenabled() is enabled
        assert gc.get_freeze_count() == frozen
    finally:
        gc.enable() if was else gc.disable()
