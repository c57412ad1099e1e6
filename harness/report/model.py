"""The harness's JSON report: one file per run or shard, joinable, read by the gate and the renderers.

The format is versioned (``format``/``version``) and documented in docs/report-format.md. Only
facts are stored by hand (tests, findings, waivers, environment, retries); everything derivable
(instances, durations, summary) is recomputed from them on every write, so a merged report equals
the report of the full run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from harness import __version__
from harness.errors import HarnessError
from harness.masking import mask

FORMAT = "atmos-harness-report"
VERSION = 1

OUTCOMES = ("passed", "failed", "undetermined", "skipped", "error")
#: What a built-in test item checked (``TestRecord.kind``); the gate wants policy and contract results.
TEST_KINDS = ("policies", "contracts", "validators")
#: Facts about the run as a whole (``Report.run``): what was tested and whether the run itself was sound.
RUN_KEYS = ("commit", "ref", "dirty", "exit_status", "usage_error", "interrupted", "collection_errors", "fail_on")
SEVERITIES = ("info", "low", "medium", "high", "critical")
FINDING_STATUSES = ("fail", "undetermined", "waived")
WAIVER_STATES = ("used", "expired", "stale")
#: Instance statuses, worst first; a matrix cell shows the worst thing that happened to the instance.
INSTANCE_STATUSES = ("failed", "undetermined", "passed", "skipped")
NOT_DEPLOYED = "not-deployed"
EXPIRED_WAIVER_POLICY = "waiver.expired"

REASON_MAX = 500
LONGREPR_MAX = 4000
SLOWEST = 10

_OUTCOME_RANK = {"passed": 0, "skipped": 1, "undetermined": 2, "failed": 3, "error": 4}
_WAIVER_RANK = {"stale": 0, "used": 1, "expired": 2}
_SHARD_RE = re.compile(r"^(\d+)/(\d+)$")


class ReportError(HarnessError):
    """A report file is missing, not JSON, or not in the report format."""


def severity_rank(severity: str) -> int:
    """0 (info) .. 4 (critical); unknown severities rank as info."""
    try:
        return SEVERITIES.index(severity)
    except ValueError:
        return 0


def outcome_rank(outcome: str) -> int:
    """How bad a test outcome is (error > failed > undetermined > skipped > passed)."""
    return _OUTCOME_RANK[outcome]


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """``"2/4"`` -> (2, 4); None stays None; anything else is a ValueError."""
    if text is None:
        return None
    match = _SHARD_RE.match(str(text).strip())
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise ValueError(f"shard must look like K/N with 1 <= K <= N, got {text!r}")
    return int(match.group(1)), int(match.group(2))


def utc_now() -> str:
    """The report timestamp format: ISO 8601, UTC, seconds."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _clip(text: str | None, limit: int, *, keep_tail: bool = False) -> str | None:
    """Bound a text field; tracebacks keep their tail (where the assertion is), reasons their head."""
    if text is None:
        return None
    text = str(text)
    if len(text) <= limit:
        return text
    if keep_tail:
        cut = len(text) - limit
        return f"[... {cut} characters cut]\n" + text[-limit:]
    return text[: limit - 1] + "…"


def instance_id(stack: str, component: str) -> str:
    """The instance id the harness uses everywhere: ``stack/component``."""
    return f"{stack}/{component}"


@dataclass(frozen=True)
class TestRecord:
    """One test's outcome; ``stack``/``component`` are None for tests that run for no instance."""

    __test__ = False  # not a pytest test class

    nodeid: str
    outcome: str
    stack: str | None = None
    component: str | None = None
    reason: str | None = None
    duration: float = 0.0
    longrepr: str | None = None
    kind: str | None = None

    @property
    def instance(self) -> str | None:
        """``stack/component``, or None."""
        if self.stack is None or self.component is None:
            return None
        return instance_id(self.stack, self.component)

    def worse(self, other: TestRecord) -> TestRecord:
        """The worse of two records of the same test (a total order, so joins are order-independent)."""
        def key(rec: TestRecord) -> tuple[int, str, str, float]:
            return (outcome_rank(rec.outcome), rec.reason or "", rec.longrepr or "", rec.duration)

        return self if key(self) >= key(other) else other

    def to_json(self) -> dict[str, Any]:
        """The JSON form."""
        data: dict[str, Any] = {"nodeid": self.nodeid, "stack": self.stack, "component": self.component,
                                "outcome": self.outcome, "reason": self.reason, "duration": self.duration,
                                "longrepr": self.longrepr}
        if self.kind is not None:
            data["kind"] = self.kind
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TestRecord:
        """Read the JSON form (already validated)."""
        return cls(nodeid=data["nodeid"], outcome=data["outcome"], stack=data.get("stack"),
                   component=data.get("component"), reason=data.get("reason"),
                   duration=float(data.get("duration") or 0.0), longrepr=data.get("longrepr"),
                   kind=data.get("kind"))


