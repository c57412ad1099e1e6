"""The sandbox's moto server: a process of its own, so it outlives the command that started it."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from harness.aws import Emulator
from harness.deploy.ledger import process_alive
from harness.errors import HarnessError

LOG = "server.log"
_MARK = "moto.server"
_RUNNING_ON = re.compile(r"Running on (http://[^\s]+)")


def _log_since(path: Path, offset: int) -> str:
    try:
        with open(path, "rb") as log:
            log.seek(offset)
            return log.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def _running_on(text: str) -> str | None:
    """The endpoint werkzeug prints once it has bound its port."""
    found = _RUNNING_ON.search(text)
    return found.group(1).rstrip("/") if found else None


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
        """Start ``python -m moto.server`` in its own session, its log in ``directory``; wait until it answers.

        The server binds the port itself (``-p 0`` unless one is asked for) and the endpoint is read from its
        own "Running on" line: a port chosen here and bound later could be taken in between by another
        server, which would then answer in its place.
        """
        directory.mkdir(parents=True, exist_ok=True)
        log_path = directory / LOG
        offset = log_path.stat().st_size if log_path.exists() else 0
        with open(log_path, "ab") as log:
            proc = subprocess.Popen([sys.executable, "-m", _MARK, "-H", host, "-p", str(port)],
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    cwd=directory, start_new_session=True, env=server_env())
        deadline = time.monotonic() + timeout
        endpoint: str | None = None
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                cls(proc.pid, endpoint or f"http://{host}:{port}").stop()
                tail = _log_since(log_path, offset)[-800:]
                raise HarnessError(f"the sandbox's moto server did not start on {host}:{port or 'a free port'}: "
                                   f"{tail.strip() or 'it printed nothing'}")
            endpoint = endpoint or _running_on(_log_since(log_path, offset))
            if endpoint is not None and Emulator.connect("moto", endpoint).healthy(timeout=2.0):
                return cls(proc.pid, endpoint)
            time.sleep(0.2)  # polling a child process that is starting, not timing a test

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
