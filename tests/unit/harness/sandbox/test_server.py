"""The sandbox's server process and folder, without terraform: it outlives its starter, stops only itself,
and ``down`` removes a sandbox whose server is already gone."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from harness.errors import ConfigError, HarnessError
from harness.sandbox import ServerProcess, down, load_record, status
from harness.sandbox.record import SandboxRecord, save_record

REPO = Path(__file__).resolve().parents[4]


def _answers(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(endpoint + "/moto-api/", timeout=5):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def test_the_server_answers_and_stops(tmp_path: Path) -> None:
    server = ServerProcess.start(tmp_path)
    try:
        assert server.alive() and _answers(server.endpoint)
        assert (tmp_path / "server.log").is_file()
    finally:
        server.stop()
    assert not server.alive()
    assert not _answers(server.endpoint)


def test_a_port_another_server_answers_on_is_refused_not_joined(tmp_path: Path) -> None:
    # Joining a server that answers on the port but is not ours would deploy into someone else's world.
    other = ServerProcess.start(tmp_path / "other")
    try:
        port = int(other.endpoint.rsplit(":", 1)[1])
        with pytest.raises(HarnessError, match=f"did not start on 127.0.0.1:{port}") as info:
            ServerProcess.start(tmp_path / "mine", port=port)
        assert "in use" in str(info.value)  # the server's own reason, from its log
        assert other.alive() and _answers(other.endpoint)
    finally:
        other.stop()


def test_stop_never_signals_a_process_that_is_not_the_server() -> None:
    # A recorded pid that now belongs to another process (here: this test's own) is not the server.
    stranger = ServerProcess(os.getpid(), "http://127.0.0.1:1")
    assert not stranger.alive()
    stranger.stop()  # would end this test process if it signalled it


def test_down_removes_a_sandbox_whose_server_is_gone(tmp_path: Path) -> None:
    folder = tmp_path / "sandbox"
    server = ServerProcess.start(folder)
    save_record(folder, SandboxRecord(endpoint=server.endpoint, pid=server.pid, region="us-east-1",
                                      access_key="testing", secret_key="testing", base_path=str(REPO)))
    assert status(folder).server_alive
    server.stop()
    report = status(folder)
    assert report.record is not None and not report.server_alive
    down(folder)
    assert not folder.exists()
    with pytest.raises(ConfigError, match="no sandbox in"):
        down(folder)
    assert load_record(folder) is None


def test_status_of_a_folder_without_a_sandbox_exits_1_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "harness", "sandbox", "status", "--dir", str(tmp_path / "none")],
                          cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [f"no sandbox in {tmp_path / 'none'} (harness sandbox up -s STACK "
                                                "starts one)"]
