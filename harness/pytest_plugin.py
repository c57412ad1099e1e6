"""The pytest plugin: options, the ``component`` marker, fixtures, and the undetermined outcome.

Thin by design: everything it does is a call into ``harness.session``; the plugin only maps it onto
pytest's hooks (parametrization, skips, report sections, the terminal summary).
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness import __version__
from harness.errors import HarnessError
from harness.masking import mask_test_report, mask_text
from harness.plan import Resource, Undetermined

# The plugin loads in every pytest run of the environment (a pytest11 entry point): the heavy parts of
# the harness are imported only when a run uses them.
if TYPE_CHECKING:
    from harness.atmos import Instance, Resolver
    from harness.plan import Plan
    from harness.policy import PolicyResult
    from harness.report import ReportBuilder
    from harness.session import HarnessSession

_SESSION_KEY = pytest.StashKey["HarnessSession"]()
_UNDETERMINED_KEY = pytest.StashKey[list[str]]()
_REPORT_KEY = pytest.StashKey["ReportBuilder"]()
_CALL_PROPERTIES_KEY = pytest.StashKey[list[tuple[str, Any]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "atmos-harness")
    group.addoption("--base-path", dest="harness_base_path", default=None,
                    help="Atmos repository (default: atmos.yaml found upward from the rootdir).")
    group.addoption("--stacks", dest="harness_stacks", default=None,
                    help="Only stacks matching this glob (comma-separated globs allowed).")
    group.addoption("--components", dest="harness_components", default=None,
                    help="Only these components (comma-separated).")
    group.addoption("--engine", dest="harness_engine", default="auto",
                    choices=["auto", "static", "terraform", "recorded"],
                    help="How plans are made (default: auto = terraform when usable, else static).")
    group.addoption("--plans-dir", dest="harness_plans_dir", default=None,
                    help="Recorded plans: DIR/<stack>/<component>.json (implies --engine recorded).")
    group.addoption("--terraform", dest="harness_terraform", default=None,
                    help="Terraform or OpenTofu binary (default: $HARNESS_TERRAFORM, terraform, tofu).")
    group.addoption("--strict-unknowns", dest="harness_strict_unknowns", action="store_true",
                    help="Fail, instead of skip, checks that depend on values known only after apply.")
    group.addoption("--allow-exec", dest="harness_allow_exec", action="store_true",
                    help="Let stacks run !exec shell commands.")
    group.addoption("--harness-cache", dest="harness_cache", default=None,
                    help="Plan cache folder (default: <repo>/.harness-cache); 'off' disables it.")
    group.addoption("--affected-since", dest="harness_affected_since", default=None, metavar="REF",
                    help="Only run tests of instances affected since this git ref (and dependents).")
    group.addoption("--shard", dest="harness_shard", default=None, metavar="K/N",
                    help="Run shard K of N (deterministic; balanced by --durations-file when present).")
    group.addoption("--durations-file", dest="harness_durations_file", default=None,
                    help="Recorded seconds per instance/test for balancing shards "
                         "(default: .harness-durations.json at the rootdir, if present).")
    group.addoption("--harness-report", dest="harness_report", default=None, metavar="FILE.json",
                    help="Write the run's report (tests per instance, policy findings, waivers, engine, durations).")
    group.addoption("--store-durations", dest="harness_store_durations", default=None, metavar="PATH",
                    help="Write the seconds each instance/test took, for balancing later shards.")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "component(name): run once per stack that deploys the component")
    config.stash[_UNDETERMINED_KEY] = []
    if config.getoption("harness_report") and not hasattr(config, "workerinput"):
        from harness.report import ReportBuilder

        config.stash[_REPORT_KEY] = ReportBuilder(shard=config.getoption("harness_shard"))
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and "GOMAXPROCS" not in os.environ:
        # N workers on the machine's cores: each tfparse child (Go) gets its share of them, not all of them
        workers = int(workerinput.get("workercount") or 1)
        os.environ["GOMAXPROCS"] = str(max(1, (os.cpu_count() or 1) // workers))


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(_SESSION_KEY, None)
    if session is not None:
        session.close()


def _session(config: pytest.Config) -> HarnessSession:
    """The run's session, made on first use (a run that uses no harness feature never resolves anything)."""
    session = config.stash.get(_SESSION_KEY, None)
    if session is None:
        from harness.session import HarnessSession, SessionOptions

        base = config.getoption("harness_base_path")
        plans = config.getoption("harness_plans_dir")
        session = HarnessSession(SessionOptions(
            base_path=Path(base) if base else None,
            start=Path(str(config.rootpath)),
            # the rootdir can sit above the repository (no ini file, an option value that is a path)
            also_start=(Path(str(config.invocation_params.dir)),),
            stacks=config.getoption("harness_stacks"),
            components=config.getoption("harness_components"),
            engine=config.getoption("harness_engine"),
            plans_dir=Path(plans) if plans else None,
            terraform=config.getoption("harness_terraform"),
            allow_exec=bool(config.getoption("harness_allow_exec")),
            cache=config.getoption("harness_cache"),
        ))
        config.stash[_SESSION_KEY] = session
    return session


