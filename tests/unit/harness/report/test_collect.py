"""Real pytest phase reports (a pytester run) mapped to report outcomes through ``record_phase``."""

from __future__ import annotations

import pytest

from harness.report import load_report
from harness.report.collect import split_instance

pytest_plugins = ["pytester"]

CONFTEST = """
from harness.report import ReportBuilder
from harness.report.collect import record_phase

BUILDER = ReportBuilder()


def pytest_runtest_logreport(report):
    instance = ("plat-ue1-prod", "vpc") if "[" in report.nodeid else (None, None)
    record_phase(BUILDER, report, stack=instance[0], component=instance[1])


def pytest_sessionfinish(session):
    BUILDER.write(session.config.rootpath / "report.json")
"""

TESTS = """
import pytest
from harness.plan import Undetermined


@pytest.fixture
def broken_setup():
    raise RuntimeError("no credentials")


@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("cleanup failed")


def test_passes():
    pass


@pytest.mark.parametrize("stack", ["plat-ue1-prod"])
def test_fails(stack):
    assert 1 == 2, "prod VPCs must ship flow logs"


def test_skips():
    pytest.skip("no trust policy")


@pytest.mark.xfail(reason="known bug")
def test_xfails():
    assert False


def test_setup_error(broken_setup):
    pass


def test_teardown_error(broken_teardown):
    pass


def test_undetermined():
    raise Undetermined("known after apply", address="aws_vpc.this", path="id")
"""


def test_pytest_outcomes_map_to_report_outcomes(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_sample=TESTS)
    pytester.runpytest("-p", "no:cacheprovider", "-p", "no:xdist")
    report = load_report(pytester.path / "report.json")
    tests = {t.nodeid.split("::")[1]: t for t in report.tests}
    outcomes = {name: t.outcome for name, t in tests.items()}
    assert outcomes == {
        "test_passes": "passed",
        "test_fails[plat-ue1-prod]": "failed",
        "test_skips": "skipped",
        "test_xfails": "skipped",
        "test_setup_error": "error",
        "test_teardown_error": "error",
        "test_undetermined": "undetermined",
    }
    failed = tests["test_fails[plat-ue1-prod]"]
    assert failed.reason is not None and "prod VPCs must ship flow logs" in failed.reason
    assert failed.longrepr is not None and "assert 1 == 2" in failed.longrepr
    assert (failed.stack, failed.component) == ("plat-ue1-prod", "vpc")
    assert tests["test_skips"].reason == "no trust policy"
    assert tests["test_xfails"].reason == "xfail: known bug"
    assert tests["test_setup_error"].reason == "RuntimeError: no credentials"
    assert tests["test_teardown_error"].reason == "RuntimeError: cleanup failed"
    assert tests["test_undetermined"].reason == "aws_vpc.this.id: undetermined: known after apply"


def test_split_instance() -> None:
    assert split_instance("plat-ue1-prod/vpc") == ("plat-ue1-prod", "vpc")
    assert split_instance("core-gbl-root/infra/account-map") == ("core-gbl-root", "infra/account-map")
    assert split_instance(None) == (None, None)
