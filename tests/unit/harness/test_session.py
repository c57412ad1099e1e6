"""The session: plans are made in batches of the group the first requested instance belongs to."""

from __future__ import annotations

import json
from pathlib import Path

from harness.plan import Unknown
from harness.session import HarnessSession, SessionOptions
from tests.unit.harness.conftest import REPO


def test_the_first_request_plans_its_group_and_nothing_else(tmp_path: Path) -> None:
    session = HarnessSession(SessionOptions(base_path=REPO, engine="static", cache=str(tmp_path / "plans")))
    try:
        a, b, c, *rest = session.selected
        session.plan_groups = {a.id: "one", b.id: "one", c.id: "two"}
        session.plan(a)
        assert session.cache is not None and session.cache.misses == 2  # a and b, in one batch
        session.plan(b)
        assert session.cache.misses == 2
        session.plan(c)
        assert session.cache.misses == 3
        alone = next(i for i in rest if not session.needs(i))  # reads no other component's outputs
        session.plan(alone)  # in no group: planned alone
        assert session.cache.misses == 4
        session.plan_groups = None  # one group of every selected instance
        session.plan(next(i for i in rest if i.id != alone.id))
        assert session.cache.misses == len(session.selected)
    finally:
        session.close()


def test_inputs_from_other_components_come_from_the_producers_plans(tmp_path: Path) -> None:
    session = HarnessSession(SessionOptions(base_path=REPO, engine="static", cache="off"))
    try:
        consumers = {i.id: session.needs(i) for i in session.selected if session.needs(i)}
        assert consumers, "the example has !terraform.output inputs"
        for instance_id, needs in consumers.items():
            instance = session.instance(instance_id)
            request = session.request(instance)
            for need in needs:
                assert need.producer is not None
                producer = session.plan(need.producer)
                value = producer.outputs[need.output]
                names = [k for k, v in instance.vars.items() if need.ref in str(v)]
                for name in names:
                    if isinstance(value, Unknown):  # known only after apply: never a made-up value
                        assert name not in request.variables
                        assert request.unknown_inputs[name] == f"needs {need.label}, known after apply"
                        assert session.plan(instance).variables[name] == Unknown(
                            f"needs {need.label}, known after apply", f"var.{name}")
                    else:  # known at plan time (account-map): passed on
                        assert name in request.variables and name not in request.unknown_inputs
                        assert json.dumps(value, sort_keys=True) in json.dumps(request.variables[name],
                                                                               sort_keys=True)
    finally:
        session.close()
