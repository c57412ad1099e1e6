"""The sandbox's moto server: a process of its own, so it outlives the command that started it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from harness.aws import Emulator
from harness.aws.emulator import free_port
from harness.deploy.ledger import process_alive
from harness.errors import HarnessError

LOG = "server.log"
_MARK = "moto.server"


def server_env() -> dict[str, str]:
    """AWS managed IAM policies exist in the sandbox, as in AWS (a role attaching ReadOnlyAccess deploys);
    the caller's own MOTO_* settings win."""
    return {"MOTO_IAM_LOAD_MANAGED_POLICIES": "true", **os.environ}


@dataclass(frozen=True)
class ServerProcess:
    """A moto server started by ``start``: its pid (also its process group) and endpoint."""

    pid: int
    endpoint: str

    @classmethod
    def start(cls, directory: Path, *, host: str = "127.0.0.1", port: int = 0, timeout: float = 90.0) -> ServerProcess:
        """Start ``python -m moto.server`` in its own session, its log in ``directory``; wait until it answers."""
        directory.mkdir(parents=True, exist_ok=True)
        chosen = port or free_port(host)
        with open(directory / LOG, "ab") as log:
            proc = subprocess.Popen([sys.executable, "-m", _MARK, "-H", host, "-p", str(chosen)],
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    cwd=directory, start_new_session=True, env=server_env())
        server = cls(proc.pid, f"http://{host}:{chosen}")
        emulator = Emulator.connect("moto", server.endpoint)
        deadline = time.monotonic() + timeout
        while not emulator.healthy(timeout=2.0):
            if proc.poll() is not None or time.monotonic() > deadline:
                server.stop()
                tail = (directory / LOG).read_text(encoding="utf-8", errors="replace")[-800:]
                raise HarnessError(f"the sandbox's moto server did not start on {host}:{chosen}: {tail.strip()}")
            time.sleep(0.2)  # polling a child process that is starting, not timing a test
        return server

    def alive(self) -> bool:
        """The recorded pid is still a moto server (not a later process that got the same pid)."""
        if not process_alive(self.pid):
            return False
        try:
            cmdline = Path(f"/proc/{self.pid}/cmdline").read_bytes()
        except OSError:
            return True  # no /proc (macOS): trust the pid
        return _MARK.encode() in cmdline

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM its process group, SIGKILL after ``timeout``; nothing when it is already gone."""
        if not self.alive():
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.alive() and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, os.WNOHANG)
            time.sleep(0.1)  # waiting for a process to exit
        if self.alive():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, os.WNOHANG)
