"""Retries: one polling helper for eventually-consistent checks, botocore's own retries, and their count.

Tests never sleep for timing: they poll a condition against a deadline (``eventually``). AWS calls
retry inside botocore (``retry_config``); ``RetryCounter`` hooks botocore's events so a report can say
how many retries a run needed (a rising count is an early sign of throttling or a flaky emulator).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

from botocore.config import Config

from harness.errors import HarnessError

T = TypeVar("T")


class EventuallyTimeout(HarnessError, AssertionError):
    """``eventually`` ran out of time; the last failure is chained as ``__cause__``."""


def eventually(check: Callable[[], T], timeout: float = 30.0, interval: float = 0.2, *,
               retry_on: tuple[type[BaseException], ...] = (AssertionError,),
               message: str | None = None) -> T:
    """Call ``check`` until it passes or ``timeout`` seconds pass; return its result.

    ``check`` fails by raising one of ``retry_on`` or by returning ``False``; anything else (``None``
    included, so plain assert-style functions work) passes. Polls against a monotonic deadline.
    """
    deadline = time.monotonic() + timeout
    attempts = 0
    last: BaseException | None = None
    while True:
        attempts += 1
        try:
            result = check()
        except retry_on as exc:
            last = exc
        else:
            if result is not False:
                return result
            last = None
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            what = message or getattr(check, "__name__", "condition")
            detail = f": {last}" if last is not None else ""
            raise EventuallyTimeout(f"{what} did not pass within {timeout:g}s ({attempts} attempts){detail}") from last
        time.sleep(min(interval, remaining))


def retry_config(max_attempts: int = 5, *, connect_timeout: float = 5.0, read_timeout: float = 60.0,
                 **extra: Any) -> Config:
    """botocore client config with ``standard`` retries (exponential backoff with jitter)."""
    return Config(retries={"max_attempts": max_attempts, "mode": "standard"}, connect_timeout=connect_timeout,
                  read_timeout=read_timeout, **extra)


class RetryCounter:
    """Counts botocore retries per ``service.Operation`` from the responses' ``RetryAttempts``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.retries: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()

    def attach(self, events: Any) -> None:
        """Register on a botocore event emitter (``session.events`` or ``client.meta.events``)."""
        events.register("after-call", self._after_call, unique_id=f"harness-retry-counter-{id(self)}")

    def _after_call(self, parsed: Any = None, model: Any = None, **_: Any) -> None:
        name = "unknown"
        if model is not None:
            service = getattr(getattr(model, "service_model", None), "service_name", "?")
            name = f"{service}.{getattr(model, 'name', '?')}"
        attempts = 0
        if isinstance(parsed, dict):
            attempts = int((parsed.get("ResponseMetadata") or {}).get("RetryAttempts") or 0)
        with self._lock:
            self.calls[name] += 1
            if attempts:
                self.retries[name] += attempts

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.retries.values())

    def summary(self) -> dict[str, Any]:
        """JSON-ready: total retries and calls, and retries per operation."""
        with self._lock:
            return {"retries": sum(self.retries.values()), "calls": sum(self.calls.values()),
                    "by_operation": dict(sorted(self.retries.items()))}

    def reset(self) -> None:
        with self._lock:
            self.retries.clear()
            self.calls.clear()