def make_test(nodeid: str, *, stack: str | None, component: str | None, outcome: str, reason: str | None = None,
              duration: float = 0.0, longrepr: str | None = None, kind: str | None = None) -> TestRecord:
    """A validated, bounded TestRecord (long reasons and tracebacks are clipped)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"{nodeid}: outcome must be one of {', '.join(OUTCOMES)}, got {outcome!r}")
    if kind is not None and kind not in TEST_KINDS:
        raise ValueError(f"{nodeid}: kind must be one of {', '.join(TEST_KINDS)}, got {kind!r}")
    if (stack is None) != (component is None):
        raise ValueError(f"{nodeid}: give both stack and component, or neither")
    return TestRecord(nodeid=str(nodeid), outcome=outcome, stack=stack, component=component,
                      reason=_clip(reason, REASON_MAX), duration=round(max(0.0, float(duration)), 3),
                      longrepr=_clip(longrepr, LONGREPR_MAX, keep_tail=True), kind=kind)


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def normalize_finding(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A policy finding in report form (accepts ``harness.policy.Finding.to_json()``: ``outcome`` = ``status``)."""
    status = str(raw.get("status", raw.get("outcome", ""))).lower()
    severity = str(raw.get("severity", "")).lower()
    policy_id = raw.get("policy")
    if not policy_id:
        raise ValueError(f"finding without a policy id: {dict(raw)!r}")
    if status not in FINDING_STATUSES:
        raise ValueError(f"finding {policy_id}: status must be one of {', '.join(FINDING_STATUSES)}, got {status!r}")
    if severity not in SEVERITIES:
        raise ValueError(f"finding {policy_id}: severity must be one of {', '.join(SEVERITIES)}, got {severity!r}")
    line = raw.get("line")
    waiver = raw.get("waiver")
    controls = raw.get("controls") or []
    return {
        "policy": str(policy_id),
        "title": _opt_str(raw.get("title")),
        "severity": severity,
        "status": status,
        "stack": str(raw.get("stack", "")),
        "component": str(raw.get("component", "")),
        "address": _opt_str(raw.get("address")),
        "file": _opt_str(raw.get("file")),
        "line": int(line) if line is not None else None,
        "message": _clip(str(raw.get("message", "")), REASON_MAX * 4),
        "controls": list(dict.fromkeys(str(c) for c in controls)),
        "waiver": _waiver_ref(waiver) if isinstance(waiver, Mapping) else None,
    }


