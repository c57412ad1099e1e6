"""Provider discovery: the documented search order, the user's CLI config read (never written), the run's config."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from harness.tools.providers import (
    cli_config_for_run,
    find_providers,
    platform_target,
    provider_search,
    read_user_cli_config,
    shared_mirror_dirs,
)

TARGET = platform_target()


def _unpacked(root: Path, source: str = "hashicorp/fake", version: str = "1.0.0") -> Path:
    """A provider in the unpacked mirror layout; terraform init only hashes the file, never runs it."""
    namespace, type_ = source.split("/")
    folder = root / "registry.terraform.io" / namespace / type_ / version / TARGET
    folder.mkdir(parents=True)
    binary = folder / f"terraform-provider-{type_}_v{version}"
    binary.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    binary.chmod(0o755)
    return root


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """An environment with an empty home and no Terraform variables (no shared roots scanned)."""
    home = tmp_path / "home"
    home.mkdir()
    return {"HOME": str(home), "XDG_DATA_DIRS": str(tmp_path / "no-data-dirs")}


def _origins(env: dict[str, str], workdir: Path) -> list[str]:
    return [m.origin for m in provider_search(workdir, env).mirrors if m.origin != "shared location"]


def test_order_plugin_dir_then_cli_config_then_cache_then_implied(tmp_path: Path, env: dict[str, str]) -> None:
    plugin = _unpacked(tmp_path / "plugin")
    mirror = _unpacked(tmp_path / "mirror")
    cache = _unpacked(tmp_path / "cache")
    implied = _unpacked(Path(env["HOME"]) / ".terraform.d" / "plugins")
    rc = tmp_path / "user.tfrc"
    rc.write_text(f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n  }}\n'
                  '  direct {}\n}\n', encoding="utf-8")
    env.update(HARNESS_TF_PLUGIN_DIR=str(plugin), TF_CLI_CONFIG_FILE=str(rc), TF_PLUGIN_CACHE_DIR=str(cache))
    search = provider_search(tmp_path, env)
    paths = [m.path for m in search.mirrors if m.origin != "shared location"]
    assert paths == [plugin, mirror, cache, implied]
    assert _origins(env, tmp_path) == ["HARNESS_TF_PLUGIN_DIR", f"filesystem_mirror of {rc}", "TF_PLUGIN_CACHE_DIR",
                                       "implied local mirror"]
    first = search.find("hashicorp/fake")
    assert first is not None and first.path == plugin


def test_a_missing_cli_config_file_is_no_config(tmp_path: Path, env: dict[str, str]) -> None:
    env["TF_CLI_CONFIG_FILE"] = str(tmp_path / "does-not-exist.tfrc")
    user = read_user_cli_config(env)
    assert user.path is None and not user.has_installation
    assert provider_search(tmp_path, env).registry


def test_implied_folders_follow_xdg_and_the_working_dir(tmp_path: Path, env: dict[str, str]) -> None:
    data = _unpacked(tmp_path / "xdg" / "terraform" / "plugins")
    local = _unpacked(tmp_path / "work" / "terraform.d" / "plugins")
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg")
    paths = [m.path for m in provider_search(tmp_path / "work", env).mirrors if m.origin == "implied local mirror"]
    assert paths == [local, data]


def test_packed_layout_and_version_constraints(tmp_path: Path, env: dict[str, str]) -> None:
    folder = tmp_path / "packed" / "registry.terraform.io" / "hashicorp" / "zipped"
    folder.mkdir(parents=True)
    (folder / f"terraform-provider-zipped_2.3.0_{TARGET}.zip").write_bytes(b"")
    (folder / "terraform-provider-zipped_9.0.0_plan9_mips.zip").write_bytes(b"")
    env["HARNESS_TF_PLUGIN_DIR"] = str(tmp_path / "packed")
    search = provider_search(tmp_path, env)
    assert search.mirrors[0].versions("hashicorp/zipped") == ("2.3.0",)
    assert search.find("hashicorp/zipped", ">= 2.0, < 3.0") is not None
    ok, why = search.describe("hashicorp/zipped", ">= 3.0")
    assert not ok and "registry.terraform.io/hashicorp/zipped >= 3.0 is in no local mirror" in why


def test_shared_roots_are_scanned_to_a_limited_depth(tmp_path: Path) -> None:
    near = _unpacked(tmp_path / "roots" / "tools" / "tf-mirror")
    _unpacked(tmp_path / "roots" / "a" / "b" / "c" / "d" / "too-deep")
    assert shared_mirror_dirs([tmp_path / "roots"], depth=3) == [near]


def test_run_config_keeps_user_settings_and_excludes_mirrored_from_the_registry(
        tmp_path: Path, env: dict[str, str]) -> None:
    rc = tmp_path / "user.tfrc"
    rc.write_text('plugin_cache_may_break_dependency_lock_file = true\nprovider_installation {\n'
                  '  network_mirror {\n    url = "https://mirror.example/"\n  }\n}\n', encoding="utf-8")
    env.update(HARNESS_TF_PLUGIN_DIR=str(_unpacked(tmp_path / "plugin")), TF_CLI_CONFIG_FILE=str(rc))
    search = provider_search(tmp_path, env)
    text = cli_config_for_run(tmp_path / "run", search=search).read_text(encoding="utf-8")
    assert text.startswith("plugin_cache_may_break_dependency_lock_file = true\n")
    assert text.count("provider_installation") == 1
    assert 'include = ["registry.terraform.io/hashicorp/fake"]' in text
    assert 'url = "https://mirror.example/"' in text
    assert "direct" not in text  # the user's installation block allowed no registry
    assert rc.read_text(encoding="utf-8").count("network_mirror") == 1  # never written


def test_find_providers_answers_per_source(tmp_path: Path, env: dict[str, str]) -> None:
    env["HARNESS_TF_PLUGIN_DIR"] = str(_unpacked(tmp_path / "plugin"))
    found = find_providers(["hashicorp/fake", "example/absent"], search=provider_search(tmp_path, env))
    assert found["registry.terraform.io/hashicorp/fake"] is not None
    assert found["registry.terraform.io/example/absent"] is None


@pytest.mark.skipif(shutil.which("terraform") is None and shutil.which("tofu") is None,
                    reason="no terraform or tofu binary on PATH")
def test_terraform_init_installs_from_the_run_config_offline(tmp_path: Path, env: dict[str, str]) -> None:
    binary = shutil.which("terraform") or shutil.which("tofu")
    assert binary is not None
    env["HARNESS_TF_PLUGIN_DIR"] = str(_unpacked(tmp_path / "plugin"))
    work = tmp_path / "component"
    work.mkdir()
    (work / "main.tf").write_text('terraform {\n  required_providers {\n    fake = { source = "hashicorp/fake" }\n'
                                  '  }\n}\n', encoding="utf-8")
    config = cli_config_for_run(tmp_path / "run", search=provider_search(work, env))
    run_env = {**env, "PATH": str(Path(binary).parent), "TF_CLI_CONFIG_FILE": str(config),
               "CHECKPOINT_DISABLE": "1"}
    proc = subprocess.run([binary, "init", "-input=false", "-no-color", "-backend=false"], cwd=work, env=run_env,
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (work / ".terraform" / "providers" / "registry.terraform.io" / "hashicorp" / "fake" / "1.0.0").is_dir()
