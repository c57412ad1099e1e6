"""A tfparse crash or hang is one instance's EvaluationError; the others still plan. Never touches sources."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from harness.engines.static import StaticEngine, TfparseJob, run_tfparse
from harness.errors import EvaluationError
from harness.plan import Plan

from ._helpers import FIXTURES, request


def _tree_digest(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        digest.update(str(path.relative_to(directory)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def test_crash_in_the_child_is_contained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_TFPARSE_CRASH_FOR_TESTS", "crash_me")
    with StaticEngine() as engine:
        results = engine.plan_many([request("iam", {"name": "a"}), request("crash_me"),
                                    request("iam", {"name": "b"})])
    first, crashed, last = results
    assert isinstance(first, Plan) and isinstance(last, Plan)
    assert first.resource("aws_iam_role.app").values["name"] == "a-app"
    assert last.resource("aws_iam_role.app").values["name"] == "b-app"
    assert isinstance(crashed, EvaluationError)
    assert "core-euw1-dev/crash_me" in str(crashed) and "tfparse crashed (signal 6)" in str(crashed)


def test_crash_then_the_same_engine_keeps_working(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_TFPARSE_CRASH_FOR_TESTS", "crash_me")
    with StaticEngine() as engine:
        with pytest.raises(EvaluationError):
            engine.plan(request("crash_me"))
        assert engine.plan(request("iam", {"name": "x"})).resources(type="aws_iam_role")


def test_a_real_hang_times_out_and_the_batch_goes_on(tmp_path: Path) -> None:
    hang = tmp_path / "self_call"
    shutil.copytree(FIXTURES / "self_call", hang)
    ok = tmp_path / "crash_me"
    shutil.copytree(FIXTURES / "crash_me", ok)
    jobs = [TfparseJob("hang", str(hang), [], str(tmp_path / "hang.log")),
            TfparseJob("ok", str(ok), [], str(tmp_path / "ok.log"))]
    replies = list(run_tfparse(jobs, timeout=1.5))
    assert [r.id for r in replies] == ["hang", "ok"]
    assert replies[0].result is None and "did not finish within 1.5 s" in (replies[0].error or "")
    assert replies[1].error is None and replies[1].result is not None
    assert "aws_sns_topic" in replies[1].result


def test_self_calling_module_is_refused_before_tfparse(static_engine: StaticEngine) -> None:
    with pytest.raises(EvaluationError) as info:
        static_engine.plan(request("self_call"))
    assert "calls itself" in str(info.value) and info.value.line == 2


def test_hcl_syntax_error_names_file_and_line(static_engine: StaticEngine) -> None:
    with pytest.raises(EvaluationError) as info:
        static_engine.plan(request("broken"))
    assert info.value.line == 2 and str(info.value.file).endswith("broken/main.tf")
    assert "core-euw1-dev/broken" in str(info.value)


def test_missing_component_directory(static_engine: StaticEngine, tmp_path: Path) -> None:
    [result] = static_engine.plan_many([request(tmp_path / "nope")])
    assert isinstance(result, EvaluationError) and "component directory not found" in str(result)


def test_source_tree_is_never_touched(static_engine: StaticEngine) -> None:
    before = {name: _tree_digest(FIXTURES / name) for name in ("unknowns", "iam")}
    static_engine.plan(request("unknowns", {"name": "x", "azs": ["a"]}))
    static_engine.plan(request("iam", {"name": "x"}))
    assert {name: _tree_digest(FIXTURES / name) for name in before} == before


def test_two_runs_give_identical_json() -> None:
    runs = []
    for _ in range(2):
        with StaticEngine() as engine:
            plans = engine.plan_many([request("unknowns", {"name": "d", "azs": ["us-east-1a", "us-east-1b"]}),
                                      request("iam", {"name": "d"})])
        runs.append(json.dumps([p.to_json() for p in plans if isinstance(p, Plan)], sort_keys=True))
    assert runs[0] == runs[1]
    assert "harness-static-" not in runs[0] and os.sep + "tmp" not in runs[0]


def test_plan_many_keeps_order_and_variables_apart(static_engine: StaticEngine) -> None:
    names = [f"n{i}" for i in range(6)]
    plans = static_engine.plan_many([request("iam", {"name": n}) for n in names])
    assert [p.resource("aws_iam_role.app").values["name"] for p in plans if isinstance(p, Plan)] == [
        f"{n}-app" for n in names]


def test_paths_point_at_the_component_not_the_copy(static_engine: StaticEngine, tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "aws_s3_object" "o" {\n  source = abspath("${path.module}/f.txt")\n}\n')
    plan = static_engine.plan(request(tmp_path))
    assert plan.resource("aws_s3_object.o").values["source"] == str(tmp_path.resolve() / "f.txt")


def test_the_tfparse_child_collects_garbage_less_often_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.engines.static import child_env

    monkeypatch.delenv("GOGC", raising=False)
    assert child_env()["GOGC"] == "400"
    monkeypatch.setenv("GOGC", "50")
    assert child_env()["GOGC"] == "50"
