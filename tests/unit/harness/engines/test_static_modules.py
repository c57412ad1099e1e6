"""Registry modules expand from .terraform/modules; otherwise each call is listed as unexpanded."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from harness.engines.static import StaticEngine
from harness.plan import Unknown

from ._helpers import request


def test_registry_module_not_installed_is_unexpanded(static_engine: StaticEngine,
                                                      fixture_copy: Callable[..., Path]) -> None:
    plan = static_engine.plan(request(fixture_copy("registry"), {"name": "Demo"}))
    assert plan.addresses == ["aws_ssm_parameter.id"]
    [deferred] = plan.unexpanded
    assert deferred.address == "module.label"
    assert "cloudposse/label/null 0.25.0" in deferred.reason and "terraform init" in deferred.reason
    assert str(deferred.source) == "main.tf:8"
    assert isinstance(plan.outputs["label_id"], Unknown)
    assert isinstance(plan.resource("aws_ssm_parameter.id").values["value"], Unknown)


def test_installed_registry_module_expands_with_nested_local_module(static_engine: StaticEngine,
                                                                   fixture_copy: Callable[..., Path]) -> None:
    plan = static_engine.plan(request(fixture_copy("registry", install_modules=True), {"name": "Demo"}))
    assert plan.unexpanded == []
    assert plan.addresses == ["aws_ssm_parameter.id", "module.label.aws_ssm_parameter.label",
                              "module.label.module.inner.aws_ssm_parameter.inner"]
    assert plan.outputs["label_id"] == "acme-demo"
    assert plan.resource("aws_ssm_parameter.id").values["value"] == "acme-demo"
    inner = plan.resource("module.label.module.inner.aws_ssm_parameter.inner")
    assert inner.values["name"] == "/inner/acme-demo"
    assert inner.module_address == "module.label.module.inner"
    assert str(inner.source) == ".terraform/modules/label/modules/inner/main.tf:5"


def test_module_for_each_and_count_instances(static_engine: StaticEngine, tmp_path: Path) -> None:
    (tmp_path / "modules" / "m").mkdir(parents=True)
    (tmp_path / "main.tf").write_text(
        'module "m" {\n  source   = "./modules/m"\n  for_each = toset(["a", "b"])\n  name     = each.key\n}\n'
        'module "c" {\n  source = "./modules/m"\n  count  = 2\n  name   = "c${count.index}"\n}\n'
        'output "a" {\n  value = module.m["a"].out\n}\n')
    (tmp_path / "modules" / "m" / "main.tf").write_text(
        'variable "name" {}\nresource "aws_sqs_queue" "q" {\n  name = var.name\n}\n'
        'output "out" {\n  value = "${var.name}-out"\n}\n')
    plan = static_engine.plan(request(tmp_path))
    assert plan.addresses == ["module.c[0].aws_sqs_queue.q", "module.c[1].aws_sqs_queue.q",
                              'module.m["a"].aws_sqs_queue.q', 'module.m["b"].aws_sqs_queue.q']
    assert plan.resource('module.m["b"].aws_sqs_queue.q').values["name"] == "b"
    assert plan.resource("module.c[1].aws_sqs_queue.q").module_address == "module.c[1]"
    assert plan.outputs["a"] == "a-out"


def test_module_for_each_over_unknown_is_unexpanded(static_engine: StaticEngine, tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "main.tf").write_text(
        'resource "aws_vpc" "v" {\n  cidr_block = "10.0.0.0/16"\n}\n'
        'module "m" {\n  source   = "./m"\n  for_each = toset([aws_vpc.v.id])\n}\n')
    (tmp_path / "m" / "main.tf").write_text('resource "aws_sqs_queue" "q" {\n  name = "x"\n}\n')
    plan = static_engine.plan(request(tmp_path))
    assert plan.addresses == ["aws_vpc.v"]
    assert [(d.address, "aws_vpc.v.id" in d.reason) for d in plan.unexpanded] == [("module.m", True)]
