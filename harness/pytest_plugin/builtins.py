"""Built-in test items per instance: policies, contracts and (when asked) post-deploy validators.

As pytest-mypy or pytest-ruff add their items, the plugin adds, to any run that collects a directory
of an Atmos repository, one item per selected instance and kind, under the repository's atmos.yaml:
``atmos.yaml::policies[plat-ue1-prod/vpc]``. A repository needs no test file to be checked and gated.
They are collected with the session's own collection, from the sorted instance list, so ``-k``/``-m``,
``--affected-since`` and ``--shard`` select them like any test and every xdist worker collects the same items.
Each carries its kind into the report (``TestRecord.kind``), where the gate looks for them.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness.errors import HarnessError
from harness.plan import Undetermined
from harness.pytest_plugin.options import builtin_kinds
from harness.pytest_plugin.state import (
    call_properties,
    harness_session,
    repository_found,
)

if TYPE_CHECKING:
    from harness.atmos import Instance
    from harness.plan import Plan
    from harness.policy import PolicyResult
    from harness.session import HarnessSession
    from harness.verify import Verifier

_VERIFIER_KEY = pytest.StashKey["Verifier"]()


class CheckFailed(Exception):
    """A built-in item's verdict: the message is the whole report (no traceback)."""


def plan_or_fail(harness: HarnessSession, inst: Instance) -> Plan:
    """The instance's plan, or a failure naming what Terraform would reject / why it cannot be planned."""
    errors = harness.contract_errors(inst)
    if errors:
        raise CheckFailed(f"{inst.id}: not planned: its inputs break the component's contract (Terraform would "
                          "reject them):\n" + "\n".join(f"  {e}" for e in errors))
    try:
        return harness.plan(inst)
    except HarnessError as exc:
        raise CheckFailed(f"{inst.id}: cannot plan: {exc}") from None


def record_policy_result(item: pytest.Item, plan: Plan, result: PolicyResult) -> None:
    """Findings and waivers go into the report (through the call phase's user properties)."""
    if not item.config.getoption("harness_report"):
        return
    props = call_properties(item)
    props.append(("harness_engine", plan.engine))
    props.append(("harness_findings", [f.to_json() for f in result.findings]))
    waivers = [{**w.to_json(), "status": "stale"} for w in result.stale]
    for finding in result.findings:
        if finding.waiver is not None:
            status = "expired" if finding.policy == "waiver.expired" else "used"
            waivers.append({**finding.waiver.to_json(), "status": status})
    props.append(("harness_waivers", waivers))


class BuiltinItem(pytest.Item):
    """One built-in check of one instance."""

    kind = ""

    def __init__(self, *, instance_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.harness_instance_id = instance_id
        self.add_marker(f"harness_{self.kind}")
        self.user_properties.append(("harness_instance", instance_id))
        self.user_properties.append(("harness_kind", self.kind))

    @property
    def harness(self) -> HarnessSession:
        return harness_session(self.config)

    @property
    def instance(self) -> Instance:
        return self.harness.instance(self.harness_instance_id)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.kind} of {self.harness_instance_id}"

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, CheckFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)


class PolicyItem(BuiltinItem):
    """Every policy the stack selects on the instance's plan: no unwaived failure at or above the threshold,
    no expired waiver, no broken policy setting. The findings are those of ``harness check``: checkov's on
    this plan (when checkov is installed) and the organization policies' that concern the instance or its
    stack. An instance with no planned resource is skipped, never passed: its policies are not applicable."""

    kind = "policies"

    def runtest(self) -> None:
        from harness.policy import Severity

        harness, inst = self.harness, self.instance
        plan = plan_or_fail(harness, inst)
        result = harness.policy_result(inst, plan)
        record_policy_result(self, plan, result)
        if result.empty and not result.findings and not result.errors:
            pytest.skip(f"{inst.id}: no planned resource, nothing to check ({len(result.not_applicable)} policies "
                        "not applicable)")
        threshold = Severity.parse(harness.fail_on)
        folder = harness.resolver.config.relative(inst.component_path)
        lines = [f"policy error: {error}" for error in result.errors]
        for f in result.failures:
            if f.severity >= threshold or f.policy == "waiver.expired":
                where = f" ({folder}/{f.source})" if f.source else ""
                controls = f" [{', '.join(f.controls)}]" if f.controls else ""
                lines.append(f"{f.severity.name.lower()}: {f.policy}: {f.address or '(plan)'}{where}: {f.message}"
                             f"{controls}")
        if lines:
            raise CheckFailed(f"{inst.id}: {len(lines)} policy failure(s) at or above {harness.fail_on}:\n"
                              + "\n".join(f"  {line}" for line in lines))


