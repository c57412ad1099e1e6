"""User policies: a ``policies/`` folder at the repository root and the ``atmos_harness.policies`` entry points."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from harness.policy import PolicyContext, PolicyError, Registry, catalog, evaluate, load_user_policies

from .conftest import TODAY, plan, res

TEAM_POLICY = '''
"""Team policies for our repository."""
from harness.policy import policy, violation

from ._shared import BANNED


@policy("team.no-banned-instance-types", title="No banned instance types", severity="medium",
        controls=("NIST-CM-7",), params={"banned": BANNED}, resource_types=("aws_instance",))
def no_banned(resource, plan, ctx):
    """Old generations cost more and lack Nitro security features."""
    itype = resource.get("instance_type", None)
    if itype in ctx.param("banned"):
        yield violation(resource, f"instance type {itype} is banned", value=itype, path="instance_type")
'''


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def test_policies_folder_is_loaded_with_the_same_decorator(tmp_path: Path, registry: Registry) -> None:
    write(tmp_path, {"policies/team.py": TEAM_POLICY, "policies/_shared.py": "BANNED = ['m4.large', 't2.micro']\n",
                     "policies/README.md": "not python"})
    added = load_user_policies(tmp_path, registry=registry, entry_points=False)
    assert [p.id for p in added] == ["team.no-banned-instance-types"]
    assert added[0].origin == "policies/team.py"
    assert added[0].rationale == "Old generations cost more and lack Nitro security features."
    the_plan = plan(res("aws_instance.old", {"instance_type": "m4.large"}),
                    res("aws_instance.new", {"instance_type": "m7g.large"}))
    result = evaluate(the_plan, PolicyContext(stack="s", component="c"), ["team.no-banned-instance-types"],
                      registry=registry, today=TODAY)
    assert [(f.address, f.value) for f in result.failures] == [("aws_instance.old", "m4.large")]
    # stack settings can tune user policies like built-in ones
    settings = {"harness": {"policies": {"params": {"team.no-banned-instance-types": {"banned": ["m7g.large"]}}}}}
    result = evaluate(the_plan, PolicyContext(stack="s", component="c", settings=settings),
                      ["team.no-banned-instance-types"], registry=registry, today=TODAY)
    assert [f.address for f in result.failures] == ["aws_instance.new"]
    # loading again adds nothing; the default registry never saw the user policy
    assert load_user_policies(tmp_path, registry=registry, entry_points=False) == []
    assert "team.no-banned-instance-types" not in [p.id for p in catalog()]


def test_no_policies_folder_is_fine(tmp_path: Path, registry: Registry) -> None:
    assert load_user_policies(tmp_path, registry=registry, entry_points=False) == []


def test_syntax_error_names_file_and_line(tmp_path: Path, registry: Registry) -> None:
    write(tmp_path, {"policies/broken.py": "x = 1\ndef (:\n"})
    with pytest.raises(PolicyError) as info:
        load_user_policies(tmp_path, registry=registry, entry_points=False)
    assert info.value.file is not None and info.value.file.endswith("policies/broken.py")
    assert info.value.line == 2 and "syntax error" in info.value.message


def test_error_while_importing_names_file_and_line(tmp_path: Path, registry: Registry) -> None:
    write(tmp_path, {"policies/bad.py": "import os\n\nraise RuntimeError('no config')\n"})
    with pytest.raises(PolicyError, match=r"bad\.py:3: importing the policy file failed: RuntimeError: no config"):
        load_user_policies(tmp_path, registry=registry, entry_points=False)


def test_user_policy_may_not_reuse_a_builtin_id(tmp_path: Path, registry: Registry) -> None:
    write(tmp_path, {"policies/dup.py": '''
        from harness.policy import policy

        @policy("s3.tls-only", title="mine", severity="low")
        def mine(plan, ctx):
            return []
    '''})
    with pytest.raises(PolicyError, match=r"policy id 's3\.tls-only' is defined twice: builtin and policies/dup\.py"):
        load_user_policies(tmp_path, registry=registry, entry_points=False)


def test_entry_point_group(tmp_path: Path, registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    write(site, {
        "acme_policies.py": '''
            from harness.policy import policy, violation

            @policy("acme.no-default-vpc-use", title="t", severity="low", resource_types=("aws_default_vpc",))
            def no_default_vpc(resource, plan, ctx):
                """The default VPC has public subnets everywhere."""
                yield violation(resource, "uses the default VPC")
        ''',
        "acme_policies-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: acme-policies\nVersion: 1.0\n",
        "acme_policies-1.0.dist-info/entry_points.txt": "[atmos_harness.policies]\nacme = acme_policies\n",
    })
    monkeypatch.syspath_prepend(str(site))
    added = load_user_policies(tmp_path / "no-repo", registry=registry)
    assert [p.id for p in added] == ["acme.no-default-vpc-use"]
    assert added[0].origin == "entry point acme (acme_policies)"
