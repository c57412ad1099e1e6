"""Finding the terraform binary, the pinned test binary, version detection, provider availability."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.tools import (
    PROVIDER_OFFLINE_REASON,
    TEST_TERRAFORM_SHA256,
    TerraformBinary,
    ensure_test_terraform,
    find_terraform,
    provider_available,
    satisfies,
    terraform_binary,
    terraform_candidates,
)
from harness.tools.terraform import is_test_wrapper


def test_the_pinned_test_binary_is_terraform_1_0_3() -> None:
    path = Path(ensure_test_terraform())
    assert hashlib.sha256(path.read_bytes()).hexdigest() == TEST_TERRAFORM_SHA256
    assert path.stat().st_mode & stat.S_IXUSR
    pinned = terraform_binary(path)
    assert (pinned.name, pinned.version, pinned.version_tuple) == ("terraform", "1.0.3", (1, 0, 3))
    assert pinned.legacy_s3_backend


def test_the_tests_use_a_binary_meeting_every_component(terraform: TerraformBinary) -> None:
    """The pinned 1.0.3 only when nothing newer is there: the example's iam-role and security-group need 1.3."""
    if is_test_wrapper(terraform.path) or terraform.path == ensure_test_terraform():
        assert not [c for c in terraform_candidates() if not is_test_wrapper(c)
                    and satisfies(terraform_binary(c).version, ">= 1.3")], "a newer terraform is on PATH"
    else:
        assert satisfies(terraform.version, ">= 1.3"), terraform


def test_a_different_hash_is_refused() -> None:
    with pytest.raises(HarnessError, match=r"sha256 of .* is a29d0929"):
        ensure_test_terraform(expected_sha256="0" * 64)


def test_explicit_path_then_env_then_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pinned = ensure_test_terraform()
    monkeypatch.setenv("HARNESS_TERRAFORM", pinned)
    assert find_terraform() == pinned
    assert terraform_binary().version == "1.0.3"
    monkeypatch.setenv("HARNESS_TERRAFORM", str(tmp_path / "missing"))
    with pytest.raises(HarnessError, match=r"HARNESS_TERRAFORM names .* which does not exist"):
        find_terraform()
    assert find_terraform(pinned) == pinned  # an explicit path wins over the environment
    monkeypatch.delenv("HARNESS_TERRAFORM")
    monkeypatch.setenv("PATH", str(Path(pinned).parent))
    assert find_terraform() == pinned
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(HarnessError, match="no terraform or tofu binary"):
        find_terraform()


def test_newer_versions_use_the_new_s3_backend_syntax() -> None:
    assert not TerraformBinary("/x/terraform", "terraform", "1.6.0").legacy_s3_backend
    assert TerraformBinary("/x/terraform", "terraform", "1.5.7").legacy_s3_backend
    assert not TerraformBinary("/x/tofu", "tofu", "1.6.2").legacy_s3_backend


def test_provider_availability_is_answered_quickly(terraform: TerraformBinary, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    ok, reason = provider_available(terraform.path)
    if ok:
        pytest.skip(f"hashicorp/aws is installable here: {reason}")
    assert reason == PROVIDER_OFFLINE_REASON
    cache = tmp_path / "cache"
    (cache / "registry.terraform.io" / "hashicorp" / "random").mkdir(parents=True)
    monkeypatch.setenv("TF_PLUGIN_CACHE_DIR", str(cache))
    assert provider_available(terraform.path, "hashicorp/random")[0]
    assert not os.listdir(cache / "registry.terraform.io" / "hashicorp" / "random")


def test_required_version_constraints() -> None:
    assert satisfies("1.0.3", ">= 1.0") and not satisfies("1.0.3", ">= 1.3")
    assert satisfies("1.5.7", ">= 1.3, < 2.0") and not satisfies("2.0.0", ">= 1.3, < 2.0")
    assert satisfies("1.5.7", "~> 1.5") and not satisfies("2.1.0", "~> 1.5")
    assert satisfies("1.5.7", "~> 1.5.0") and not satisfies("1.6.0", "~> 1.5.0")
    assert satisfies("1.0.3", "= 1.0.3") and not satisfies("1.0.3", "!= 1.0.3")