def _waiver_ref(waiver: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a waiver worth repeating on each finding it covers."""
    return {"reason": _opt_str(waiver.get("reason")), "expires": _opt_str(waiver.get("expires")),
            "ticket": _opt_str(waiver.get("ticket"))}


def finding_key(finding: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """The identity of a finding across runs: policy, stack, component, address."""
    return (finding["policy"], finding["stack"], finding["component"], finding.get("address") or "")


def _finding_sort_key(finding: Mapping[str, Any]) -> tuple[Any, ...]:
    return (finding["stack"], finding["component"], -severity_rank(finding["severity"]), finding["policy"],
            finding.get("address") or "", finding.get("file") or "", finding.get("line") or 0, finding["status"],
            json.dumps(finding, sort_keys=True))


def normalize_waiver(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A waiver in report form (``harness.policy.Waiver.to_json()`` plus ``status``: used|expired|stale)."""
    status = str(raw.get("status", raw.get("state", ""))).lower()
    if status not in WAIVER_STATES:
        raise ValueError(f"waiver {raw.get('policy')!r}: status must be one of {', '.join(WAIVER_STATES)}, "
                         f"got {status!r}")
    resources = raw.get("resources") or []
    if isinstance(resources, str):
        resources = [resources]
    index = raw.get("index")
    return {
        "status": status,
        "policy": str(raw.get("policy", "")),
        "stack": str(raw.get("stack", "")),
        "component": _opt_str(raw.get("component")),
        "resources": [str(r) for r in resources],
        "reason": str(raw.get("reason", "")),
        "expires": _opt_str(raw.get("expires")),
        "ticket": _opt_str(raw.get("ticket")),
        "index": int(index) if index is not None else None,
    }


def waiver_key(waiver: Mapping[str, Any]) -> tuple[str, str, int, str]:
    """The identity of a waiver: the stack, component scope, position and policy it was declared with."""
    index = waiver.get("index")
    return (waiver["stack"], waiver.get("component") or "", -1 if index is None else int(index), waiver["policy"])


def combine_waivers(waivers: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One entry per waiver; expired beats used beats stale (a stack-wide waiver is stale only if nothing used it)."""
    best: dict[tuple[str, str, int, str], dict[str, Any]] = {}
    for waiver in waivers:
        key = waiver_key(waiver)
        current = best.get(key)
        if current is None or _WAIVER_RANK[waiver["status"]] > _WAIVER_RANK[current["status"]]:
            best[key] = dict(waiver)
    return [best[k] for k in sorted(best)]


@dataclass(frozen=True)
class InstanceSummary:
    """One (stack, component) instance of the run, with the counts a matrix cell shows."""

    stack: str
    component: str
    status: str
    engine: str | None
    tests: dict[str, int]
    findings: dict[str, int]

    @property
    def id(self) -> str:
        """``stack/component``."""
        return instance_id(self.stack, self.component)

    @property
    def total(self) -> int:
        """Number of tests of the instance."""
        return sum(self.tests.values())

    def to_json(self) -> dict[str, Any]:
        """The JSON form."""
        return {"id": self.id, "stack": self.stack, "component": self.component, "status": self.status,
                "engine": self.engine, "tests": dict(self.tests), "findings": dict(self.findings)}


def _instance_status(tests: Mapping[str, int], findings: Mapping[str, int]) -> str:
    if tests["failed"] or tests["error"] or findings["fail"]:
        return "failed"
    if tests["undetermined"] or findings["undetermined"]:
        return "undetermined"
    if tests["passed"]:
        return "passed"
    if tests["skipped"]:
        return "skipped"
    return "passed"  # findings only (waived), or an instance with nothing to test


@dataclass
class Report:
    """A whole report; ``to_json`` adds the derived parts (instances, durations, summary)."""

    created: str = field(default_factory=utc_now)
    environment: dict[str, Any] = field(default_factory=dict)
    shard: str | None = None
    tests: list[TestRecord] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    waivers: list[dict[str, Any]] = field(default_factory=list)
    retries: int = 0
    #: RUN_KEYS facts (commit, ref, dirty, exit status, usage error, ...); empty for a report made by hand.
    run: dict[str, Any] = field(default_factory=dict)

    @property
    def engines(self) -> dict[str, str]:
        """Instance id -> engine that planned it."""
        engines = self.environment.get("engines")
        return dict(engines) if isinstance(engines, Mapping) else {}

    def sorted_tests(self) -> list[TestRecord]:
        """Tests by node id."""
        return sorted(self.tests, key=lambda t: t.nodeid)

    def sorted_findings(self) -> list[dict[str, Any]]:
        """Findings by stack, component, severity (worst first), policy, address."""
        return sorted(self.findings, key=_finding_sort_key)

    def commit_label(self) -> str | None:
        """``commit 0123456789ab (main, dirty)``: what the run tested, for the renderings; None when unknown."""
        commit = self.run.get("commit")
        if not commit:
            return None
        extra = [str(self.run["ref"])] if self.run.get("ref") else []
        if self.run.get("dirty"):
            extra.append("dirty")
        return f"commit {str(commit)[:12]}" + (f" ({', '.join(extra)})" if extra else "")

    def tests_of_kind(self, kind: str) -> list[TestRecord]:
        """The built-in items of one kind (policies, contracts, validators) that ran."""
        return [t for t in self.tests if t.kind == kind]

    def waivers_with(self, status: str) -> list[dict[str, Any]]:
        """Waivers in one state (used, expired or stale)."""
        return [w for w in combine_waivers(self.waivers) if w["status"] == status]

    def instances(self) -> list[InstanceSummary]:
        """Every instance seen in tests, findings or engines, sorted by stack then component."""
        engines = self.engines
        keys: set[tuple[str, str]] = set()
        for test in self.tests:
            if test.stack is not None and test.component is not None:
                keys.add((test.stack, test.component))
        for finding in self.findings:
            if finding["stack"] and finding["component"]:
                keys.add((finding["stack"], finding["component"]))
        for ident in engines:
            stack, sep, component = ident.partition("/")  # stack names hold no '/', components may
            if sep and stack and component:
                keys.add((stack, component))
        tests: dict[tuple[str, str], dict[str, int]] = {k: dict.fromkeys(OUTCOMES, 0) for k in keys}
        findings: dict[tuple[str, str], dict[str, int]] = {k: dict.fromkeys(FINDING_STATUSES, 0) for k in keys}
        for test in self.tests:
            if test.stack is not None and test.component is not None:
                tests[(test.stack, test.component)][test.outcome] += 1
        for finding in self.findings:
            key = (finding["stack"], finding["component"])
            if key in findings:
                findings[key][finding["status"]] += 1
        return [InstanceSummary(stack=s, component=c, status=_instance_status(tests[(s, c)], findings[(s, c)]),
                                engine=engines.get(instance_id(s, c)), tests=tests[(s, c)],
                                findings=findings[(s, c)]) for s, c in sorted(keys)]

    def durations(self) -> dict[str, Any]:
        """Seconds: total of all tests, per instance, and the slowest tests."""
        by_instance: dict[str, float] = {}
        ordered = self.sorted_tests()
        for test in ordered:
            if test.instance is not None:
                by_instance[test.instance] = by_instance.get(test.instance, 0.0) + test.duration
        slowest = sorted(ordered, key=lambda t: (-t.duration, t.nodeid))[:SLOWEST]
        return {
            "total": round(sum(t.duration for t in ordered), 3),
            "by_instance": {k: round(v, 3) for k, v in sorted(by_instance.items())},
            "slowest": [{"nodeid": t.nodeid, "duration": t.duration} for t in slowest],
        }

    def summary(self) -> dict[str, Any]:
        """Counts of tests, instances, findings and waivers; ``ok`` when nothing fails outright."""
        tests = dict.fromkeys(OUTCOMES, 0)
        for test in self.tests:
            tests[test.outcome] += 1
        instances = dict.fromkeys(INSTANCE_STATUSES, 0)
        for inst in self.instances():
            instances[inst.status] += 1
        findings = dict.fromkeys(FINDING_STATUSES, 0)
        by_severity = dict.fromkeys(reversed(SEVERITIES), 0)
        for finding in self.findings:
            findings[finding["status"]] += 1
            if finding["status"] == "fail":
                by_severity[finding["severity"]] += 1
        waivers = dict.fromkeys(WAIVER_STATES, 0)
        for waiver in combine_waivers(self.waivers):
            waivers[waiver["status"]] += 1
        ok = not (tests["failed"] or tests["error"] or findings["fail"] or waivers["expired"])
        return {
            "tests": {"total": len(self.tests), **tests},
            "instances": {"total": sum(instances.values()), **instances},
            "findings": {"total": len(self.findings), **findings, "fail_by_severity": by_severity},
            "waivers": waivers,
            "retries": self.retries,
            "ok": ok,
        }

    def to_json(self) -> dict[str, Any]:
        """The deterministic JSON document (sorted everywhere, derived parts recomputed)."""
        data: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "created": self.created,
            "environment": _sorted_environment(self.environment),
            "shard": self.shard,
            "summary": self.summary(),
            "instances": [i.to_json() for i in self.instances()],
            "tests": [t.to_json() for t in self.sorted_tests()],
            "findings": self.sorted_findings(),
            "waivers": combine_waivers(self.waivers),
            "durations": self.durations(),
            "retries": self.retries,
        }
        if self.run:
            data["run"] = {k: self.run[k] for k in sorted(self.run)}
        return data

    def dumps(self) -> str:
        """The report as JSON text (stable key order, trailing newline)."""
        return json.dumps(mask(self.to_json()), indent=2, ensure_ascii=False) + "\n"

    def write(self, path: str | Path) -> Path:
        """Write atomically (temporary file in the same folder, then rename): readers never see half a report."""
        return write_atomic(Path(path), self.dumps())

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Report:
        """Read a validated JSON document."""
        return cls(created=data["created"], environment=dict(data["environment"]), shard=data.get("shard"),
                   tests=[TestRecord.from_json(t) for t in data["tests"]],
                   findings=[normalize_finding(f) for f in data["findings"]],
                   waivers=[normalize_waiver(w) for w in data["waivers"]], retries=int(data["retries"]),
                   run=dict(data.get("run") or {}))


def _sorted_environment(env: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in sorted(env):
        value = env[key]
        out[key] = {k: value[k] for k in sorted(value)} if isinstance(value, Mapping) else value
    return out


def default_environment() -> dict[str, Any]:
    """What the harness knows about its own run: versions of the harness and Python, the platform."""
    return {"harness": __version__, "python": platform.python_version(), "platform": platform.platform(),
            "terraform": None, "providers": {}, "engines": {}}


def _file_mode(path: Path) -> int:
    """The mode a plain ``open(path, "w")`` would give: the existing file's, else 0o666 minus the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary sibling and ``os.replace`` (readers never see half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _file_mode(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


class ReportBuilder:
    """Collects one run's results (the pytest plugin calls it; plain Python works too)."""

    def __init__(self, *, shard: str | None = None, created: str | None = None,
                 environment: Mapping[str, Any] | None = None) -> None:
        parse_shard(shard)
        env = default_environment()
        env.update(environment or {})
        self._report = Report(created=created or utc_now(), environment=env, shard=shard)
        self._tests: dict[str, TestRecord] = {}

    def set_shard(self, shard: str | None) -> None:
        """``"K/N"`` when this run is one shard of N, else None."""
        parse_shard(shard)
        self._report.shard = shard

    def set_environment(self, environment: Mapping[str, Any]) -> None:
        """Merge environment facts (``terraform``, ``providers``, ...); mappings merge key by key."""
        env = self._report.environment
        for key, value in environment.items():
            if isinstance(value, Mapping) and isinstance(env.get(key), Mapping):
                env[key] = {**env[key], **value}
            else:
                env[key] = value

    def set_run(self, **facts: Any) -> None:
        """Record facts about the run (``RUN_KEYS``: commit, ref, dirty, exit_status, usage_error, ...)."""
        unknown = sorted(set(facts) - set(RUN_KEYS))
        if unknown:
            raise ValueError(f"unknown run fact(s): {', '.join(unknown)} (known: {', '.join(RUN_KEYS)})")
        self._report.run.update(facts)

    def set_engine(self, instance: str, engine: str) -> None:
        """Record which engine planned ``instance`` (``stack/component``)."""
        engines = self._report.environment.setdefault("engines", {})
        engines[str(instance)] = str(engine)

    def add_test(self, nodeid: str, *, stack: str | None, component: str | None, outcome: str,
                 reason: str | None = None, duration: float = 0.0, longrepr: str | None = None,
                 kind: str | None = None) -> None:
        """Record a test outcome; a second record for the same node id keeps the worse outcome, adding durations."""
        record = make_test(nodeid, stack=stack, component=component, outcome=outcome, reason=reason,
                           duration=duration, longrepr=longrepr, kind=kind)
        previous = self._tests.get(record.nodeid)
        if previous is not None:
            worse = previous.worse(record)
            record = TestRecord(nodeid=worse.nodeid, outcome=worse.outcome, stack=worse.stack,
                                component=worse.component, reason=worse.reason, longrepr=worse.longrepr,
                                duration=round(previous.duration + record.duration, 3),
                                kind=previous.kind or record.kind)
        self._tests[record.nodeid] = record

    def add_findings(self, findings: Iterable[Mapping[str, Any]]) -> None:
        """Record policy findings (dicts as ``Finding.to_json()`` gives them)."""
        self._report.findings.extend(normalize_finding(f) for f in findings)

    def add_waivers(self, waivers: Iterable[Mapping[str, Any]]) -> None:
        """Record waivers, each with ``status``: used, expired or stale."""
        self._report.waivers.extend(normalize_waiver(w) for w in waivers)

    def add_retries(self, n: int) -> None:
        """Count AWS call retries (throttling, transient errors)."""
        self._report.retries += int(n)

    def build(self) -> Report:
        """The report so far."""
        self._report.tests = list(self._tests.values())
        return self._report

    def to_json(self) -> dict[str, Any]:
        """The report's JSON document."""
        return self.build().to_json()

    def write(self, path: str | Path) -> Path:
        """Write the report atomically."""
        return self.build().write(path)


def load_report(path: str | Path) -> Report:
    """Read and validate a report file; a bad file is a ReportError naming it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError("no such report file", file=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"cannot read report: {exc}", file=path) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(f"not JSON: {exc.msg} (column {exc.colno})", file=path, line=exc.lineno) from None
    return report_from_data(data, source=path)


def report_from_data(data: Any, *, source: str | Path = "<report>") -> Report:
    """Validate a decoded report document against the schema and build a Report."""
    from harness.report.schema import REPORT_SCHEMA

    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ReportError(f"not a harness report (expected \"format\": \"{FORMAT}\")", file=source)
    version = data.get("version")
    if isinstance(version, int) and version > VERSION:
        raise ReportError(f"report format version {version} is newer than this harness reads (up to {VERSION}); "
                          "upgrade atmos-harness", file=source)
    validator = jsonschema.Draft202012Validator(REPORT_SCHEMA)
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path) or "(top level)"
        raise ReportError(f"invalid report at {where}: {error.message}", file=source)
    return Report.from_json(mask(data))  # a report written before masking settings changed is masked too
