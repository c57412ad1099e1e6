"""What the plugin keeps per run (the harness session, the report builder) and the helpers its hooks share."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# The plugin loads in every pytest run of the environment (a pytest11 entry point): the heavy parts of
# the harness are imported only when a run uses them.
if TYPE_CHECKING:
    from harness.report import ReportBuilder  # noqa: F401 - named by REPORT_KEY
    from harness.session import HarnessSession

SESSION_KEY = pytest.StashKey["HarnessSession"]()
REPORT_KEY = pytest.StashKey["ReportBuilder"]()
CALL_PROPERTIES_KEY = pytest.StashKey[list[tuple[str, Any]]]()
#: Filled where reports arrive (the controller under xdist): lines for the terminal summary.
UNDETERMINED_KEY = pytest.StashKey[list[str]]()
CONTRACT_WARNINGS_KEY = pytest.StashKey[list[str]]()
COLLECTION_ERRORS_KEY = pytest.StashKey[list[str]]()

#: Options that ask for the harness explicitly: with one of them, a repository that cannot be found is an error.
EXPLICIT_OPTIONS = ("harness_base_path", "harness_stacks", "harness_components", "harness_plans_dir",
                    "harness_affected_since", "harness_live", "harness_outputs_dir", "harness_validate")


def is_worker(config: pytest.Config) -> bool:
    """True on an xdist worker (the controller, or a run without xdist, is False)."""
    return hasattr(config, "workerinput")


def harness_session(config: pytest.Config) -> HarnessSession:
    """The run's session, made on first use (a run that uses no harness feature never resolves anything)."""
    session = config.stash.get(SESSION_KEY, None)
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
            fail_on=config.getoption("harness_fail_on"),
            use_mocks=use_mocks(config),
        ))
        config.stash[SESSION_KEY] = session
    return session


def use_mocks(config: pytest.Config) -> bool:
    """``--use-mocks``, else the ``harness_use_mocks`` ini value."""
    return bool(config.getoption("harness_use_mocks", False)) or bool(config.getini("harness_use_mocks"))


def repository_found(config: pytest.Config) -> bool:
    """Whether this run has an Atmos repository: ``--base-path``, or an atmos.yaml up from the rootdir/cwd."""
    if config.getoption("harness_base_path"):
        return True
    from harness.atmos.config import find_config

    starts = (Path(str(config.rootpath)), Path(str(config.invocation_params.dir)))
    return any(find_config(start) is not None for start in starts)


def asks_for_harness(config: pytest.Config) -> bool:
    """Whether an option on the command line asks for the harness (then it must find its repository)."""
    return any(config.getoption(name, None) for name in EXPLICIT_OPTIONS)


def item_key(item: pytest.Item) -> tuple[str, bool]:
    """The unit that selection and sharding move around: the instance, else the test itself."""
    builtin = getattr(item, "harness_instance_id", None)
    if isinstance(builtin, str):
        return builtin, True
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "harness_instance_id" in callspec.params:
        return str(callspec.params["harness_instance_id"]), True
    return item.nodeid, False


def call_properties(item: pytest.Item) -> list[tuple[str, Any]]:
    """User properties only the call phase's report carries (with xdist each report crosses a pipe)."""
    return item.stash.setdefault(CALL_PROPERTIES_KEY, [])
