"""nox sessions: the same commands for contributors and CI. `nox` alone runs what to run before pushing."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess

import nox

nox.options.sessions = ["lint", "check", "tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False

PYTHON = os.environ.get("HARNESS_NOX_PYTHON") or None
XDIST = ["-n", os.environ.get("HARNESS_WORKERS", "2"), "--dist", "worksteal"]


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


LOCALSTACK_PACKAGES = ["localstack-core[runtime]", "cbor2<6", "pyopenssl<24.3", "cryptography<44",
                       "service_identity<25"]


def _python313() -> str:
    """A real Python 3.13 (pyenv's versions before PATH: a pyenv shim may not be activated)."""
    versions = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.13*/bin/python3.13")))
    if versions:
        return versions[-1]
    found = shutil.which("python3.13")
    if found:
        return found
    raise RuntimeError("LocalStack runs without Docker on Python 3.13: install python3.13 (e.g. pyenv install 3.13)")


@nox.session(python=PYTHON)
def integration_localstack(session: nox.Session) -> None:
    """The integration tests against LocalStack started on the host (its own Python 3.13 venv, no Docker)."""
    _install(session, "test")
    venv = os.path.join(session.create_tmp(), "localstack-venv")
    if not os.path.exists(os.path.join(venv, "bin", "python")):
        session.run(_python313(), "-m", "venv", venv, external=True)
        session.run(os.path.join(venv, "bin", "pip"), "install", "-q", *LOCALSTACK_PACKAGES, external=True)
    env = {**os.environ, "GATEWAY_LISTEN": "127.0.0.1:4566", "SKIP_SSL_CERT_DOWNLOAD": "1"}
    log = open(os.path.join(session.create_tmp(), "localstack.log"), "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen([os.path.join(venv, "bin", "python"), "-m", "localstack.runtime.main"], env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        session.run("python", "-c", _WAIT_FOR_LOCALSTACK)
        session.run("pytest", "tests/integration", *session.posargs, success_codes=[0, 5],
                    env={"HARNESS_EMULATOR": "localstack", "LOCALSTACK_ENDPOINT": "http://127.0.0.1:4566"})
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


_WAIT_FOR_LOCALSTACK = """
import time, urllib.request
deadline = time.monotonic() + 180
while True:
    try:
        urllib.request.urlopen("http://127.0.0.1:4566/_localstack/health", timeout=2).read()
        break
    except OSError:
        if time.monotonic() > deadline:
            raise SystemExit("LocalStack did not answer on 127.0.0.1:4566 within 180 s")
        time.sleep(1)
"""


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
