"""nox sessions for a repository the harness tests: one ``register()`` call in its ``noxfile.py``.

The sessions run the same commands locally and in CI: ``unit`` (offline plan tests and the plugin's
built-in items), ``integration`` and ``e2e`` (where their test folders exist), ``check``, ``gate`` (on
the report ``unit`` writes) and ``bench`` (where a ``benchmarks`` package exists). Each session venv gets
the harness from ``HARNESS_PIP_SPEC`` (pip arguments), else from where the running harness was installed
(its version from an index, the same wheel, directory or git commit), so a pinned noxfile stays pinned.

"No tests ran" (pytest's exit 5) fails a session: a run that checks nothing must not pass. The one
exception is an affected-only run (``-- --affected-since REF``) that the change does not reach, and the
session says so. The plugin decides that, not the arguments: it writes its reason to the file named by
``HARNESS_EMPTY_REASON_FILE``, so ``--affected-since REF -k nomatch`` on a change that does reach tests
still fails.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

try:
    import nox
    from nox.command import CommandFailed
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("harness.noxsessions needs nox next to the harness: pip install nox") from exc

from harness.install_spec import pip_spec

#: pytest's exit status when no test was collected or all were deselected.
NO_TESTS_RAN = 5
#: The file the plugin writes when a run is empty on purpose (an affected-only run the change does not reach).
EMPTY_REASON_ENV = "HARNESS_EMPTY_REASON_FILE"
#: Where ``unit`` writes its report and ``gate`` reads it (relative to the noxfile's folder).
DEFAULT_REPORT = "artifacts/harness-report.json"

SessionFn = Callable[[nox.Session], None]


def install_harness(session: nox.Session, *packages: str) -> None:
    """Install the harness (``pip_spec()``) and ``packages`` into the session venv.

    Under ``nox --no-venv`` the session runs on nox's own interpreter, which already has the harness
    (the noxfile imported it): nothing is installed then.
    """
    if session.venv_backend == "none":
        session.log("no session venv (--no-venv): using the harness nox runs with")
        return
    session.install(*pip_spec(), *packages)


def run_pytest(session: nox.Session, *args: str, env: Mapping[str, str] | None = None) -> None:
    """``pytest args``; exit 5 (no tests ran) fails the session unless an affected-only run matched nothing."""
    with tempfile.TemporaryDirectory(prefix="harness-nox-") as tmp:
        reason_file = Path(tmp) / "empty-reason"
        run_env = {**(env or {}), EMPTY_REASON_ENV: str(reason_file)}
        try:
            session.run("pytest", *args, env=run_env)
        except CommandFailed as exc:
            if exc.return_code != NO_TESTS_RAN:
                raise
            reason = reason_file.read_text(encoding="utf-8").strip() if reason_file.is_file() else ""
            if not reason:
                session.error("no tests ran (pytest exit 5): the selection matched nothing, so nothing was checked")
            session.log(f"{reason}, so there is nothing to run (passing)")


def _workers() -> list[str]:
    """``-n N`` from ``HARNESS_WORKERS`` (default ``auto``; ``0`` runs in one process, without xdist)."""
    value = os.environ.get("HARNESS_WORKERS", "auto").strip() or "auto"
    return [] if value == "0" else ["-n", value]


def _given(args: Sequence[str], option: str) -> bool:
    return any(a == option or a.startswith(option + "=") for a in args)


def _existing(paths: Sequence[str]) -> list[str]:
    return [p for p in paths if Path(p).exists()]


def _make(name: str, doc: str, body: SessionFn, python: str | Sequence[str] | bool | None) -> None:
    body.__name__ = name
    body.__doc__ = doc
    nox.session(name=name, python=python)(body)


def register(
    *,
    unit: Sequence[str] = ("tests/unit",),
    integration: Sequence[str] = ("tests/integration",),
    e2e: Sequence[str] = ("tests/e2e",),
    report: str = DEFAULT_REPORT,
    benchmarks: str = "benchmarks",
    python: str | Sequence[str] | bool | None = None,
    skip: Sequence[str] = (),
) -> list[str]:
    """Register the harness sessions (names in ``skip`` left out) and return the names registered.

    ``unit``/``integration``/``e2e`` are the test folders (relative to the noxfile) each layer collects;
    ``integration`` and ``e2e`` are registered only when one of their folders exists, ``bench`` only when
    ``benchmarks/`` is a package with a ``run`` module or ``__main__``. ``python`` is nox's interpreter
    choice (default ``HARNESS_NOX_PYTHON``, else the one running nox). Everything after ``--`` on the nox
    command line goes to the command the session runs.
    """
    python = python if python is not None else (os.environ.get("HARNESS_NOX_PYTHON") or None)
    made: list[str] = []

    def add(name: str, doc: str, body: SessionFn) -> None:
        if name not in skip:
            _make(name, doc, body, python)
            made.append(name)

    unit_paths = list(unit)

    def unit_session(session: nox.Session) -> None:
        workers = _workers()
        install_harness(session, *(["pytest-xdist"] if workers else []))
        own = ["--harness-report", report] if not _given(session.posargs, "--harness-report") else []
        if own:
            Path(report).parent.mkdir(parents=True, exist_ok=True)
        run_pytest(session, *_existing(unit_paths), *workers, *own, *session.posargs)

    add("unit", f"Offline plan tests of every instance plus the built-in policy and contract items "
        f"({', '.join(unit_paths)}); writes {report}.", unit_session)

    layers = (("integration", list(integration), "Cross-component tests against an AWS emulator"),
              ("e2e", list(e2e), "Post-deploy validation against an emulator or (--live) real accounts"))
    for name, paths, doc in layers:
        if not _existing(paths):
            continue

        def layer_session(session: nox.Session, paths: list[str] = paths) -> None:
            install_harness(session)
            run_pytest(session, *_existing(paths), *session.posargs)

        add(name, f"{doc} ({', '.join(paths)}).", layer_session)

    def check_session(session: nox.Session) -> None:
        install_harness(session)
        session.run("harness", "check", *session.posargs)

    add("check", "Stack validation, contracts and policies over every instance (harness check).", check_session)

    def gate_session(session: nox.Session) -> None:
        install_harness(session)
        own = [] if _given(session.posargs, "--report") else ["--report", report]
        session.run("harness", "gate", *own, *session.posargs)

    add("gate", f"The release gate on the report of a full unit run ({report}; -- --report FILE for another).",
        gate_session)

    bench_dir = Path(benchmarks)
    module = next((m for m, f in ((f"{bench_dir.name}.run", "run.py"), (bench_dir.name, "__main__.py"))
                   if (bench_dir / f).is_file() and (bench_dir / "__init__.py").is_file()), None)
    if module is not None:
        def bench_session(session: nox.Session, module: str = module) -> None:
            install_harness(session)
            session.run("python", "-m", module, *session.posargs)

        add("bench", f"Benchmarks (python -m {module}).", bench_session)
    return made
