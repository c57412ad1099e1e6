"""The plan cache: hits, invalidation on every input, safe across processes."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness.engines.base import PlanRequest
from harness.engines.cache import CachedEngine, PlanCache, cache_key
from harness.engines.static import StaticEngine

from ._helpers import FIXTURES, request


@pytest.fixture
def component(tmp_path: Path) -> Path:
    target = tmp_path / "src" / "iam"
    shutil.copytree(FIXTURES / "iam", target)
    return target


def test_hit_returns_the_same_plan(tmp_path: Path, component: Path, static_engine: StaticEngine) -> None:
    cache = PlanCache(tmp_path)
    req = request(component, {"name": "a"})
    first = cache.get_or_plan(req, static_engine)
    second = cache.get_or_plan(req, static_engine)
    assert (cache.hits, cache.misses) == (1, 1)
    assert json.dumps(first.to_json(), sort_keys=True) == json.dumps(second.to_json(), sort_keys=True)
    assert list((tmp_path / ".harness-cache" / "plans").rglob("*.json"))
    wrapped = CachedEngine(static_engine, cache)
    assert wrapped.plan(req).resource("aws_iam_role.app").values["name"] == "a-app" and cache.hits == 2


def test_every_input_changes_the_key(component: Path) -> None:
    req = request(component, {"name": "a"})
    base = cache_key(req, "static")
    assert cache_key(req, "static") == base
    assert cache_key(dataclasses.replace(req, variables={"name": "b"}), "static") != base
    assert cache_key(dataclasses.replace(req, region="us-east-1"), "static") != base
    assert cache_key(dataclasses.replace(req, account_id="999999999999"), "static") != base
    assert cache_key(req, "terraform", "terraform 1.0.3") != base
    assert cache_key(req, "terraform", "terraform 1.0.3") != cache_key(req, "terraform", "terraform 1.5.7")
    main = component / "main.tf"
    main.write_text(main.read_text() + "\n# edited\n")
    edited = cache_key(req, "static")
    assert edited != base
    (component / ".terraform" / "modules").mkdir(parents=True)
    (component / ".terraform" / "modules" / "modules.json").write_text('{"Modules": []}')
    assert cache_key(req, "static") != edited
    with_modules = cache_key(req, "static")
    (component / ".terraform" / "providers").mkdir()
    (component / ".terraform" / "providers" / "big-binary").write_bytes(b"x" * 10)
    assert cache_key(req, "static") == with_modules  # provider binaries are not inputs


def test_external_local_module_is_an_input(tmp_path: Path) -> None:
    (tmp_path / "modules" / "m").mkdir(parents=True)
    (tmp_path / "modules" / "m" / "main.tf").write_text('resource "aws_sqs_queue" "q" {\n  name = "a"\n}\n')
    comp = tmp_path / "components" / "c"
    comp.mkdir(parents=True)
    (comp / "main.tf").write_text('module "m" {\n  source = "../../modules/m"\n}\n')
    req = PlanRequest("s", "c", comp)
    before = cache_key(req, "static")
    (tmp_path / "modules" / "m" / "main.tf").write_text('resource "aws_sqs_queue" "q" {\n  name = "b"\n}\n')
    assert cache_key(req, "static") != before
    with StaticEngine() as engine:
        assert engine.plan(req).resource("module.m.aws_sqs_queue.q").values["name"] == "b"


def test_stale_entry_is_not_served_after_an_edit(tmp_path: Path, component: Path,
                                                 static_engine: StaticEngine) -> None:
    cache = PlanCache(tmp_path)
    req = request(component, {"name": "a"})
    cache.get_or_plan(req, static_engine)
    main = component / "main.tf"
    main.write_text(main.read_text().replace('name               = "${var.name}-app"',
                                             'name               = "${var.name}-svc"'))
    assert cache.get_or_plan(req, static_engine).resource("aws_iam_role.app").values["name"] == "a-svc"
    assert cache.misses == 2


def test_corrupt_entry_counts_as_missing(tmp_path: Path, component: Path, static_engine: StaticEngine) -> None:
    cache = PlanCache(tmp_path)
    req = request(component, {"name": "a"})
    key = cache_key(req, "static")
    cache.get_or_plan(req, static_engine)
    [entry] = [p for p in (tmp_path / ".harness-cache" / "plans").rglob(f"{key}.json")]
    entry.write_text("{ truncated")
    assert cache.get(key) is None
    assert cache.get_or_plan(req, static_engine).engine == "static"


def test_concurrent_processes_plan_once(tmp_path: Path, component: Path) -> None:
    script = textwrap.dedent(f"""
        import json, sys
        from pathlib import Path
        from harness.engines.base import PlanRequest
        from harness.engines.cache import PlanCache
        from harness.engines.static import StaticEngine
        cache = PlanCache({str(tmp_path)!r})
        req = PlanRequest("s", "iam", Path({str(component)!r}), {{"name": "a"}}, "eu-west-1", "111122223333")
        with StaticEngine() as engine:
            plan = cache.get_or_plan(req, engine)
        print(json.dumps({{"misses": cache.misses, "n": len(plan.addresses)}}))
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[4]) for _ in range(4)]
    outs = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
    assert sum(o["misses"] for o in outs) == 1
    assert len({o["n"] for o in outs}) == 1
    assert not list((tmp_path / ".harness-cache").rglob(".tmp-*"))
