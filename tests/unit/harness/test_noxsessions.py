"""The nox helpers: the pip arguments that install the harness, and the sessions register() makes."""

from __future__ import annotations

from pathlib import Path

import pytest

nox = pytest.importorskip("nox")

from harness import install_spec, noxsessions  # noqa: E402 - needs nox


def test_harness_pip_spec_overrides_how_the_harness_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_PIP_SPEC", "-e '../my harness[x]'")
    assert install_spec.pip_spec() == ["-e", "../my harness[x]"]
    monkeypatch.delenv("HARNESS_PIP_SPEC")
    assert install_spec.pip_spec() == install_spec.installed_spec()


def test_the_default_spec_is_the_running_harness(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = install_spec.installed_spec()
    # this checkout is installed editable in development and CI; a wheel install gives a URL or a version pin
    editable = spec[0] == "-e" and Path(spec[1], "harness", "noxsessions.py").is_file()
    assert editable or spec[0].startswith("atmos-harness")


def test_register_makes_the_sessions_that_apply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nox import registry

    monkeypatch.chdir(tmp_path)
    saved = registry.get()
    try:
        registry._REGISTRY.clear()
        assert noxsessions.register() == ["unit", "check", "gate"]  # no tests/integration, tests/e2e, benchmarks
        (tmp_path / "tests/e2e").mkdir(parents=True)
        (tmp_path / "benchmarks").mkdir()
        (tmp_path / "benchmarks/__init__.py").write_text("")
        (tmp_path / "benchmarks/run.py").write_text("")
        registry._REGISTRY.clear()
        assert noxsessions.register(skip=("gate",)) == ["unit", "e2e", "check", "bench"]
        assert set(registry.get()) == {"unit", "e2e", "check", "bench"}
    finally:
        registry._REGISTRY.clear()
        registry._REGISTRY.update(saved)
