"""What a validator works with: the instance's inputs, its outputs, read-only clients, and ``check``.

A check compares what the stack says (expected) with what AWS reports (actual). It retries with
``eventually`` for ``settle`` seconds (eventual consistency: a resource created a moment ago may not
be listed yet), and turns "the API is not served here" or "access denied" into an undetermined result
with the reason, never into drift.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from harness.aws.retry import EventuallyTimeout, eventually
from harness.errors import HarnessError, ReadOnlyViolation
from harness.verify.model import CheckResult, Status, plain

if TYPE_CHECKING:
    from harness.atmos import Instance, Resolver
    from harness.verify.access import ReadOnlyAccount
    from harness.verify.outputs import Outputs, OutputsReader

T = TypeVar("T")

# Error codes that mean "this operation is not served here" (emulators answer unknown routes with
# 404/500/501 pages; AWS with these codes).
_NOT_SERVED = {"NotImplemented", "NotImplementedException", "InvalidAction", "UnknownOperationException",
               "UnsupportedOperation", "404", "500", "501"}
_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException",
           "AuthorizationError", "Forbidden", "403"}


class Undetermined(Exception):
    """Raised inside a check: the check cannot be decided (the message says why)."""


class Unresolved(str):
    """A stack var that is a ``!terraform.output`` reference whose producer's outputs are unknown."""

    why: str

    def __new__(cls, text: str, why: str) -> Unresolved:
        obj = super().__new__(cls, text)
        obj.why = why
        return obj


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ClientError ('' for other exceptions)."""
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        return str((response.get("Error") or {}).get("Code") or "")
    return ""


def is_not_found(exc: BaseException) -> bool:
    """A ClientError saying the thing does not exist (the check then sees "missing", i.e. drift)."""
    code = error_code(exc)
    return bool(code) and ("NotFound" in code or code.startswith("NoSuch") or code in ("NoSuchEntity",))


def undetermined_reason(exc: BaseException, operation: str = "") -> str | None:
    """Why a failed call leaves a check undetermined, or None when the error is something else."""
    code = error_code(exc)
    what = f"{operation} " if operation else ""
    if code in _NOT_SERVED:
        return f"{what}is not served by this endpoint (HTTP/code {code})"
    if code in _DENIED:
        return f"{what}was denied ({code}): the validation role cannot read this"
    return None


def _operation(exc: BaseException) -> str:
    name = getattr(exc, "operation_name", "")
    return str(name) if name else ""


class Checker:
    """Runs the checks of one instance and collects their results."""

    def __init__(self, instance: Instance, variables: dict[str, Any], outputs: Outputs, account: ReadOnlyAccount,
                 *, settle: float = 0.0, interval: float = 0.5, resolver: Resolver | None = None,
                 outputs_reader: OutputsReader | None = None) -> None:
        self.instance = instance
        self.vars = variables
        self.outputs = outputs
        self.account = account
        self.settle = settle
        self.interval = interval
        self.resolver = resolver
        self.outputs_reader = outputs_reader
        self.results: list[CheckResult] = []
        self._reads: dict[str, Any] = {}

    # -- inputs -------------------------------------------------------------------------------------
    def client(self, service: str, *, region: str | None = None) -> Any:
        return self.account.client(service, region=region)

    @property
    def region(self) -> str:
        return self.account.region

    def var(self, name: str) -> Any:
        """A stack var (component defaults applied); Undetermined when it is an unresolved reference."""
        value = self.vars.get(name)
        if isinstance(value, Unresolved):
            raise Undetermined(f"vars.{name} is '{value}' and {value.why}")
        return value

    def output(self, name: str) -> Any:
        return self.outputs.get(name)

    def name(self, suffix: str | None = None) -> str:
        """The component's resource name: ``<namespace>-<tenant>-<environment>-<stage>-<name>``."""
        parts = [self.vars.get(k) for k in ("namespace", "tenant", "environment", "stage")]
        parts.append(suffix if suffix is not None else self.vars.get("name"))
        return "-".join(str(p) for p in parts if p not in (None, ""))

    def default_tags(self) -> dict[str, str]:
        """Tags every resource of the example components carries (context tags merged with ``vars.tags``)."""
        tags = {"Namespace": self.vars.get("namespace"), "Tenant": self.vars.get("tenant"),
                "Environment": self.vars.get("environment"), "Stage": self.vars.get("stage"),
                "ManagedBy": "terraform"}
        extra = self.vars.get("tags")
        if isinstance(extra, Mapping):
            tags.update(extra)
        return {str(k): str(v) for k, v in tags.items() if v is not None}

    def sibling(self, component: str) -> Instance | None:
        """Another component of the same stack (e.g. the stack's vpc for a security group)."""
        if self.resolver is None:
            return None
        try:
            return self.resolver.instance(component, self.instance.stack)
        except HarnessError:
            return None

    def read(self, key: str, fetch: Callable[[], T]) -> T:
        """``fetch()`` once for all checks of this instance; re-read after any failed attempt (so a retry
        under ``eventually`` never compares against a stale answer)."""
        if key not in self._reads:
            self._reads[key] = fetch()
        value: T = self._reads[key]
        return value

    # -- checks -------------------------------------------------------------------------------------
    def passed(self, check: str) -> bool:
        return any(r.check == check and r.status is Status.PASS for r in self.results)

    def check(self, name: str, expected: Any | Callable[[], Any], actual: Callable[[], Any], *,
              compare: Callable[[Any, Any], bool] | None = None, needs: str | tuple[str, ...] = ()) -> CheckResult:
        """Compare ``expected`` (a value, or a callable computing it) with ``actual()`` until they agree or
        ``settle`` seconds pass; record and return the result."""
        for need in (needs,) if isinstance(needs, str) else needs:
            if not self.passed(need):
                return self._record(CheckResult(name, Status.UNDETERMINED, None, None, f"needs {need} to pass"))
        try:
            want = plain(expected() if callable(expected) else expected)
        except Undetermined as exc:
            return self._record(CheckResult(name, Status.UNDETERMINED, None, None, str(exc)))
        same = compare or (lambda a, b: a == b)
        seen: dict[str, Any] = {}

        def attempt() -> None:
            try:
                seen["actual"] = plain(actual())
            except Exception:
                self._reads.clear()
                raise
            if not same(want, seen["actual"]):
                self._reads.clear()
                raise AssertionError(f"{name}: expected {want!r}, actual {seen['actual']!r}")

        try:
            eventually(attempt, timeout=self.settle, interval=self.interval, message=name)
        except EventuallyTimeout:
            return self._record(CheckResult(name, Status.FAIL, want, seen.get("actual")))
        except Undetermined as exc:
            return self._record(CheckResult(name, Status.UNDETERMINED, want, None, str(exc)))
        except ReadOnlyViolation:
            raise
        except Exception as exc:  # noqa: BLE001 - botocore errors become undetermined with their reason
            reason = undetermined_reason(exc, _operation(exc)) or f"{type(exc).__name__}: {exc}"
            return self._record(CheckResult(name, Status.UNDETERMINED, want, None, reason))
        return self._record(CheckResult(name, Status.PASS, want, seen.get("actual")))

    def exists(self, name: str, what: str, find: Callable[[], T | None], *,
               label: Callable[[T], str] | None = None) -> T | None:
        """A check that a resource exists; returns it (None when missing or undetermined)."""
        found: dict[str, Any] = {}

        def actual() -> str:
            try:
                item = find()
            except Exception as exc:
                if is_not_found(exc):
                    item = None
                else:
                    raise
            found["item"] = item
            if item is None:
                return "missing"
            return label(item) if label is not None else "exists"

        self.check(name, what, actual, compare=lambda _want, got: got != "missing")
        item: T | None = found.get("item") if self.passed(name) else None
        return item

    def _record(self, result: CheckResult) -> CheckResult:
        self.results.append(result)
        return result


def safe_call(call: Callable[[], T], *, missing: T) -> T:
    """``call()``, or ``missing`` when AWS says the thing does not exist."""
    try:
        return call()
    except Exception as exc:
        if is_not_found(exc):
            return missing
        raise
