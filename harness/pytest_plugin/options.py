"""Every option of the harness (command line and ini), its markers, and the per-run state made at configure."""

from __future__ import annotations

import os

import pytest

from harness.errors import HarnessError
from harness.pytest_plugin.state import (
    COLLECTION_ERRORS_KEY,
    CONTRACT_WARNINGS_KEY,
    REPORT_KEY,
    SESSION_KEY,
    UNDETERMINED_KEY,
    is_worker,
)

BUILTIN_KINDS = ("policies", "contracts", "validators")
DEFAULT_BUILTINS = "policies,contracts"
SEVERITIES = ("info", "low", "medium", "high", "critical")


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
    group.addoption("--use-mocks", dest="harness_use_mocks", action="store_true",
                    help="As Atmos --use-mocks: !terraform.output/!terraform.state read the producer component's "
                         "'mocks' section (default: the harness_use_mocks ini value).")
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
                    help="Write the run's report (tests per instance, policy findings, waivers, engine, durations, "
                         "commit); `harness gate --report FILE.json` judges it.")
    group.addoption("--store-durations", dest="harness_store_durations", default=None, metavar="PATH",
                    help="Write the seconds each instance/test took, for balancing later shards.")
    group.addoption("--fail-on", dest="harness_fail_on", default=None, choices=SEVERITIES,
                    help="Policy findings at or above this severity fail (default: settings.harness.fail_on, "
                         "else info: every unwaived finding).")
    group.addoption("--harness-builtins", dest="harness_builtins", default=None, metavar="LIST",
                    help="Built-in items per instance: a comma-separated subset of "
                         f"{','.join(BUILTIN_KINDS)}, or 'none' (default: the harness_builtin_items ini value, "
                         f"{DEFAULT_BUILTINS}).")
    group.addoption("--no-harness-policies", dest="harness_no_builtins", action="store_true",
                    help="No built-in policy or contract items (same as --harness-builtins none).")
    group.addoption("--harness-validate", dest="harness_validate", action="store_true",
                    help="Add the post-deploy validators as built-in items (implied by --live and --outputs-dir); "
                         "they read the environment --emulator URL or --live names.")
    group.addoption("--live", dest="harness_live", action="store_true", default=False,
                    help="Validate real AWS accounts, read-only (needs --allow-account or "
                         "settings.harness.live.allowed_accounts).")
    group.addoption("--allow-account", dest="harness_allow_accounts", action="append", default=[], metavar="ID",
                    help="Account id --live may read; repeatable.")
    group.addoption("--outputs-dir", dest="harness_outputs_dir", default=None, metavar="DIR",
                    help="Recorded outputs for validation: DIR/<stack>/<component>.json.")
    group.addoption("--emulator", dest="harness_emulator", default=None, metavar="moto|localstack|URL",
                    help="The AWS emulator of integration and e2e tests (default: $HARNESS_EMULATOR, else the "
                         "embedded moto server); the validators need a URL of a running one.")
    parser.addini("harness_use_mocks", type="bool", default=False,
                  help="Resolve !terraform.output/!terraform.state from the producers' 'mocks' (as --use-mocks).")
    parser.addini("harness_builtin_items", default=DEFAULT_BUILTINS,
                  help=f"Built-in items per instance: comma-separated subset of {','.join(BUILTIN_KINDS)}, or "
                       "'none'. Added when a run collects a directory (not when it names single test files).")


def builtin_kinds(config: pytest.Config) -> tuple[str, ...]:
    """The built-in item kinds this run asked for (validators only when asked, or with --live/--outputs-dir)."""
    if config.getoption("harness_no_builtins"):
        return ()
    raw = config.getoption("harness_builtins")
    if raw is None:
        raw = str(config.getini("harness_builtin_items") or "")
    names = [n.strip().lower() for n in raw.split(",") if n.strip()]
    kinds: list[str] = []
    if names != ["none"]:
        unknown = sorted(set(names) - set(BUILTIN_KINDS))
        if unknown:
            raise pytest.UsageError(f"harness: unknown built-in item kind(s) {', '.join(unknown)} "
                                    f"(known: {', '.join(BUILTIN_KINDS)}, or none)")
        kinds = [k for k in BUILTIN_KINDS if k in names]
    if "validators" not in kinds and any(config.getoption(o) for o in ("harness_validate", "harness_live",
                                                                        "harness_outputs_dir")):
        kinds.append("validators")
    return tuple(kinds)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "component(name): run once per stack that deploys the component")
    for kind in BUILTIN_KINDS:
        config.addinivalue_line("markers", f"harness_{kind}: a built-in harness {kind} item")
    config.stash[UNDETERMINED_KEY] = []
    config.stash[CONTRACT_WARNINGS_KEY] = []
    config.stash[COLLECTION_ERRORS_KEY] = []
    builtin_kinds(config)  # a bad value is a usage error before anything runs
    emulator = config.getoption("harness_emulator")
    if emulator:
        from harness.aws import Emulator

        try:
            Emulator.from_env(emulator)
        except HarnessError as exc:
            raise pytest.UsageError(f"harness: --emulator: {exc}") from None
        os.environ["HARNESS_EMULATOR"] = emulator  # the emulator fixtures (and xdist workers) read it
    if config.getoption("harness_report") and not is_worker(config):
        from harness.report import ReportBuilder

        config.stash[REPORT_KEY] = ReportBuilder(shard=config.getoption("harness_shard"))
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and "GOMAXPROCS" not in os.environ:
        # N workers on the machine's cores: each tfparse child (Go) gets its share of them, not all of them
        workers = int(workerinput.get("workercount") or 1)
        os.environ["GOMAXPROCS"] = str(max(1, (os.cpu_count() or 1) // workers))


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(SESSION_KEY, None)
    if session is not None:
        session.close()
