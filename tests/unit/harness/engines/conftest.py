"""Fixtures for the engine tests: one static engine per session, fixture copies."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.engines.static import StaticEngine

from ._helpers import FIXTURES


@pytest.fixture(scope="session")
def static_engine() -> Iterator[StaticEngine]:
    with StaticEngine() as engine:
        yield engine


@pytest.fixture
def fixture_copy(tmp_path: Path) -> Any:
    """Copy a fixture component into tmp_path (``dot-terraform`` becomes ``.terraform``)."""

    def copy(name: str, *, install_modules: bool = False) -> Path:
        target = tmp_path / name
        shutil.copytree(FIXTURES / name, target)
        if install_modules and (target / "dot-terraform").exists():
            (target / "dot-terraform").rename(target / ".terraform")
        elif (target / "dot-terraform").exists():
            shutil.rmtree(target / "dot-terraform")
        return target

    return copy
