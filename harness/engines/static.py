"""The static engine: offline evaluation of a component's HCL with tfparse.

Per instance: the component (and any local module outside it) is copied to a temporary
mirror, never touched in place; pure data sources (``aws_caller_identity``,
``aws_partition``, ``aws_region``) get the values the provider would compute injected
into the copy, so tfparse evaluates every expression built from them; the stack's
variables are written as a ``.tfvars.json`` beside the copy. tfparse runs in a child
process (``_tfparse_worker``): a Go panic aborts the process that loads tfparse, and a
configuration can make it loop forever, so a crash or a timeout becomes an
``EvaluationError`` for that instance while the others go on. One child serves a whole
batch (``plan_many``) and the parent turns each result into a Plan while the child
evaluates the next one.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.engines._provider_version import aws_region_has_region
from harness.engines._sources import SKIP_DIRS, ModuleNode, external_dirs, iter_nodes, module_tree, plan_input_files
from harness.engines._static_plan import build_plan
from harness.engines.base import PlanRequest
from harness.errors import EvaluationError, HarnessError
from harness.plan import Plan

WORKER = Path(__file__).with_name("_tfparse_worker.py")
DEFAULT_TIMEOUT = float(os.environ.get("HARNESS_TFPARSE_TIMEOUT", "60"))
INJECTED_FILE = "zz_harness_injected.tf"
_INJECTABLE = frozenset({"aws_caller_identity", "aws_partition", "aws_region"})


@dataclass
class TfparseJob:
    """One tfparse evaluation for the worker."""

    id: str
    dir: str
    vars_paths: list[str]
    log: str


@dataclass
class TfparseReply:
    """The worker's answer for one job (``error`` set when it failed, crashed or timed out)."""

    id: str
    result: dict[str, Any] | None
    error: str | None
    log: str


def run_tfparse(jobs: Sequence[TfparseJob], timeout: float = DEFAULT_TIMEOUT) -> Iterator[TfparseReply]:
    """Evaluate jobs in a throw-away child process, yielding replies in job order.

    A crash ends that job with an error and a new child takes the rest; a job running
    longer than ``timeout`` seconds is killed the same way.
    """
    worker = TfparseWorker(timeout)
    try:
        yield from worker.run(jobs)
    finally:
        worker.close()


def _read_log(path: str, limit: int = 4000) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - limit * 50))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _tail(text: str, lines: int = 8) -> str:
    keep = [ln for ln in text.splitlines() if ln.strip()][-lines:]
    return "\n".join(keep)


def child_env() -> dict[str, str]:
    """The tfparse child's environment: the Go collector runs less often unless ``GOGC`` is set.

    Each evaluation leaves a little short-lived garbage; at Go's default (100) the collector ran often
    enough to cost a tenth of a batch (synthetic organization, 1000 instances: 8.6 s -> 7.6 s at 400).
    """
    env = os.environ.copy()
    env.setdefault("GOGC", "400")
    return env


