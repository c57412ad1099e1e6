"""The environment terraform runs in: non-interactive, the caller's GOGC kept, the cleared names gone."""

from __future__ import annotations

import pytest

from harness.tools.terraform import GOGC_DEFAULT, automation_env


def test_terraform_runs_non_interactive_with_the_collector_tuned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOGC", raising=False)
    monkeypatch.setenv("TF_WORKSPACE", "someone-elses")
    env = automation_env(["TF_WORKSPACE"])
    assert env["GOGC"] == GOGC_DEFAULT
    assert (env["TF_IN_AUTOMATION"], env["CHECKPOINT_DISABLE"], env["TF_INPUT"]) == ("1", "1", "0")
    assert "TF_WORKSPACE" not in env


def test_a_gogc_the_caller_set_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOGC", "100")
    assert automation_env()["GOGC"] == "100"
