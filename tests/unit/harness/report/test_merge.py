"""Joining shard reports gives exactly the full run's report, whatever the order of the inputs."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

from harness.cli.common import run_guarded
from harness.cli.report import gate, report
from harness.report import ReportError, load_report, merge_reports, missing_shards
from harness.report.merge import merge_environments

from .conftest import Run, T, shards_of, waiver


def cli(*args: str) -> int:
    """The real CLI entry (run_guarded) over just this module's commands."""
    group = click.Group("harness", commands={"report": report, "gate": gate})
    return run_guarded(group, list(args))


def test_merge_of_two_shards_equals_the_full_report(run: Run) -> None:
    full = run.report().to_json()
    one, two = shards_of(run)
    assert one.report().to_json() != full  # the shards really are partial
    assert {t.nodeid for t in one.tests}.isdisjoint({t.nodeid for t in two.tests})
    for inputs in ([one, two], [two, one]):
        merged = merge_reports([r.report() for r in inputs]).to_json()
        assert merged == full
    assert full["summary"]["waivers"]["stale"] == 1  # the prod waiver was stale in shard 1 only: used wins


def test_merge_cli_writes_the_full_report(run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one, two = shards_of(run)
    paths = [one.write(tmp_path / "report-1.json"), two.write(tmp_path / "report-2.json")]
    out = tmp_path / "merged.json"
    assert cli("report", "merge", str(out), *map(str, reversed(paths))) == 0
    assert json.loads(out.read_text()) == run.report().to_json()
    assert load_report(out).shard is None
    assert "merged 2 report(s)" in capsys.readouterr().err


def test_a_missing_shard_is_refused_unless_allowed(run: Run, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    one, _ = shards_of(run)
    path = one.write(tmp_path / "report-1.json")
    with pytest.raises(ReportError, match="missing: 2/2"):
        merge_reports([one.report()])
    assert cli("report", "merge", str(tmp_path / "m.json"), str(path)) == 1
    err = capsys.readouterr().err
    assert "shard report(s) missing: 2/2" in err and "report-1.json" in err
    assert cli("report", "merge", "--allow-incomplete", str(tmp_path / "m.json"), str(path)) == 0


def test_a_bad_input_names_its_file(run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = run.write(tmp_path / "good.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "atmos-harness-report", "version": 1}')
    assert cli("report", "merge", str(tmp_path / "m.json"), str(good), str(bad)) == 1
    err = capsys.readouterr().err
    assert "bad.json: invalid report" in err and "required property" in err
    assert not (tmp_path / "m.json").exists()


def test_overlapping_reports_keep_the_worse_outcome_in_any_order() -> None:
    passed = Run(tests=[T("test_a", "s", "c")])
    failed = Run(tests=[T("test_a", "s", "c", outcome="failed", reason="boom")])
    for inputs in ([passed, failed], [failed, passed]):
        (test,) = merge_reports([r.report() for r in inputs]).tests
        assert test.outcome == "failed" and test.reason == "boom"


def test_waiver_states_join_expired_over_used_over_stale() -> None:
    runs = [Run(waivers=[waiver(status, "s", 0)]) for status in ("stale", "expired", "used")]
    assert [w["status"] for w in merge_reports([r.report() for r in runs]).waivers] == ["expired"]
    runs = [Run(waivers=[waiver(status, "s", 0)]) for status in ("stale", "used")]
    assert [w["status"] for w in merge_reports([r.report() for r in runs]).waivers] == ["used"]


def test_environments_merge_key_by_key_and_list_conflicts() -> None:
    merged = merge_environments([
        {"terraform": "1.9.8", "python": "3.11.7", "engines": {"a/x": "static"}, "providers": {"aws": "5.80.0"}},
        {"terraform": "1.5.7", "python": "3.11.7", "engines": {"b/x": "terraform"}, "providers": None},
    ])
    assert merged == {"terraform": "1.5.7, 1.9.8", "python": "3.11.7", "engines": {"a/x": "static", "b/x": "terraform"},
                      "providers": {"aws": "5.80.0"}}


def test_missing_shards_per_shard_count() -> None:
    assert missing_shards(["1/4", "2/4", "4/4", None]) == ["3/4"]
    assert missing_shards(["1/2", "2/2", "1/3", "2/3", "3/3"]) == []
    assert missing_shards([None]) == []


def test_merged_run_facts_keep_every_shards_trouble(run: Run) -> None:
    from harness.report import merge_reports

    one, two = shards_of(run)
    sound = {"commit": "abc", "ref": "main", "dirty": False, "exit_status": 0, "usage_error": False,
             "interrupted": False, "collection_errors": 0, "fail_on": "high"}
    merged = merge_reports([one.but(run=sound).report(),
                            two.but(run={**sound, "exit_status": 4, "usage_error": True, "fail_on": "medium",
                                         "collection_errors": 2}).report()])
    assert merged.run == {"commit": "abc", "ref": "main", "dirty": False, "exit_status": 4, "usage_error": True,
                          "interrupted": False, "collection_errors": 2, "fail_on": "high, medium"}
    other = merge_reports([one.but(run=sound).report(), two.but(run={**sound, "commit": "def"}).report()])
    assert other.run["commit"] == "abc, def"  # the gate refuses it: no single commit matches
