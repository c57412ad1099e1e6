"""Every stack-processing case from Atmos's own test suite, one test per case id."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.atmos import Resolver, load_config
from harness.atmos.discovery import stack_files
from harness.errors import HarnessError
from tests.unit.harness.oracle import ATMOS_CASES, case_env, check_expectations, flag, load_cases

COMMANDS = ("describe component", "describe stacks", "stack manifest", "stack files", "error")
CASES = [c for c in load_cases() if c[1]["command"] in COMMANDS]

pytestmark = pytest.mark.skipif(not ATMOS_CASES.is_dir(), reason=f"oracle not found at {ATMOS_CASES}")


def _resolver(case_dir: Path, case: dict[str, Any]) -> Resolver:
    env = case_env(case_dir, case)
    config = load_config(cwd=case_dir, env=env, override=case.get("config_override"))
    return Resolver(
        config,
        process_templates=flag(case, "process-templates"),
        process_functions=flag(case, "process-functions"),
        allow_exec=True,
        env=env,
    )


def _stack_file(resolver: Resolver, case: dict[str, Any]) -> Path:
    base = resolver.config.stacks_base_path
    return next(base / (case["stack_file"] + ext) for ext in (".yaml", ".yml", ".yaml.tmpl")
                if (base / (case["stack_file"] + ext)).exists())


@pytest.mark.parametrize(("case_dir", "case"), [pytest.param(d, c, id=c["id"]) for d, c in CASES])
def test_oracle_case(case_dir: Path, case: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(case_dir)
    resolver = _resolver(case_dir, case)
    command = case["command"]
    if command == "error":
        with pytest.raises(HarnessError) as info:
            resolver.manifest(_stack_file(resolver, case))
        assert case["message_contains"] in str(info.value)
        return
    result: Any
    if command == "describe component":
        result = resolver.describe_component(case["component"], case["stack"])
    elif command == "describe stacks":
        result = resolver.describe_stacks()
    elif command == "stack manifest":
        result = resolver.manifest(_stack_file(resolver, case)).config
    else:
        result = {
            str(i): p.relative_to(resolver.config.stacks_base_path).as_posix()
            for i, p in enumerate(stack_files(resolver.config))
        }
    problems = check_expectations(json.loads(json.dumps(result, default=str)), case)
    assert not problems, f"{case['id']} ({case['title']}):\n" + "\n".join(problems)
