"""Shared helpers for the Atmos oracle cases in ../shared/oracle/atmos (see its README for the format)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
ORACLE = Path(os.environ.get("HARNESS_ORACLE_DIR", REPO.parent / "shared" / "oracle"))
ATMOS_CASES = ORACLE / "atmos"

_MISSING = object()


def load_cases(command: str | None = None) -> list[tuple[Path, dict[str, Any]]]:
    """Every case (case dir, case) of the given command, in id order."""
    cases: list[tuple[Path, dict[str, Any]]] = []
    if not ATMOS_CASES.is_dir():
        return cases
    for expected in sorted(ATMOS_CASES.glob("*/expected.json")):
        for case in json.loads(expected.read_text())["cases"]:
            if command is None or case["command"] == command:
                cases.append((expected.parent, case))
    return cases


def case_env(case_dir: Path, case: dict[str, Any]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATMOS_")}
    for key, value in (case.get("env") or {}).items():
        if value == "":
            env.pop(key, None)
        else:
            env[key] = value
    return env


def flag(case: dict[str, Any], name: str, default: bool = True) -> bool:
    for arg in case.get("args") or []:
        if arg.startswith(f"--{name}="):
            return arg.split("=", 1)[1].lower() == "true"
    flags = case.get("flags") or {}
    return bool(flags.get(name.replace("-", "_"), default))


def get_path(data: Any, dotted: str) -> Any:
    """Follow a dotted path; decimal segments index lists. Returns _MISSING when absent."""
    parts = dotted.split(".")
    if parts[0] == "*" and isinstance(data, dict):
        for value in data.values():
            found = get_path(value, ".".join(parts[1:]))
            if found is not _MISSING:
                return found
        return _MISSING
    value = data
    for part in parts:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def exactly(a: Any, b: Any) -> bool:
    """JSON equality that keeps int, float, bool and str apart."""
    if type(a) is not type(b):
        if (isinstance(a, list) and isinstance(b, list)) or (isinstance(a, dict) and isinstance(b, dict)):
            pass
        else:
            return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(exactly(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(exactly(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def check_expectations(result: Any, case: dict[str, Any]) -> list[str]:
    """Every expectation of the case that the result does not meet, as readable lines."""
    problems: list[str] = []
    for path, want in (case.get("expect") or {}).items():
        got = get_path(result, path)
        if got is _MISSING:
            problems.append(f"{path}: missing (want {want!r})")
        elif not exactly(json.loads(json.dumps(got)), want):
            problems.append(f"{path}: got {got!r}, want {want!r}")
    for path, want in (case.get("expect_contains") or {}).items():
        got = get_path(result, path)
        if isinstance(want, str):
            if not isinstance(got, str) or want not in got:
                problems.append(f"{path}: {got!r} does not contain {want!r}")
        else:
            for item in want:
                if not isinstance(got, list) or not any(exactly(item, g) for g in got):
                    problems.append(f"{path}: {got!r} lacks {item!r}")
    for path in case.get("expect_absent") or []:
        if get_path(result, path) is not _MISSING:
            problems.append(f"{path}: present, want absent")
    for path in case.get("expect_present") or []:
        if get_path(result, path) is _MISSING:
            problems.append(f"{path}: absent, want present")
    return problems