class ContractItem(BuiltinItem):
    """The stack's inputs fit the component: declared, typed and valid vars; dependencies that exist."""

    kind = "contracts"

    def runtest(self) -> None:
        findings = self.harness.contract_findings.get(self.harness_instance_id, [])
        warnings = [str(f) for f in findings if not f.blocking]
        if warnings:
            call_properties(self).append(("harness_contract_warnings", warnings))
        errors = [str(f) for f in findings if f.blocking]
        if errors:
            raise CheckFailed(f"{self.harness_instance_id}: {len(errors)} contract error(s):\n"
                              + "\n".join(f"  {e}" for e in errors))


class ValidatorItem(BuiltinItem):
    """What is deployed matches the stack (read-only checks against --live accounts or an emulator URL)."""

    kind = "validators"

    def runtest(self) -> None:
        report = verifier(self.config).verify(self.instance)
        if report.note and not report.results:
            pytest.skip(report.note)
        drift = [f"{r.check}: expected {r.expected!r}, found {r.actual!r}" + (f" ({r.reason})" if r.reason else "")
                 for r in report.drift]
        if drift:
            raise CheckFailed(f"{report.id}: {len(drift)} check(s) found drift:\n" + "\n".join(f"  {d}" for d in drift))
        undetermined = sorted(report.undetermined())
        if undetermined:
            reasons = {r.check: r.reason for r in report.results}
            raise Undetermined("; ".join(f"{c}: {reasons.get(c) or 'not decidable'}" for c in undetermined))


def verifier(config: pytest.Config) -> Verifier:
    """One read-only verifier per run: --live (allow-listed accounts) or the --emulator URL."""
    found = config.stash.get(_VERIFIER_KEY, None)
    if found is not None:
        return found
    from harness.verify import Verifier, make_access

    harness = harness_session(config)
    emulator = config.getoption("harness_emulator")
    live = bool(config.getoption("harness_live"))
    outputs = config.getoption("harness_outputs_dir")
    try:
        access = make_access(harness.selected, emulator=None if live else emulator, live=live,
                             allow_accounts=config.getoption("harness_allow_accounts") or ())
    except HarnessError as exc:
        raise CheckFailed(f"cannot validate: {exc}") from None
    found = Verifier(harness.resolver, access, outputs_dir=Path(outputs) if outputs else None)
    config.stash[_VERIFIER_KEY] = found
    return found


class HarnessChecks(pytest.File):
    """The repository's atmos.yaml as the parent of the built-in items (their node ids start with it)."""

    def collect(self) -> Iterator[pytest.Item]:
        from harness.verify import VALIDATORS

        harness = harness_session(self.config)
        kinds = builtin_kinds(self.config)
        classes: list[type[BuiltinItem]] = [c for c in (PolicyItem, ContractItem, ValidatorItem) if c.kind in kinds]
        for inst in harness.selected:
            for cls in classes:
                if cls is ValidatorItem and inst.folder not in VALIDATORS:
                    continue
                yield cls.from_parent(self, name=f"{cls.kind}[{inst.id}]", instance_id=inst.id)


def collects_a_directory(config: pytest.Config) -> bool:
    """Whether the run collects a folder (a plain ``pytest``, ``pytest tests``), not only named test files."""
    base = Path(str(config.invocation_params.dir))
    for arg in config.args:
        path = Path(arg.split("::", 1)[0])
        if (path if path.is_absolute() else base / path).is_dir():
            return True
    return False


def builtin_collector(session: pytest.Session) -> HarnessChecks | None:
    """The parent of this run's built-in items (None without a repository, kinds, or a collected directory)."""
    config = session.config
    if not builtin_kinds(config) or not collects_a_directory(config) or not repository_found(config):
        return None
    cfg = harness_session(config).resolver.config
    return HarnessChecks.from_parent(session, path=Path(cfg.config_file or cfg.base_path / "atmos.yaml"))


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, pytest.CollectReport,
                                                                          pytest.CollectReport]:
    """The built-in items join the session's collection, next to the folders and files on the command line,
    so pytest collects, counts and deselects them (-k/-m, --affected-since, --shard) like any test."""
    report = yield
    if isinstance(collector, pytest.Session) and report.passed:
        checks = builtin_collector(collector)
        if checks is not None:
            report.result.append(checks)
    return report
