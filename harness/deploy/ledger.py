"""The run ledger: one JSON-lines file per run under ``.harness/ledger/<run-id>.jsonl``.

Every apply is recorded *before* it starts, with everything needed to destroy it again (the
working-copy spec, backend, emulator endpoint, binary). A run that tears down cleanly deletes its
ledger; a crashed or killed run leaves it behind for :func:`harness.deploy.cleanup`.
Appends are single ``O_APPEND`` writes followed by ``fsync``, so a reader sees whole lines (a torn last
line from a crash mid-write is ignored).
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DEFAULT_LEDGER_DIR = Path(".harness") / "ledger"


def new_run_id() -> str:
    """Sortable and unique: UTC time, pid, random suffix."""
    return f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


class Ledger:
    """Append-only record of one run's applies and destroys."""

    def __init__(self, directory: str | os.PathLike[str] = DEFAULT_LEDGER_DIR, run_id: str | None = None) -> None:
        self.directory = Path(directory)
        self.run_id = run_id or new_run_id()
        self.path = self.directory / f"{self.run_id}.jsonl"
        self._started = self.path.exists()

    def append(self, event: str, **data: Any) -> None:
        """Write one record atomically; the first one also records who runs (pid, host)."""
        if not self._started:
            self._started = True
            self.append("run", pid=os.getpid(), host=socket.gethostname(), cwd=os.getcwd())
        record = {"event": event, "time": datetime.now(UTC).isoformat(), **data}
        line = (json.dumps(record, default=str, sort_keys=True) + "\n").encode("utf-8")
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            view = memoryview(line)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)

    def entries(self) -> list[dict[str, Any]]:
        return read_ledger(self.path)

    def remove(self) -> None:
        """The run is fully torn down: nothing is left to clean up."""
        self.path.unlink(missing_ok=True)
        self._started = False


def read_ledger(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Records of one ledger file, in order; a torn (partial) line is skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    out = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            out.append(record)
    return out


def ledger_files(directory: str | os.PathLike[str] = DEFAULT_LEDGER_DIR) -> list[Path]:
    folder = Path(directory)
    return sorted(folder.glob("*.jsonl")) if folder.is_dir() else []


def pending_applies(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The latest ``apply-start`` record of each instance not destroyed since, in first-apply order."""
    latest: dict[str, dict[str, Any]] = {}
    first: dict[str, int] = {}
    done: dict[str, bool] = {}
    for n, record in enumerate(entries):
        instance = record.get("instance")
        if not isinstance(instance, str):
            continue
        if record.get("event") == "apply-start":
            latest[instance] = record
            first.setdefault(instance, n)
            done[instance] = False
        elif record.get("event") in ("destroy", "gone"):
            done[instance] = True
    return [latest[i] for i in sorted(latest, key=lambda i: first[i]) if not done.get(i)]


def run_record(entries: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((e for e in entries if e.get("event") == "run"), None)


def process_alive(pid: int) -> bool:
    """Is ``pid`` a live (not zombie) process on this host?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except FileNotFoundError:
        return False  # gone between the two looks
    except OSError:
        return True  # no /proc here: kill(pid, 0) said it exists
    return stat.rsplit(")", 1)[-1].split()[0:1] != ["Z"]


def iter_ledgers(directory: str | os.PathLike[str]) -> Iterator[tuple[Path, list[dict[str, Any]]]]:
    for path in ledger_files(directory):
        yield path, read_ledger(path)
