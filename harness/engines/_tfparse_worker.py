"""Child process that runs tfparse: a Go panic in tfparse aborts the process that loads it.

Run as a script (``python _tfparse_worker.py``), not as ``-m``, so that it imports nothing
of the harness and starts fast. Reads one JSON job per line on stdin, as they come::

    {"id": "...", "dir": "...", "vars_paths": ["..."], "log": "/tmp/..."}

and writes one JSON line per finished job on stdout, flushed at once, so the parent knows
which jobs finished when the process dies in the middle of a batch::

    {"id": "...", "ok": true, "result": {...}}
    {"id": "...", "ok": false, "error": "..."}

tfparse's debug log (the only place it says that a for_each could not be expanded or a
module could not be loaded) goes to the job's ``log`` file: file descriptor 2 is pointed
at it while the job runs.

``HARNESS_TFPARSE_CRASH_FOR_TESTS=<text>`` aborts the process (as a Go panic would) when a
job's directory contains ``<text>``; the tests use it to prove a crash is contained.
"""

from __future__ import annotations

import json
import os
import sys


def _parse_raw(job_dir: str, vars_paths: list[str], debug: bool) -> bytes:
    """tfparse's JSON exactly as the Go side produced it (no decode/encode round trip)."""
    import tfparse

    lib, ffi = tfparse.lib, tfparse.ffi
    c_paths = [ffi.new("char[]", p.encode("utf8")) for p in vars_paths]
    ret = lib.Parse(ffi.new("char[]", job_dir.encode("utf8")), True, debug, False,
                    ffi.new("char[]", b"default"), len(c_paths), c_paths)
    if ret.err != ffi.NULL:
        err = ffi.string(ret.err)
        lib.free(ret.err)
        raise tfparse.ParseError(err.decode("utf8", "replace"))
    raw: bytes = ffi.string(ret.json)
    lib.free(ret.json)
    return raw


def _run_job(job: dict[str, object], crash_marker: str) -> bytes:
    job_dir = str(job["dir"])
    if crash_marker and crash_marker in job_dir:
        os.abort()
    vars_paths = job.get("vars_paths") or []
    assert isinstance(vars_paths, list)
    log = job.get("log")
    head = '{"id":' + json.dumps(job["id"])
    saved = os.dup(2)
    try:
        if log:
            fd = os.open(str(log), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(fd, 2)
            os.close(fd)
        os.chdir(job_dir)  # as terraform runs: abspath(path.module) is the component folder
        raw = _parse_raw(job_dir, [str(p) for p in vars_paths], bool(log))
        return (head + ',"ok":true,"result":').encode() + raw + b"}"
    except Exception as exc:  # noqa: BLE001 - every tfparse failure is reported, never raised
        return (head + ',"ok":false,"error":' + json.dumps(f"{type(exc).__name__}: {exc}") + "}").encode()
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def main() -> int:
    """Run every job read from stdin until it closes."""
    import tfparse  # noqa: F401 - load the Go library while the parent prepares the jobs

    crash_marker = os.environ.get("HARNESS_TFPARSE_CRASH_FOR_TESTS", "")
    out = sys.stdout.buffer
    for line in sys.stdin:
        if not line.strip():
            continue
        # Go escapes newlines inside strings; any raw newline is whitespace between tokens.
        out.write(_run_job(json.loads(line), crash_marker).replace(b"\n", b" ") + b"\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
