"""Masking: Atmos's settings.terminal.mask, registered secrets, and test reports masked in place."""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from harness.atmos import load_config
from harness.errors import ConfigError
from harness.masking import (
    DEFAULT_REPLACEMENT,
    MaskedRepr,
    MaskRules,
    active_rules,
    configure,
    mask,
    mask_test_report,
    mask_text,
    reset,
    rules_from_config,
    rules_from_settings,
)
from harness.plan import SENSITIVE_TEXT, Sensitive, Unknown
from tests.unit.harness.conftest import WriteRepo

SETTINGS = {"terminal": {"mask": {"literals": ["lit-secret-42", 'quote"and<angle>'],
                                  "patterns": [r"tkn_(live|test)_[a-z0-9]{8}"], "replacement": "[REDACTED]"}}}


@pytest.fixture(autouse=True)
def _fresh_rules() -> Iterator[None]:
    reset()
    yield
    reset()


def test_rules_read_atmos_keys_with_atmos_defaults() -> None:
    rules = rules_from_settings(SETTINGS, environ={})
    assert rules.literals == ("lit-secret-42", 'quote"and<angle>') and rules.replacement == "[REDACTED]"
    assert rules.enabled and [p.pattern for p in rules.patterns] == [r"tkn_(live|test)_[a-z0-9]{8}"]
    assert rules_from_settings({}, environ={}) == MaskRules()
    assert MaskRules().replacement == DEFAULT_REPLACEMENT == "<MASKED>"


def test_masking_switches_off_as_in_atmos() -> None:
    off = {"terminal": {"mask": {**SETTINGS["terminal"]["mask"], "enabled": False}}}
    assert not rules_from_settings(off, environ={}).enabled
    assert not rules_from_settings(SETTINGS, environ={"ATMOS_TERMINAL_MASK_ENABLED": "false"}).enabled
    rules = rules_from_settings(off, environ={})
    assert mask_text("lit-secret-42", rules) == "lit-secret-42"
    # Terraform's sensitivity is not Atmos's to switch off
    Sensitive("still-hidden-value")
    assert mask_text("x still-hidden-value", rules) == f"x {SENSITIVE_TEXT}"


def test_a_bad_pattern_names_the_config_file() -> None:
    with pytest.raises(ConfigError, match=r"atmos.yaml.*invalid regular expression '\('"):
        rules_from_settings({"terminal": {"mask": {"patterns": ["("]}}}, environ={})


def test_literals_patterns_and_their_serialized_forms_are_masked() -> None:
    rules = rules_from_settings(SETTINGS, environ={})
    text = ('a lit-secret-42 b tkn_live_abcd1234 c ' + json.dumps({"k": 'quote"and<angle>'})
            + ' quote&quot;and&lt;angle&gt;')
    masked = mask_text(text, rules)
    assert "lit-secret-42" not in masked and "tkn_live" not in masked and "angle" not in masked
    assert masked.count("[REDACTED]") == 4
    assert masked.endswith(' c {"k": "[REDACTED]"} [REDACTED]')  # the JSON-escaped form too: JSON stays JSON


def test_mask_copies_structures_keys_included() -> None:
    configure(rules_from_settings(SETTINGS, environ={}))
    data = {"lit-secret-42": [("x", Sensitive("hidden-in-a-tuple"))], "u": Unknown("later", "aws_x.y.id"), "n": 3}
    assert mask(data) == {"[REDACTED]": [["x", SENSITIVE_TEXT]], "u": Unknown("later", "aws_x.y.id").to_json(),
                          "n": 3}


def test_configure_merges_the_rules_of_every_repository_loaded() -> None:
    configure(MaskRules(literals=("first-literal",)))
    configure(rules_from_settings(SETTINGS, environ={}))
    assert active_rules().literals == ("first-literal", "lit-secret-42", 'quote"and<angle>')
    assert mask_text("first-literal") == "[REDACTED]"


def test_rules_come_from_atmos_yaml(write_repo: WriteRepo) -> None:
    repo = write_repo({"atmos.yaml": """\
        base_path: "."
        stacks: {base_path: stacks, included_paths: ["**/*"], name_pattern: "{stage}"}
        settings:
          terminal:
            mask:
              literals: [from-atmos-yaml-1]
        """})
    assert rules_from_config(load_config(repo)).literals == ("from-atmos-yaml-1",)


def _crash(message: str) -> SimpleNamespace:
    return SimpleNamespace(path="tests/test_x.py", lineno=3, message=message)


def test_a_test_report_is_masked_in_place_keeping_what_pytest_reads() -> None:
    configure(rules_from_settings(SETTINGS, environ={}))
    Sensitive("report-secret-77")
    longrepr = SimpleNamespace(reprcrash=_crash("AssertionError: assert 'report-secret-77' == 'x'"))
    report = SimpleNamespace(longrepr=longrepr, longreprtext="E  assert 'report-secret-77' == 'x'\nlit-secret-42",
                             sections=[("Captured stdout call", "printed lit-secret-42")],
                             user_properties=[("harness_findings", [{"message": "lit-secret-42"}]), ("n", 1)])
    mask_test_report(report)
    assert isinstance(report.longrepr, MaskedRepr)
    assert str(report.longrepr) == f"E  assert '{SENSITIVE_TEXT}' == 'x'\n[REDACTED]"
    assert report.longrepr.reprcrash.message == f"AssertionError: assert '{SENSITIVE_TEXT}' == 'x'"
    lines: list[str] = []
    report.longrepr.toterminal(SimpleNamespace(line=lines.append))
    assert lines == [f"E  assert '{SENSITIVE_TEXT}' == 'x'", "[REDACTED]"]
    assert report.sections == [("Captured stdout call", "printed [REDACTED]")]
    assert report.user_properties == [("harness_findings", [{"message": "[REDACTED]"}]), ("n", 1)]


def test_reports_with_nothing_to_hide_keep_their_structure_and_skips_stay_tuples() -> None:
    configure(rules_from_settings(SETTINGS, environ={}))
    longrepr = SimpleNamespace(reprcrash=_crash("AssertionError"))
    clean = SimpleNamespace(longrepr=longrepr, longreprtext="E  assert 1 == 2", sections=[], user_properties=[])
    mask_test_report(clean)
    assert clean.longrepr is longrepr
    skipped = SimpleNamespace(longrepr=("t.py", 1, "Skipped: lit-secret-42 undetermined"), longreprtext="",
                              sections=[], user_properties=[])
    mask_test_report(skipped)
    assert skipped.longrepr == ("t.py", 1, "Skipped: [REDACTED] undetermined")