def _item_key(item: pytest.Item) -> tuple[str, bool]:
    """The unit that selection and sharding move around: the instance, else the test itself."""
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "harness_instance_id" in callspec.params:
        return str(callspec.params["harness_instance_id"]), True
    return item.nodeid, False


#: Plan groups per xdist worker under ``--dist loadgroup``: enough to even out the load, few enough that
#: each batch stays large (and xdist's group scheduler, whose bookkeeping grows with the tests, stays cheap).
GROUPS_PER_WORKER = 4
#: Instances per plan group under ``--dist load``/``worksteal``, which hand a worker runs of consecutive tests.
CONSECUTIVE_GROUP = 8


def _durations(config: pytest.Config) -> dict[str, float]:
    from harness.select import load_durations

    path = config.getoption("harness_durations_file")
    return load_durations(Path(path) if path else config.rootpath / ".harness-durations.json")


def _plan_groups(config: pytest.Config, keys: list[str]) -> dict[str, str]:
    """Instance id -> plan group (``keys`` in test order); see ``HarnessSession.plan_groups``.

    Without xdist every kept instance is one group. Under ``--dist loadgroup`` the groups are balanced sets
    that the plugin marks as xdist groups, so each goes whole to one worker. Under ``--dist load`` and
    ``worksteal`` a worker receives runs of consecutive tests and the tests of an instance are consecutive
    (see ``_instances_together``): a group is a few consecutive instances.
    """
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None:
        return dict.fromkeys(keys, "all")
    dist = _worker_dist(config)
    if dist == "loadgroup":
        from harness.select import assign_shards

        workers = int(workerinput.get("workercount") or 1)
        shards = assign_shards(keys, GROUPS_PER_WORKER * workers, _durations(config))
        return {key: f"harness-plans-{shard}" for key, shard in shards.items()}
    if dist in ("load", "worksteal"):
        return {key: f"harness-run-{n // CONSECUTIVE_GROUP}" for n, key in enumerate(keys)}
    return {key: key for key in keys}  # tests of one instance may run anywhere: plan one at a time


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Tell each xdist worker how the controller distributes tests (a worker's own ``--dist`` reads "no")."""
    node.workerinput["harness_dist"] = node.config.getoption("dist", None)


def _worker_dist(config: pytest.Config) -> str | None:
    """On an xdist worker, the controller's ``--dist`` mode; None elsewhere."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None:
        return None
    dist = workerinput.get("harness_dist")
    return str(dist) if dist else ("loadgroup" if getattr(config.option, "loadgroup", False) else None)


def _instances_together(items: list[pytest.Item]) -> list[pytest.Item]:
    """The same items, each instance's tests moved together at its first test (everything else in order)."""
    first: dict[str, int] = {}
    order: list[tuple[int, int]] = []
    for index, item in enumerate(items):
        key, is_instance = _item_key(item)
        order.append((first.setdefault(key, index) if is_instance else index, index))
    return [items[i] for _, i in sorted(order)]


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Apply --affected-since and --shard (in that order) by deselecting items."""
    keep = list(items)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    notes: list[str] = []
    since = config.getoption("harness_affected_since")
    if since:
        from harness.select import affected_instances

        harness = _session(config)
        off = (config.getoption("harness_cache") or "").lower() == "off"
        result = affected_instances(harness.resolver.config, since, allow_exec=harness.options.allow_exec,
                                    index="off" if off else None)
        if not result.decided:
            notes.append(f"harness: {result.note}")
        else:
            selected = []
            for item in keep:
                key, is_instance = _item_key(item)
                if (key in result.instances) if is_instance else (result.harness_changed or result.stacks_changed):
                    selected.append(item)
            notes.append(f"harness: --affected-since {since}: {len(result.instances)} affected instance(s), "
                         f"{len(selected)}/{len(keep)} tests selected"
                         + ("; harness changed: its own tests run" if result.harness_changed else ""))
            for instance_id, reasons in sorted(result.instances.items()):
                notes.append(f"  {instance_id}: {', '.join(reasons)}")
            keep = selected
    shard = config.getoption("harness_shard")
    if shard:
        from harness.select import assign_shards, parse_shard

        k, n = parse_shard(shard)
        durations = _durations(config)
        shards = assign_shards([_item_key(i)[0] for i in keep], n, durations)
        kept = [i for i in keep if shards[_item_key(i)[0]] == k]
        notes.append(f"harness: shard {k}/{n}: {len(kept)}/{len(keep)} tests"
                     + (" (balanced by recorded durations)" if durations else ""))
        keep = kept
    worker_dist = _worker_dist(config)
    if worker_dist in ("load", "worksteal"):
        keep = _instances_together(keep)  # identical on every worker: xdist compares the collections
    instance_keys = list(dict.fromkeys(key for key, is_instance in map(_item_key, keep) if is_instance))
    if instance_keys:
        groups = _plan_groups(config, instance_keys)
        _session(config).plan_groups = groups
        if worker_dist == "loadgroup":
            # whole groups go to one worker, which plans each group in one batch when it starts on it
            for item in keep:
                key, is_instance = _item_key(item)
                if is_instance:
                    item.add_marker(pytest.mark.xdist_group(groups[key]))
    if len(keep) != len(items):
        kept_items = set(keep)
        config.hook.pytest_deselected(items=[i for i in items if i not in kept_items])
    items[:] = keep
    if reporter is not None:
        for note in notes:
            reporter.write_line(note)


@pytest.hookimpl(trylast=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        _DURATIONS.append((report.nodeid, report.duration))
    builder = _BUILDER[0]
    if builder is None:
        return
    from harness.report.collect import record_phase, split_instance

    props: dict[str, Any] = dict(report.user_properties)
    instance = props.get("harness_instance")
    stack, component = split_instance(str(instance) if instance else None)
    record_phase(builder, report, stack=stack, component=component)
    if report.when != "call":
        return
    if "harness_engine" in props and props.get("harness_instance"):
        builder.set_engine(str(props["harness_instance"]), str(props["harness_engine"]))
    builder.add_findings(list(props.get("harness_findings") or []))
    builder.add_waivers(list(props.get("harness_waivers") or []))


_BUILDER: list[ReportBuilder | None] = [None]


_DURATIONS: list[tuple[str, float]] = []


def pytest_sessionstart(session: pytest.Session) -> None:
    _BUILDER[0] = session.config.stash.get(_REPORT_KEY, None)


def _write_report(session: pytest.Session) -> None:
    builder = session.config.stash.get(_REPORT_KEY, None)
    path = session.config.getoption("harness_report")
    if builder is None or not path:
        return
    harness = session.config.stash.get(_SESSION_KEY, None)
    environment: dict[str, Any] = {"harness": __version__, "python": platform.python_version()}
    if harness is not None and harness.used:
        engine = harness.engine[0]
        environment["engine"] = engine.name
        environment["terraform"] = getattr(engine, "version", None)
        environment["base_path"] = str(harness.resolver.config.base_path)
    builder.set_environment(environment)
    builder.write(Path(path))
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"harness: report written to {path}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _write_report(session)
    _BUILDER[0] = None
    path = session.config.getoption("harness_store_durations")
    if not path or hasattr(session.config, "workerinput"):
        return
    by_key: dict[str, float] = {}
    keys = {item.nodeid: _item_key(item)[0] for item in session.items}
    for nodeid, seconds in _DURATIONS:
        key = keys.get(nodeid, nodeid)
        by_key[key] = by_key.get(key, 0.0) + seconds
    Path(path).write_text(json.dumps(dict(sorted(by_key.items())), indent=1))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Say which engine, binary, stacks and instances this run uses (once anything asked for them)."""
    harness = session.config.stash.get(_SESSION_KEY, None)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if harness is None or not harness.used or reporter is None:
        return
    try:
        reporter.write_line(harness.header())
    except HarnessError as exc:
        reporter.write_line(f"harness: {exc}")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("component")
    if marker is None:
        return
    if not marker.args or not isinstance(marker.args[0], str):
        raise pytest.UsageError(f"{metafunc.definition.nodeid}: use @pytest.mark.component('<name>')")
    if "harness_instance_id" not in metafunc.fixturenames:
        return  # a test in a marked module that needs no instance runs once
    session = _session(metafunc.config)
    try:
        instances = session.instances_of(marker.args[0])
    except HarnessError as exc:
        raise pytest.UsageError(f"harness: {exc}") from None
    per_stack: dict[str, int] = {}
    for inst in instances:
        per_stack[inst.stack] = per_stack.get(inst.stack, 0) + 1
    metafunc.parametrize(
        "harness_instance_id",
        [i.id for i in instances],
        ids=[i.stack if per_stack[i.stack] == 1 else f"{i.stack}:{i.component}" for i in instances],
        indirect=True,
    )


@pytest.fixture
def harness_instance_id(request: pytest.FixtureRequest) -> str:
    """The ``stack/component`` a component test runs for (set by the ``component`` marker)."""
    param = getattr(request, "param", None)
    if param is None:
        raise pytest.UsageError(f"{request.node.nodeid}: 'instance'/'plan' need @pytest.mark.component('<name>')")
    request.node.user_properties.append(("harness_instance", str(param)))
    return str(param)


@pytest.fixture(scope="session")
def harness_session(request: pytest.FixtureRequest) -> HarnessSession:
    """The session object: resolver, engine, plan cache."""
    return _session(request.config)


@pytest.fixture(scope="session")
def stacks(harness_session: HarnessSession) -> Resolver:
    """The stack resolver for the repository under test."""
    return harness_session.resolver


@pytest.fixture
def instance(harness_session: HarnessSession, harness_instance_id: str) -> Instance:
    """The resolved instance (vars, settings, env, backend, workspace, ...) of this test's stack."""
    return harness_session.instance(harness_instance_id)


@pytest.fixture
def plan(harness_session: HarnessSession, instance: Instance) -> Plan:
    """The instance's plan from the selected engine (cached on disk)."""
    try:
        return harness_session.plan(instance)
    except HarnessError as exc:
        pytest.fail(f"{instance.id}: cannot plan: {exc}", pytrace=False)


@pytest.fixture
def policy_result(harness_session: HarnessSession, instance: Instance, plan: Plan,
                  request: pytest.FixtureRequest) -> PolicyResult:
    """The instance's policy evaluation (waivers applied); findings and waivers go into the report."""
    result = harness_session.policies(instance, plan)
    if request.config.getoption("harness_report"):
        # only the call phase's report carries these, and only when a report is written: with xdist every
        # report crosses a pipe to the controller, three per test
        props = request.node.stash.setdefault(_CALL_PROPERTIES_KEY, [])
        props.append(("harness_engine", plan.engine))
        props.append(("harness_findings", [f.to_json() for f in result.findings]))
        waivers = [{**w.to_json(), "status": "stale"} for w in result.stale]
        for finding in result.findings:
            if finding.waiver is not None:
                status = "expired" if finding.policy == "waiver.expired" else "used"
                waivers.append({**finding.waiver.to_json(), "status": status})
        props.append(("harness_waivers", waivers))
    return result


@pytest.fixture
def component(harness_session: HarnessSession, instance: Instance) -> Any:
    """The component's parsed Terraform (variables, outputs, resources, providers, versions)."""
    return harness_session.component(instance)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if call.when == "call":
        extra: list[tuple[str, Any]] = item.stash.get(_CALL_PROPERTIES_KEY, [])
        report.user_properties.extend(extra)
    if call.excinfo is not None and call.excinfo.errisinstance(Undetermined):
        message = str(call.excinfo.value)
        if not item.config.getoption("harness_strict_unknowns"):
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1] or 0, message)
        item.config.stash[_UNDETERMINED_KEY].append(f"{item.nodeid}: {message}")
    funcargs: dict[str, Any] = getattr(item, "funcargs", {})
    if report.failed and call.when == "call" and "harness_instance_id" in funcargs:
        session = _session(item.config)
        instance_id = str(funcargs["harness_instance_id"])
        try:
            folder = session.resolver.config.relative(session.instance(instance_id).component_path)
        except HarnessError:
            folder = ""
        lines = _resources_in_failure(call, folder)
        try:
            lines.append(session.describe_for_failure(instance_id))
        except HarnessError as exc:
            lines.append(f"(no instance context: {exc})")
        report.sections.append(("harness", "\n".join(lines)))
    mask_test_report(report)  # before the terminal, --junitxml, xdist and the harness report see it
    return report


def _resources_in_failure(call: pytest.CallInfo[None], folder: str) -> list[str]:
    """Addresses and ``.tf`` locations of the plan resources the failing test was looking at."""
    if call.excinfo is None:
        return []
    found: dict[str, str] = {}
    for entry in call.excinfo.traceback:
        for value in entry.frame.f_locals.values():
            candidates = value if isinstance(value, (list, tuple)) else [value]
            for candidate in candidates[:50]:
                if isinstance(candidate, Resource):
                    source = str(candidate.source or "")
                    where = f"{folder}/{source}" if source and folder else source
                    found.setdefault(candidate.address, where)
    return [f"resource {address}" + (f" ({source})" if source else "") for address, source in sorted(found.items())]


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    undetermined = config.stash.get(_UNDETERMINED_KEY, [])
    if undetermined:
        strict = config.getoption("harness_strict_unknowns")
        terminalreporter.section("harness: undetermined checks")
        for line in undetermined[:50]:
            terminalreporter.write_line(mask_text(line))
        verdict = "failed (--strict-unknowns)" if strict else "skipped"
        terminalreporter.write_line(f"{len(undetermined)} undetermined ({verdict})")
