"""A checkov process started early, so its import overlaps the harness's planning.

Importing checkov costs about two thirds of a short checkov run. When the checkov command
is a Python console script, ``CheckovProcess`` starts its interpreter at once with checkov
imported and waiting on stdin for the arguments; ``run`` later hands over the plan folder
and collects the report. Any other command (a wrapper, a binary), or an interpreter in
which the import fails, runs the ordinary way when ``run`` is called, so the result is
the same either way: only when the import happens changes.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Exit code and marker of a preloaded interpreter in which ``import checkov.main`` failed.
IMPORT_FAILED = 86
MARKER = "harness-checkov-preload: import failed"

PRELOAD = f"""
import json, os, sys, warnings
warnings.simplefilter("ignore", SyntaxWarning)
try:
    from checkov.main import Checkov
except BaseException as exc:
    print({MARKER!r}, repr(exc), file=sys.stderr)
    sys.exit({IMPORT_FAILED})
line = sys.stdin.readline()
request = json.loads(line) if line.strip() else None
if not request:
    sys.exit(0)
os.chdir(request["cwd"])
argv = list(request["argv"])
sys.argv = ["checkov", *argv]
sys.exit(Checkov(argv=argv).run())
"""


@dataclass(frozen=True)
class Completed:
    """What one checkov run returned."""

    returncode: int
    stdout: str
    stderr: str


def interpreter_of(command: Sequence[str]) -> list[str] | None:
    """The interpreter command of a Python console script (from its shebang), or None for anything else."""
    if len(command) != 1:
        return None
    found = shutil.which(command[0])
    if found is None:
        return None
    try:
        with Path(found).open("rb") as handle:
            head = handle.read(512).decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    if not head or not head[0].startswith("#!"):
        return None
    words = shlex.split(head[0][2:].strip())
    if words and words[0] in ("/bin/sh", "/usr/bin/sh") and len(head) > 1 and head[1].startswith("'''exec' "):
        words = shlex.split(head[1][len("'''exec' "):])[:1]  # pip's launcher for interpreter paths with spaces
    if not words or "python" not in Path(words[-1]).name:
        return None
    return words


class CheckovProcess:
    """One checkov run, its interpreter started (and checkov imported) before the plans are ready."""

    def __init__(self, command: Sequence[str], env: Mapping[str, str]) -> None:
        self.command = list(command)
        self.env = dict(env)
        self._proc: subprocess.Popen[str] | None = None
        interpreter = interpreter_of(self.command)
        if interpreter is not None:
            try:
                self._proc = subprocess.Popen([*interpreter, "-c", PRELOAD], stdin=subprocess.PIPE,
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                              env=self.env)
            except OSError:
                self._proc = None

    @property
    def preloaded(self) -> bool:
        """Whether a checkov interpreter was started ahead of ``run``."""
        return self._proc is not None

    def run(self, args: Sequence[str], *, cwd: str, timeout: float) -> Completed:
        """Run checkov with ``args`` in ``cwd``: in the started interpreter if there is one, else a new process.

        Raises ``FileNotFoundError`` and ``subprocess.TimeoutExpired`` like ``subprocess.run``."""
        proc, self._proc = self._proc, None
        if proc is not None:
            request = json.dumps({"argv": list(args), "cwd": cwd}) + "\n"
            try:
                out, err = proc.communicate(request, timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                raise
            if not (proc.returncode == IMPORT_FAILED and MARKER in err):
                return Completed(proc.returncode, out, err)
        done = subprocess.run([*self.command, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd,
                              env=self.env, check=False)
        return Completed(done.returncode, done.stdout, done.stderr)

    def close(self) -> None:
        """Stop a started interpreter that was never given a run."""
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.kill()
            proc.communicate()

    def __enter__(self) -> CheckovProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def checkov_env(quiet: Mapping[str, str]) -> dict[str, str]:
    """The environment checkov runs in: the caller's, checkov's quiet switches, and the plan's unknowns as given."""
    env = {**os.environ, **quiet}
    env.pop("EVAL_TF_PLAN_AFTER_UNKNOWN", None)
    return env
