"""Run work over a dependency graph on a few threads: a node starts once everything it waits for is done.

Deploys and teardowns spend most of their time in terraform processes that wait on the emulator (or on
AWS) and on the provider's fixed polling delays, so independent instances run side by side. The first
failure stops new starts; the work already running finishes (or is interrupted on Ctrl-C), and
the error is raised once nothing runs any more, so the caller's teardown never races a running apply.
"""

from __future__ import annotations

import concurrent.futures as futures
import os
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

DEFAULT_JOBS_ENV = "HARNESS_DEPLOY_JOBS"


def default_jobs() -> int:
    """``HARNESS_DEPLOY_JOBS``, else 4 per core (capped at 8): terraform against an emulator mostly waits."""
    value = os.environ.get(DEFAULT_JOBS_ENV, "")
    if value.strip().isdigit() and int(value) > 0:
        return int(value)
    return max(1, min(8, 4 * (os.cpu_count() or 1)))


def run_graph(nodes: Sequence[K], waits_for: Mapping[K, Sequence[K]], work: Callable[[K], None], *,
              jobs: int = 1, on_interrupt: Callable[[], None] | None = None,
              stop: threading.Event | None = None) -> list[K]:
    """Call ``work(node)`` for every node after the nodes it waits for; return the nodes done, in finish order.

    ``waits_for`` entries outside ``nodes`` are ignored. ``jobs <= 1`` runs in the calling thread, in the
    order of ``nodes`` (which must then already be a valid order). When ``work`` raises, no new node
    starts, the running ones finish and the first exception propagates. When the caller is interrupted
    while waiting (KeyboardInterrupt, or a signal a handler turned into an exception), ``on_interrupt``
    is called (to stop the running work), the running nodes are waited for, and the interrupt propagates.
    """
    done: list[K] = []
    if jobs <= 1:
        for node in nodes:
            if stop is not None and stop.is_set():
                break
            work(node)
            done.append(node)
        return done
    wanted = set(nodes)
    pending = {n: {d for d in waits_for.get(n, ()) if d in wanted and d != n} for n in nodes}
    running: dict[futures.Future[None], K] = {}
    first_error: BaseException | None = None
    with futures.ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="harness-deploy") as pool:
        try:
            while pending or running:
                if first_error is None and not (stop is not None and stop.is_set()):
                    ready = [n for n, deps in pending.items() if not deps]
                    for node in ready[: max(0, jobs - len(running))]:
                        del pending[node]
                        running[pool.submit(work, node)] = node
                if not running:
                    break  # a failure (or stop) left nodes that can never start
                finished, _ = futures.wait(running, return_when=futures.FIRST_COMPLETED)
                for future in finished:
                    node = running.pop(future)
                    error = future.exception()
                    if error is not None:
                        if first_error is None:
                            first_error = error
                        continue
                    done.append(node)
                    for deps in pending.values():
                        deps.discard(node)
        except BaseException as exc:  # noqa: BLE001 - KeyboardInterrupt or a signal turned into an exception: re-raised
            first_error = exc
            if on_interrupt is not None:
                on_interrupt()
            futures.wait(running)
            for future, node in running.items():
                if future.exception() is None:
                    done.append(node)
    if first_error is not None:
        raise first_error
    return done
