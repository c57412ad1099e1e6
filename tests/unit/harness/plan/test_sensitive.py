"""Sensitive values compare like their value and never print it; the plan model wraps them where Terraform would."""

from __future__ import annotations

import copy
import json
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness.plan import SENSITIVE_TEXT, Plan, Resource, Sensitive, Unknown, reveal
from harness.plan.sensitive import expand_paths, registered_secrets, wrap_paths

SECRET = "pa55-word-for-tests"


def test_compares_hashes_and_orders_as_the_value() -> None:
    s = Sensitive(SECRET)
    assert s == SECRET and SECRET == s and s != "other"  # noqa: SIM300 - the reflected == is what is tested
    assert (s != SECRET) is False
    assert s == Sensitive(SECRET) and hash(s) == hash(SECRET)
    assert {SECRET: 1}[s] == 1 and s in {SECRET} and SECRET in {s}
    assert Sensitive(2) < 3 and Sensitive(2) <= 2 and Sensitive(3) > 2 and Sensitive(3) >= Sensitive(3)
    assert sorted([Sensitive("b"), Sensitive("a")]) == ["a", "b"]
    assert bool(Sensitive("")) is False and bool(s) is True and len(s) == len(SECRET)
    assert "word" in s and "nope" not in s and s in [SECRET]
    assert int(Sensitive("7")) == 7 and float(Sensitive(1.5)) == 1.5


def test_what_is_derived_from_it_stays_sensitive_but_plain_answers_do_not() -> None:
    s = Sensitive(SECRET)
    assert s.startswith("pa55") is True and s.upper() == SECRET.upper()
    assert repr(s.upper()) == SENSITIVE_TEXT
    assert [repr(c) for c in Sensitive("ab")] == [SENSITIVE_TEXT] * 2
    assert s[0] == "p" and repr(s[0]) == SENSITIVE_TEXT
    assert Sensitive({"k": "v"})["k"] == "v"
    with pytest.raises(AttributeError):
        s.no_such_method()  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        s._value = "x"


def test_never_printed_by_repr_str_format_or_json() -> None:
    s = Sensitive(SECRET)
    texts = [repr(s), str(s), f"{s}", f"{s!r}", f"{s:>30}", f"{Sensitive(3.14159):.2f}", "%s" % (s,),  # noqa: UP031
             repr([s, {"k": s}]), str((s,)), json.dumps({"k": s}, default=str)]
    assert all(SECRET not in t for t in texts)
    assert all(SENSITIVE_TEXT in t for t in texts)
    with pytest.raises(TypeError):
        json.dumps(s)  # no silent serialization: to_jsonable decides


def test_survives_pickle_and_deepcopy_and_reveals_on_purpose() -> None:
    s = Sensitive(SECRET)
    assert pickle.loads(pickle.dumps(s)) == SECRET and copy.deepcopy(s) == SECRET
    assert s.reveal() == SECRET and s.unwrap() == SECRET
    assert reveal({"a": [s, (Sensitive(1),)]}) == {"a": [SECRET, (1,)]}
    assert Sensitive(Sensitive(SECRET)).reveal() == SECRET  # never nested


def test_strings_long_enough_are_registered_for_text_masking() -> None:
    Sensitive("tiny")
    Sensitive("registered-secret-1")
    assert "registered-secret-1" in registered_secrets() and "tiny" not in registered_secrets()


def test_wrap_paths_wraps_leaves_with_wildcards_and_leaves_unknowns() -> None:
    values = {"password": SECRET, "tags": {"a": "1"}, "users": [{"pw": "x1"}, {"pw": "x2"}],
              "later": Unknown("known after apply"), "none": None}
    out = wrap_paths(values, ["password", "users.*.pw", "later", "none", "absent.path", "tags"],
                     lambda v: isinstance(v, Unknown))
    assert isinstance(out["password"], Sensitive) and isinstance(out["tags"]["a"], Sensitive)
    assert isinstance(out["tags"], dict) and all(isinstance(u["pw"], Sensitive) for u in out["users"])
    assert isinstance(out["later"], Unknown) and out["none"] is None
    assert values["password"] == SECRET and not isinstance(values["password"], Sensitive)  # a copy
    assert expand_paths(values, ["users.*.pw", "password", "absent", "none"]) == {"users.0.pw", "users.1.pw",
                                                                                  "password"}


def test_resources_outputs_and_variables_are_wrapped_and_json_masks_them() -> None:
    res = Resource(address="aws_db_instance.db", mode="managed", type="aws_db_instance", name="db",
                   values={"password": SECRET, "name": "app"}, before={"password": "old-password-1"},
                   sensitive=frozenset({"password"}))
    plan = Plan(stack="s", component="c", engine="static", complete=True, resources=[res],
                outputs={"dsn": "postgres://x"}, output_sensitive=["dsn"],
                variables={"db_password": SECRET, "declared": "declared-secret", "region": "eu-west-1"},
                variable_sensitive=["declared"])
    assert isinstance(res.values["password"], Sensitive) and isinstance(res.before["password"], Sensitive)
    assert res.get("password") == SECRET and res.values["name"] == "app"
    assert isinstance(plan.outputs["dsn"], Sensitive)
    # a variable whose value a sensitive attribute holds is hidden too, like a declared one
    assert plan.variable_sensitive == {"declared", "db_password"}
    assert not isinstance(plan.variables["region"], Sensitive)
    text = json.dumps(plan.to_json())
    for secret in (SECRET, "old-password-1", "postgres://x", "declared-secret"):
        assert secret not in text
    assert text.count('"__sensitive__": true') == 5


def test_revealed_json_round_trips_and_masked_json_reads_as_unknown() -> None:
    res = Resource(address="aws_ssm_parameter.p", mode="managed", type="aws_ssm_parameter", name="p",
                   values={"value": SECRET}, sensitive=frozenset({"value"}))
    plan = Plan(stack="s", component="c", engine="static", complete=True, resources=[res])
    again = Plan.from_json(json.loads(json.dumps(plan.to_json(reveal=True))))
    value = again.resource("aws_ssm_parameter.p").values["value"]
    assert isinstance(value, Sensitive) and value == SECRET
    masked = Plan.from_json(json.loads(json.dumps(plan.to_json())))
    unknown = masked.resource("aws_ssm_parameter.p").values["value"]
    assert isinstance(unknown, Unknown) and unknown.reason.startswith("sensitive value")


def test_pytest_assertion_rewriting_shows_the_comparison_not_the_value(tmp_path: Path) -> None:
    """Without the harness plugin (so no text masking): the repr alone keeps pytest's diffs clean."""
    (tmp_path / "test_it.py").write_text(textwrap.dedent(f"""
        from harness.plan import Sensitive

        def test_eq():
            secret = Sensitive("{SECRET}")
            assert secret == "something-else"

        def test_in_structures():
            values = {{"password": Sensitive("{SECRET}"), "name": "app"}}
            assert values == {{"password": "other", "name": "app"}}

        def test_list():
            assert [Sensitive("{SECRET}")] == ["x"]

        def test_passes():
            assert Sensitive("{SECRET}") == "{SECRET}"
        """), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:harness", "-p", "no:cacheprovider",
                           "-p", "no:xdist", "-vv", "-l", str(tmp_path / "test_it.py")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)
    assert "3 failed, 1 passed" in proc.stdout, proc.stdout
    assert "assert (sensitive value) == 'something-else'" in proc.stdout
    lines = [line for line in proc.stdout.splitlines() if SECRET in line]
    # only the test's own source lines hold it (pytest prints the failing statement as written)
    assert all("Sensitive(" in line for line in lines), lines
