"""nox sessions: the same commands for contributors and CI. `nox` alone runs what to run before pushing."""

from __future__ import annotations

import os

import nox

nox.options.sessions = ["lint", "check", "tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False

PYTHON = os.environ.get("HARNESS_NOX_PYTHON") or None
XDIST = ["-n", os.environ.get("HARNESS_WORKERS", "2"), "--dist", "loadgroup"]


def _install(session: nox.Session, *extras: str) -> None:
    spec = f".[{','.join(extras)}]" if extras else "."
    session.install("-e", spec)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff and mypy --strict on the harness."""
    _install(session, "lint")
    session.run("ruff", "check", "harness", "tests", "noxfile.py", "benchmarks")
    session.run("mypy", "--strict", "harness")


@nox.session(python=PYTHON)
def check(session: nox.Session) -> None:
    """Stack validation, contracts and policies over every instance of the example (harness check)."""
    _install(session)
    session.run("harness", "check", *session.posargs)


@nox.session(python=PYTHON)
def unit(session: nox.Session) -> None:
    """The infrastructure unit layer on the example repository: offline plan tests for every instance."""
    _install(session, "test")
    session.run("pytest", "tests/unit/components", "tests/unit/stacks", "tests/unit/policies", *XDIST,
                *session.posargs,
                success_codes=[0, 5])


@nox.session(python=PYTHON)
def integration(session: nox.Session) -> None:
    """Cross-component tests against an AWS emulator (embedded moto) with a real Terraform binary."""
    _install(session, "test")
    session.run("pytest", "tests/integration", *session.posargs, success_codes=[0, 5])


@nox.session(python=PYTHON)
def e2e(session: nox.Session) -> None:
    """Post-deploy validators against the emulator (or real accounts with --live)."""
    _install(session, "test")
    session.run("pytest", "tests/e2e", *session.posargs, success_codes=[0, 5])


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The project's whole test suite: the harness's own tests and every layer on the example."""
    _install(session, "test")
    session.run("pytest", "tests", *XDIST, *session.posargs)


@nox.session(python=PYTHON)
def harness(session: nox.Session) -> None:
    """Run any harness command: `nox -s harness -- report merge ...` (used by the CI workflows)."""
    _install(session)
    session.run("harness", *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks on a synthetic organization; prints the ratios the issues set targets for."""
    _install(session, "test")
    session.run("python", "-m", "benchmarks.run", *session.posargs)
