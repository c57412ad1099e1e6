"""``harness sandbox up|status|down``: a stack and its dependencies deployed with real terraform into a moto
server that outlives the command, reachable with the printed environment, verified, then removed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import boto3

from harness.deploy.ledger import process_alive
from harness.tools import TerraformBinary
from tests.integration.helpers import REPO


def _harness(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=REPO, capture_output=True, text=True,
                          env=env, timeout=1200, check=False)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/moto-api/", timeout=5):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def test_a_stack_goes_up_stays_up_is_verified_and_comes_down_leaving_nothing(
        aws_provider: None, terraform: TerraformBinary, tmp_path: Path) -> None:
    folder = tmp_path / "sandbox"
    up = _harness("sandbox", "up", "-s", "plat-ue1-dev", "--component", "iam-role/read-only", "--with-dependencies",
                  "--dir", str(folder), "--terraform", terraform.path)
    assert up.returncode == 0, up.stderr[-3000:]
    assert "export AWS_ENDPOINT_URL=http://127.0.0.1:" in up.stdout
    assert "harness verify -s plat-ue1-dev --emulator http://127.0.0.1:" in up.stdout

    status = _harness("sandbox", "status", "--dir", str(folder), "--format", "json")
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    assert data["server_alive"] is True  # the `up` process has exited; its server has not
    held = {i["instance"]: i for i in data["instances"]}
    role_id = "plat-ue1-dev/iam-role/read-only"
    assert list(held) == ["core-ue1-root/account-map", role_id]  # the producer first
    assert held[role_id]["resources"] >= 2 and "role_name" in held[role_id]["outputs"]
    state_copy = folder / "state" / "plat-ue1-dev__iam-role__read-only.tfstate"
    assert state_copy.is_file()  # the state is kept in the folder too
    endpoint = data["endpoint"]

    # The printed environment reaches the deployed role from plain boto3 (in the stack's account), with the
    # AWS managed policy the stack attaches.
    env = dict(line.removeprefix("export ").split("=", 1)
               for line in _harness("sandbox", "status", "--dir", str(folder), "--format", "env").stdout.split("\n")
               if line)
    base = boto3.Session(aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                         region_name=env["AWS_REGION"])
    role_name = json.loads(state_copy.read_text())["outputs"]["role_name"]["value"]
    creds = base.client("sts", endpoint_url=env["AWS_ENDPOINT_URL"]).assume_role(
        RoleArn=held[role_id]["role_arn"], RoleSessionName="sandbox-test")["Credentials"]
    iam = boto3.client("iam", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=env["AWS_REGION"],
                       aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                       aws_session_token=creds["SessionToken"])
    attached = iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]
    assert "arn:aws:iam::aws:policy/ReadOnlyAccess" in [p["PolicyArn"] for p in attached]

    verify = _harness("verify", "-s", "plat-ue1-dev", "--component", "iam-role/read-only", "--sandbox", str(folder))
    assert verify.returncode == 0, verify.stdout[-2000:] + verify.stderr[-2000:]
    assert " 0 drift" in verify.stdout

    down = _harness("sandbox", "down", "--dir", str(folder), "--terraform", terraform.path)
    assert down.returncode == 0, down.stderr[-3000:]
    assert f"destroyed: {role_id}" in down.stdout and "destroyed: core-ue1-root/account-map" in down.stdout
    assert not folder.exists()
    assert not _answers(endpoint)
    assert not process_alive(data["pid"])
    gone = _harness("sandbox", "status", "--dir", str(folder))
    assert gone.returncode == 1 and "no sandbox in" in gone.stderr


def test_an_unknown_stack_is_one_line_and_starts_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "sandbox"
    result = _harness("sandbox", "up", "-s", "no-such-stack", "--dir", str(folder))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: no stack named 'no-such-stack' (harness describe stacks lists them)"]
    assert not folder.exists()
    assert "Traceback" not in result.stderr and os.path.isdir(REPO)
