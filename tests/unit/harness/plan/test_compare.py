"""The fidelity check's comparison of two plans, on hand-made plans (the real comparison runs in integration)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.engines._static_plan import normalize_json
from harness.plan import Plan, Resource, Unknown
from harness.plan.compare import (
    DIFFERS,
    KNOWN_BUT_UNKNOWN,
    NOT_IN_STATIC,
    STATIC_UNKNOWN,
    FidelityReport,
    compare_plans,
)
from harness.terraform.set_attrs import block_set_paths, order_sets, set_attribute_paths

AWS = "registry.terraform.io/hashicorp/aws"
EXAMPLE = Path(__file__).resolve().parents[4]


def plan(engine: str, resources: list[Resource], outputs: dict[str, Any] | None = None) -> Plan:
    return Plan(stack="s", component="c", engine=engine, complete=True, resources=resources, outputs=outputs)


def res(values: dict[str, Any], type_: str = "aws_vpc", name: str = "this", mode: str = "managed",
        sensitive: frozenset[str] = frozenset()) -> Resource:
    prefix = "data." if mode == "data" else ""
    return Resource(address=f"{prefix}{type_}.{name}", mode=mode, type=type_, name=name, provider=AWS,
                    actions=("read",) if mode == "data" else ("create",), values=values, sensitive=sensitive)


def test_equal_plans_pass_and_count_matching_values() -> None:
    values = {"cidr_block": "10.0.0.0/16", "tags": {"Name": "x"}, "id": Unknown("known after apply")}
    result = compare_plans(plan("static", [res(values)], {"o": 1}), plan("terraform", [res(values)], {"o": 1.0}))
    assert result.ok, result.details()
    assert (result.matching, result.both_unknown, result.addresses) == (3, 1, 1)
    assert result.summary().startswith("OK   s/c: addresses=1")


def test_a_known_value_terraform_calls_unknown_fails() -> None:
    static = plan("static", [res({"arn": "arn:aws:ec2:::vpc/x"})], {"ids": None})
    real = plan("terraform", [res({"arn": Unknown("known after apply")})], {"ids": Unknown("known after apply")})
    result = compare_plans(static, real)
    assert not result.ok
    assert [(d.where, d.path) for d in result.known_but_unknown] == [("aws_vpc.this", "arn"), ("output", "ids")]
    assert all(d.kind == KNOWN_BUT_UNKNOWN for d in result.known_but_unknown)


def test_differing_values_and_addresses_fail() -> None:
    static = plan("static", [res({"cidr_block": "10.0.0.0/16", "region": "us-east-1"}), res({}, name="extra")])
    real = plan("terraform", [res({"cidr_block": "10.1.0.0/16"}), res({}, name="other")])
    result = compare_plans(static, real)
    assert not result.ok
    assert result.only_static == ["aws_vpc.extra"] and result.only_terraform == ["aws_vpc.other"]
    assert sorted(d.path for d in result.of_kind(DIFFERS)) == ["cidr_block", "region"]  # region: not in terraform


def test_unknown_in_static_and_attributes_static_does_not_model_are_acceptable() -> None:
    static = plan("static", [res({"cidr_block": Unknown("from a variable")})])
    real = plan("terraform", [res({"cidr_block": "10.0.0.0/16", "tags_all": {"a": "b"}, "ipv6": None})])
    result = compare_plans(static, real)
    assert result.ok
    assert [d.path for d in result.of_kind(STATIC_UNKNOWN)] == ["cidr_block"]
    assert [d.path for d in result.of_kind(NOT_IN_STATIC)] == ["tags_all"]


def test_sets_compare_whatever_their_order_and_lists_do_not() -> None:
    one = {"threshold": 80, "notification_type": "ACTUAL"}
    two = {"threshold": 100, "notification_type": "FORECASTED"}
    static = plan("static", [res({"notification": [one, two], "limit_unit": ["a", "b"]}, "aws_budgets_budget")])
    real = plan("terraform", [res({"notification": [two, one], "limit_unit": ["b", "a"]}, "aws_budgets_budget")])
    result = compare_plans(static, real)
    assert "notification" in set_attribute_paths(AWS, "managed", "aws_budgets_budget")
    assert [d.path for d in result.of_kind(DIFFERS)] == ["limit_unit.0", "limit_unit.1"]  # a list: order counts


def test_sensitive_values_compare_but_never_print() -> None:
    static = plan("static", [res({"password": "hunter2-secret"}, sensitive=frozenset({"password"}))])
    real = plan("terraform", [res({"password": "other-secret"}, sensitive=frozenset({"password"}))])
    result = compare_plans(static, real)
    [difference] = result.differing
    assert difference.sensitive and "secret" not in difference.describe()
    assert "secret" not in str(FidelityReport([result]).to_json())


def test_report_totals_and_lines() -> None:
    good = compare_plans(plan("static", [res({"a": 1})]), plan("terraform", [res({"a": 1})]))
    bad = compare_plans(plan("static", [res({"a": 1})]), plan("terraform", [res({"a": 2})]))
    report = FidelityReport([good, bad])
    assert not report.ok
    assert report.to_json()["totals"]["differs"] == 1 and report.to_json()["totals"]["failed"] == 1
    lines = list(report.lines())
    assert lines[-1].startswith("fidelity: 2 instances, 1 failed;") and "differing=1" in lines[-1]
    assert any("aws_vpc.this.a: static says 1, terraform says 2" in line for line in lines)


def test_primitive_sets_are_ordered_as_terraform_prints_them() -> None:
    values: dict[str, Any] = {"statement": [{"actions": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*"],
                                             "resources": ["*", Unknown("x")]}]}
    order_sets(values, set_attribute_paths(AWS, "data", "aws_iam_policy_document"))
    assert values["statement"][0]["actions"] == ["kms:Decrypt", "kms:Encrypt", "kms:ReEncrypt*"]
    assert isinstance(values["statement"][0]["resources"][1], Unknown)  # a set with an unknown keeps its order


def test_set_paths_from_a_schema_block() -> None:
    block = {"attributes": {"ids": {"type": ["set", "string"]}, "names": {"type": ["list", "string"]},
                            "rules": {"type": ["list", ["object", {"ports": ["set", "number"]}]]}},
             "block_types": {"ingress": {"nesting_mode": "set", "block": {"attributes": {
                 "cidrs": {"type": ["set", "string"]}}}}}}
    assert block_set_paths(block) == ["ids", "ingress", "ingress.*.cidrs", "rules.*.ports"]


def test_normalized_json_is_what_the_provider_prints() -> None:
    text = '{\n  "Version": "2012-10-17",\n  "Statement": [{"Effect": "Allow", "Resource": "a<b&c"}]\n}'
    assert normalize_json(text, "r") == ('{"Statement":[{"Effect":"Allow","Resource":"a\\u003cb\\u0026c"}],'
                                         '"Version":"2012-10-17"}')
    assert isinstance(normalize_json('{"a": 1.5}', "r"), Unknown)


# -- the command line, with a stand-in for terraform (the real comparison runs in tests/integration) ---------
class _Recording:
    """A "terraform" engine that plans with the static engine and records what it was asked to plan."""

    name = "terraform"

    def __init__(self, seen: list[str], change: bool = False) -> None:
        from harness.engines import StaticEngine

        self.seen, self.change, self.static = seen, change, StaticEngine()

    def plan_many(self, requests: list[Any]) -> list[Any]:
        self.seen.extend(r.instance_id for r in requests)
        plans = self.static.plan_many(requests)
        if self.change:
            for p in plans:
                for r in p.resources():
                    r.values["cidr_block"] = Unknown("known after apply")
        return plans

    def plan(self, request: Any) -> Any:
        return self.plan_many([request])[0]

    def close(self) -> None:
        self.static.close()


def _patch_terraform(monkeypatch: Any, seen: list[str], change: bool = False) -> None:
    import harness.session

    real = harness.session.make_engine

    def make(name: str, **kwargs: Any) -> Any:
        if name == "terraform":
            return _Recording(seen, change), "--engine terraform"
        return real(name, **kwargs)

    monkeypatch.setattr(harness.session, "make_engine", make)
    monkeypatch.setattr(harness.session.HarnessSession, "cache", property(lambda self: None))  # no stand-in plans kept


def test_cli_plans_the_one_instance_asked_for(monkeypatch: Any) -> None:
    from click.testing import CliRunner

    from harness.cli import cli
    seen: list[str] = []
    _patch_terraform(monkeypatch, seen)
    result = CliRunner().invoke(cli, ["plan", "vpc", "-s", "plat-ue1-dev", "--engine", "terraform",
                                      "--base-path", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert seen == ["plat-ue1-dev/vpc"]


def test_cli_compare_engines_exits_1_on_a_fault(monkeypatch: Any) -> None:
    from click.testing import CliRunner

    from harness.cli import cli

    seen: list[str] = []
    _patch_terraform(monkeypatch, seen)
    args = ["plan", "vpc", "-s", "plat-ue1-dev", "--compare-engines", "--base-path", str(EXAMPLE)]
    same = CliRunner().invoke(cli, args)
    assert same.exit_code == 0, same.output
    assert same.output.startswith("OK   plat-ue1-dev/vpc:") and "0 failed" in same.output
    _patch_terraform(monkeypatch, seen, change=True)
    faulty = CliRunner().invoke(cli, args)
    assert faulty.exit_code == 1
    assert "FAIL plat-ue1-dev/vpc" in faulty.output
    assert "known-but-unknown: aws_vpc.this.cidr_block: static says" in faulty.output
