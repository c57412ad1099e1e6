"""Organization-wide properties of the example stacks: what must hold across every stack and account."""

from __future__ import annotations

import ipaddress
import itertools
import re

import pytest

from harness.atmos import Instance, Resolver
from harness.session import HarnessSession, account_id


@pytest.fixture(scope="module")
def instances(stacks: Resolver) -> list[Instance]:
    return [i for i in stacks.instances() if i.deployable]


def test_stack_names_are_unique_and_follow_the_pattern(stacks: Resolver) -> None:
    names = stacks.stack_names()
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"(core|plat)-(ue1|uw2|gbl)-[a-z-]+", n) for n in names), names


def test_vpc_cidrs_never_overlap_across_stacks_and_accounts(instances: list[Instance]) -> None:
    vpcs = [(i.id, ipaddress.ip_network(i.vars["cidr_block"])) for i in instances if i.folder == "vpc"]
    assert len(vpcs) >= 2
    for (a, net_a), (b, net_b) in itertools.combinations(vpcs, 2):
        assert not net_a.overlaps(net_b), f"{a} {net_a} overlaps {b} {net_b}"


def test_every_account_id_is_valid_and_one_per_stage(instances: list[Instance]) -> None:
    by_stage: dict[tuple[str, str], set[str]] = {}
    for inst in instances:
        acct = account_id(inst)
        assert acct is not None and re.fullmatch(r"\d{12}", acct), inst.id
        by_stage.setdefault((inst.vars["tenant"], inst.vars["stage"]), set()).add(acct)
    assert all(len(ids) == 1 for ids in by_stage.values()), by_stage
    all_ids = [next(iter(ids)) for ids in by_stage.values()]
    assert len(all_ids) == len(set(all_ids)), "two stages share an account"


def test_required_tags_on_every_planned_resource(instances: list[Instance], harness_session: HarnessSession) -> None:
    checked = 0
    for inst in instances:
        required = set(inst.settings["harness"]["required_tags"])
        for resource in harness_session.plan(inst).resources(mode="managed"):
            tags = resource.values.get("tags")
            if tags is None:
                continue
            assert required <= set(tags), f"{inst.id} {resource.address} lacks {required - set(tags)}"
            checked += 1
    assert checked > 50


def test_every_stack_uses_the_organization_state_backend(instances: list[Instance]) -> None:
    for inst in instances:
        assert inst.backend_type == "s3", inst.id
        assert inst.backend["bucket"] == "acme-core-ue1-root-tfstate"
        assert inst.backend["encrypt"] is True
        assert inst.backend["workspace_key_prefix"] == inst.folder
