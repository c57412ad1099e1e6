"""Every component of the example infrastructure plans statically, deterministically, with no UUID left."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from harness.engines.static import StaticEngine
from harness.plan import Plan

from ._helpers import request

COMPONENTS = Path(__file__).resolve().parents[4] / "components" / "terraform"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
CONTEXT = {"namespace": "acme", "tenant": "core", "environment": "ue1", "stage": "dev", "name": "test",
           "region": "us-east-1", "availability_zones": ["us-east-1a", "us-east-1b"], "cidr_block": "10.1.0.0/16"}


def _components() -> list[Path]:
    return sorted(p for p in COMPONENTS.iterdir() if p.is_dir()) if COMPONENTS.is_dir() else []


@pytest.mark.skipif(not _components(), reason=f"no components under {COMPONENTS}")
def test_every_component_plans_twice_the_same() -> None:
    requests = [request(c, CONTEXT, region="us-east-1") for c in _components()]
    outputs = []
    for _ in range(2):
        with StaticEngine() as engine:
            plans = engine.plan_many(requests)
        bad = [p for p in plans if not isinstance(p, Plan)]
        assert not bad, bad
        outputs.append(json.dumps([p.to_json() for p in plans if isinstance(p, Plan)], sort_keys=True))
    assert outputs[0] == outputs[1]
    assert not UUID.search(outputs[0])