class TfparseWorker:
    """A long-lived tfparse child: started on first use, restarted after a crash or a timeout.

    Keeping it alive across ``plan()`` calls saves the ~40 ms a Python start and the Go
    library load cost; its output is drained by a thread so it never waits on a full pipe
    while the parent builds the previous plan.
    """

    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._lines: queue.Queue[bytes] = queue.Queue()
        self._err: Any = None
        self._lock = threading.Lock()

    def _start(self) -> subprocess.Popen[bytes]:
        self._err = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the child; closed in close()
        proc = subprocess.Popen(
            [sys.executable, str(WORKER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._err, env=child_env(),
        )
        lines: queue.Queue[bytes] = queue.Queue()
        stdout = proc.stdout
        assert stdout is not None

        def drain() -> None:
            for line in stdout:
                lines.put(line)
            lines.put(b"")

        threading.Thread(target=drain, daemon=True).start()
        self._proc, self._lines = proc, lines
        return proc

    def close(self) -> None:
        """Stop the child (idempotent)."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.stdin is not None:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        if self._err is not None:
            self._err.close()
            self._err = None

    def _kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
        self.close()

    def run(self, jobs: Sequence[TfparseJob]) -> Iterator[TfparseReply]:
        """Replies in job order; every job gets exactly one reply."""
        with self._lock:
            pending = list(jobs)
            while pending:
                yield from self._batch(pending)

    def warm_up(self) -> None:
        """Start the child now, so it loads the Go library while the parent prepares the jobs."""
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._start()

    def _batch(self, pending: list[TfparseJob]) -> Iterator[TfparseReply]:
        proc = self._proc if self._proc is not None and self._proc.poll() is None else self._start()
        stdin = proc.stdin
        assert stdin is not None
        payload = "".join(json.dumps(job.__dict__) + "\n" for job in pending).encode()

        def feed() -> None:
            try:
                stdin.write(payload)
                stdin.flush()
            except OSError:
                pass

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        finished = False
        try:
            while pending:
                try:
                    line = self._lines.get(timeout=self.timeout)
                except queue.Empty:
                    job = pending.pop(0)
                    self._kill()
                    yield TfparseReply(job.id, None, f"tfparse did not finish within {self.timeout:g} s (killed)",
                                       _read_log(job.log))
                    finished = True
                    return
                if not line:
                    code = proc.wait()
                    job = pending.pop(0)
                    log = _read_log(job.log)
                    stderr = ""
                    if self._err is not None:
                        self._err.seek(0)
                        stderr = self._err.read().decode("utf-8", "replace")
                    self.close()
                    how = f"signal {-code}" if code < 0 else f"exit code {code}"
                    detail = _tail(log if "panic" in log or "fatal" in log else stderr + "\n" + log)
                    yield TfparseReply(job.id, None, f"tfparse crashed ({how})" + (f":\n{detail}" if detail else ""),
                                       log)
                    finished = True
                    return
                job = pending.pop(0)
                reply = json.loads(line)
                ok = bool(reply.get("ok"))
                yield TfparseReply(job.id, reply.get("result") if ok else None,
                                   None if ok else str(reply.get("error")), _read_log(job.log) if job.log else "")
            finished = True
        finally:
            writer.join(timeout=self.timeout)
            if not finished:
                # The consumer stopped early: replies may still be in flight; start clean next time.
                self._kill()


@dataclass
class _Prepared:
    root: Path
    component_copy: Path
    tree: ModuleNode


def _fingerprint(directory: Path) -> tuple[tuple[str, int, int], ...]:
    return tuple((rel, stamp[1], stamp[2]) for rel, _, stamp in plan_input_files(directory))


def _ignore(root: str) -> Any:
    def ignore(directory: str, names: list[str]) -> set[str]:
        rel = os.path.relpath(directory, root)
        if rel == ".terraform":
            return {n for n in names if n != "modules"}
        return {n for n in names
                if (n in SKIP_DIRS and not (rel == "." and n == ".terraform"))
                or n.endswith(".tfstate") or n.endswith(".tfstate.backup")}
    return ignore


def _hcl_string(value: str) -> str:
    return json.dumps(value).replace("${", "$${").replace("%{", "%%{")


class StaticEngine:
    """``static``: tfparse in a child process, placeholders normalized into Unknown."""

    name = "static"

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT, workdir: Path | None = None) -> None:
        self.timeout = timeout
        self._tmp = Path(tempfile.mkdtemp(prefix="harness-static-", dir=workdir))
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(self._tmp), True)
        self._prepared: dict[tuple[Any, ...], _Prepared] = {}
        self._counter = 0
        self._worker = TfparseWorker(timeout)

    def close(self) -> None:
        """Stop the tfparse child and remove the temporary copies."""
        self._worker.close()
        self._finalizer()

    def __enter__(self) -> StaticEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def plan(self, request: PlanRequest) -> Plan:
        """Plan one instance; EvaluationError when tfparse fails on it."""
        result = self.plan_many([request])[0]
        if isinstance(result, Exception):
            raise result
        return result

    def plan_many(self, requests: Sequence[PlanRequest]) -> list[Plan | Exception]:
        """Plan several instances with one tfparse child; one Plan or EvaluationError each."""
        results: list[Plan | Exception | None] = [None] * len(requests)
        if requests:
            self._worker.warm_up()
        jobs: list[TfparseJob] = []
        prepared: dict[str, tuple[int, _Prepared]] = {}
        for i, request in enumerate(requests):
            try:
                prep = self._prepare(request)
                job = self._job(request, prep)
            except HarnessError as exc:
                results[i] = _named(request, exc)
                continue
            except OSError as exc:
                results[i] = EvaluationError(f"{request.instance_id}: cannot prepare the component: {exc}",
                                             file=request.component_dir)
                continue
            jobs.append(job)
            prepared[job.id] = (i, prep)
        for reply in self._worker.run(jobs):
            i, prep = prepared[reply.id]
            request = requests[i]
            if reply.error is not None or reply.result is None:
                results[i] = self._failure(request, reply.error or "no result")
                continue
            try:
                results[i] = build_plan(request, prep.tree, reply.result, reply.log, str(prep.component_copy))
            except HarnessError as exc:
                results[i] = _named(request, exc)
        return [r if r is not None else EvaluationError(f"{requests[n].instance_id}: not planned")
                for n, r in enumerate(results)]

    def _failure(self, request: PlanRequest, error: str) -> EvaluationError:
        line = None
        file: str | Path = request.component_dir
        first = error.split(": ", 2)
        if error.startswith("ParseError") and len(first) == 3:
            loc = first[2].split(":", 2)
            if len(loc) >= 2 and loc[0].endswith((".tf", ".tf.json")):
                file = request.component_dir / loc[0]
                try:
                    line = int(loc[1].split(",")[0])
                except ValueError:
                    line = None
        return EvaluationError(f"{request.instance_id}: static evaluation failed: {error}", file=file, line=line)

    def _job(self, request: PlanRequest, prep: _Prepared) -> TfparseJob:
        self._counter += 1
        job_id = f"j{self._counter}"
        vars_dir = self._tmp / "vars"
        vars_dir.mkdir(exist_ok=True)
        vars_file = vars_dir / f"{job_id}.tfvars.json"
        vars_file.write_text(json.dumps(dict(request.variables), default=str), encoding="utf-8")
        return TfparseJob(job_id, str(prep.component_copy),
                          [os.path.relpath(vars_file, prep.component_copy)],
                          str(vars_dir / f"{job_id}.log"))

    def _prepare(self, request: PlanRequest) -> _Prepared:
        component = Path(request.component_dir).resolve()
        if not component.is_dir():
            raise EvaluationError(f"{request.instance_id}: component directory not found",
                                  file=request.component_dir)
        tree = module_tree(component)
        for node in iter_nodes(tree):
            if node.missing_reason and "calls itself" in node.missing_reason:
                call = node.call
                raise EvaluationError(
                    f"{request.instance_id}: {node.missing_reason}; tfparse would never finish",
                    file=component / call.file if call else component, line=call.line_start if call else None,
                )
        externals = external_dirs(component, tree)
        key = (str(component), request.account_id, request.region, request.partition,
               _fingerprint(component), tuple((e, _fingerprint(component / e)) for e in externals))
        cached = self._prepared.get(key)
        if cached is not None:
            return cached
        sources = [component] + [(component / e).resolve() for e in externals]
        ancestor = Path(os.path.commonpath([str(s) for s in sources]))
        if ancestor == component:
            ancestor = component.parent  # keep the component's folder name in the copy
        root = self._tmp / f"c{len(self._prepared)}"
        copy = root / os.path.relpath(component, ancestor)
        shutil.copytree(component, copy, ignore=_ignore(str(component)), symlinks=False)
        for ext in externals:
            src = (component / ext).resolve()
            dst = root / os.path.relpath(src, ancestor)
            if not dst.exists():
                shutil.copytree(src, dst, ignore=_ignore(str(src)))
        self._inject(request, tree, copy)
        prep = _Prepared(root, copy, tree)
        self._prepared[key] = prep
        return prep

    def _inject(self, request: PlanRequest, tree: ModuleNode, copy: Path) -> None:
        """Give pure data sources the values the provider computes, in the copy only.

        The block is blanked in its file (so every other line keeps its number) and
        re-declared with the computed attributes in ``zz_harness_injected.tf``.
        """
        values: dict[str, dict[str, str]] = {
            "aws_partition": {"partition": request.partition, "dns_suffix": request.dns_suffix,
                              "reverse_dns_prefix": ".".join(reversed(request.dns_suffix.split(".")))},
        }
        if request.account_id:
            values["aws_caller_identity"] = {"account_id": request.account_id}
        if request.region:
            values["aws_region"] = {"name": request.region, "endpoint": f"ec2.{request.region}.{request.dns_suffix}"}
            if aws_region_has_region(request.component_dir):
                values["aws_region"]["region"] = request.region
        done: set[str] = set()
        for node in iter_nodes(tree):
            if node.source is None or node.dir is None or node.dir in done:
                continue
            done.add(node.dir)
            blank: dict[str, list[tuple[int, int]]] = {}
            declared: list[str] = []
            for (type_, name), block in sorted(node.source.data.items()):
                inject = values.get(type_)
                if (inject is None or block.blocks or "provider" in block.attrs
                        or block.file.endswith(".json") or block.line_start <= 0):
                    continue
                if type_ == "aws_region" and ("name" in block.attrs or "region" in block.attrs):
                    continue
                lines = [f'data "{type_}" "{name}" {{']
                lines += [f"  {k} = {expr.text}" for k, expr in block.attrs.items()]
                lines += [f"  {k} = {_hcl_string(v)}" for k, v in inject.items() if k not in block.attrs]
                lines.append("}")
                declared.append("\n".join(lines))
                blank.setdefault(block.file, []).append((block.line_start, block.line_end))
            for rel, spans in blank.items():
                path = copy / rel
                text = path.read_text(encoding="utf-8").split("\n")
                for start, end in spans:
                    for ln in range(start - 1, min(end, len(text))):
                        text[ln] = ""
                path.write_text("\n".join(text), encoding="utf-8")
            if declared:
                target = copy / node.dir / INJECTED_FILE
                target.write_text("\n\n".join(declared) + "\n", encoding="utf-8")


def _named(request: PlanRequest, exc: HarnessError) -> EvaluationError:
    message = exc.message if exc.message.startswith(request.instance_id) else f"{request.instance_id}: {exc.message}"
    file = exc.file
    if file is not None and not os.path.isabs(file):
        file = str(Path(request.component_dir) / file)
    return EvaluationError(message, file=file, line=exc.line)


def plan_static(requests: Sequence[PlanRequest], *, timeout: float = DEFAULT_TIMEOUT) -> list[Plan | Exception]:
    """Convenience: plan a batch with a throw-away StaticEngine."""
    with StaticEngine(timeout=timeout) as engine:
        return engine.plan_many(requests)


def variables_json(variables: Mapping[str, Any]) -> str:
    """The tfvars JSON the engine writes (exposed for the cache key)."""
    return json.dumps(dict(variables), sort_keys=True, default=str)
