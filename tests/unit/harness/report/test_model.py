"""The report format: builder, derived parts, atomic write, validation with clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.report import REPORT_SCHEMA, ReportBuilder, ReportError, load_report, report_from_data
from harness.report.model import LONGREPR_MAX

from .conftest import Run


def test_round_trip_through_a_file_is_lossless(run: Run, tmp_path: Path) -> None:
    report = run.report()
    path = run.write(tmp_path / "out" / "report.json")
    loaded = load_report(path)
    assert loaded.to_json() == report.to_json()
    assert path.read_text() == loaded.dumps()  # deterministic text, byte for byte


def test_summary_instances_and_environment(run: Run) -> None:
    data = run.report().to_json()
    assert data["format"] == "atmos-harness-report" and data["version"] == 1
    assert data["summary"]["tests"] == {"total": 12, "passed": 9, "failed": 1, "undetermined": 1, "skipped": 1,
                                        "error": 0}
    assert data["summary"]["findings"]["fail"] == 2
    assert data["summary"]["findings"]["fail_by_severity"]["high"] == 1
    assert data["summary"]["waivers"] == {"used": 1, "expired": 0, "stale": 1}
    assert data["summary"]["ok"] is False
    statuses = {i["id"]: i["status"] for i in data["instances"]}
    assert statuses == {
        "core-ue1-prod/iam_role": "skipped",
        "core-ue1-prod/log_bucket": "undetermined",
        "plat-ue1-dev/log_bucket": "failed",  # a failing (low) finding, though every test passed
        "plat-ue1-dev/vpc": "passed",
        "plat-ue1-prod/log_bucket": "passed",  # its only finding is waived
        "plat-ue1-prod/vpc": "failed",
    }
    env = data["environment"]
    assert env["terraform"] == "1.9.8" and env["harness"] and env["python"] == "3.11.7"
    assert env["engines"]["plat-ue1-prod/vpc"] == "terraform"
    assert data["durations"]["total"] == pytest.approx(1.41)
    assert data["durations"]["slowest"][0]["nodeid"].endswith("test_flow_logs[plat-ue1-dev]")
    finding = next(f for f in data["findings"] if f["policy"] == "network.flow-logs")
    assert finding["status"] == "fail" and finding["controls"] == ["CIS-AWS-3.9"]


def test_builder_keeps_the_worse_outcome_of_one_test_and_clips_tracebacks() -> None:
    builder = ReportBuilder(created="2025-01-01T00:00:00Z")
    builder.add_test("t.py::a[s]", stack="s", component="c", outcome="passed", duration=1.0)
    builder.add_test("t.py::a[s]", stack="s", component="c", outcome="error", reason="teardown failed",
                     duration=0.5, longrepr="x" * (LONGREPR_MAX * 3))
    (test,) = builder.build().tests
    assert test.outcome == "error" and test.reason == "teardown failed" and test.duration == 1.5
    assert test.longrepr is not None and len(test.longrepr) < LONGREPR_MAX + 100
    assert test.longrepr.startswith("[... ")
    with pytest.raises(ValueError, match="outcome must be one of"):
        builder.add_test("t.py::b", stack=None, component=None, outcome="xfailed")
    with pytest.raises(ValueError, match="severity"):
        builder.add_findings([{"policy": "p", "severity": "urgent", "status": "fail"}])
    with pytest.raises(ValueError, match="K/N"):
        ReportBuilder(shard="5/4")


def test_write_is_atomic_and_leaves_no_temporary_files(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old content")
    run.write(target)
    assert json.loads(target.read_text())["format"] == "atmos-harness-report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]
    fresh = run.write(tmp_path / "fresh.json")
    plain = tmp_path / "plain.txt"
    plain.write_text("")
    assert fresh.stat().st_mode == plain.stat().st_mode  # not mkstemp's private 0600


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", r"bad\.json:1: not JSON"),
        ('{"format": "something-else"}', r"bad\.json: not a harness report"),
        (None, r"bad\.json: invalid report at \.tests\[0\]\.outcome: 'exploded' is not one of"),
        ("VERSION", r"bad\.json: report format version 99 is newer"),
    ],
)
def test_a_bad_report_is_a_clear_error_naming_the_file(run: Run, tmp_path: Path, content: str | None,
                                                       expected: str) -> None:
    path = tmp_path / "bad.json"
    data = run.report().to_json()
    if content is None:
        data["tests"][0]["outcome"] = "exploded"
        content = json.dumps(data)
    elif content == "VERSION":
        data["version"] = 99
        content = json.dumps(data)
    path.write_text(content)
    with pytest.raises(ReportError, match=expected):
        load_report(path)


def test_a_missing_report_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"nope\.json: no such report file"):
        load_report(tmp_path / "nope.json")


def test_the_schema_accepts_what_the_builder_writes(run: Run) -> None:
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(REPORT_SCHEMA)
    jsonschema.validate(run.report().to_json(), REPORT_SCHEMA)


def test_the_documented_example_is_a_valid_report() -> None:
    doc = (Path(__file__).resolve().parents[4] / "docs" / "report-format.md").read_text(encoding="utf-8")
    example = doc.split("## Example", 1)[1].split("```json\n", 1)[1].split("```", 1)[0]
    report = report_from_data(json.loads(example), source="docs/report-format.md")
    assert report.to_json()["summary"] == json.loads(example)["summary"]
    assert [i.to_json() for i in report.instances()] == json.loads(example)["instances"]
