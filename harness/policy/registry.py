"""Registration of policies: the ``@policy`` decorator, registries, and loading user policies.

Built-in policies live in ``harness.policy.packs`` and register into the default registry
the first time it is asked for. User policies use the same decorator from a ``policies/``
folder at the repository root or from an installed package's ``atmos_harness.policies``
entry point; ``load_user_policies`` imports them into the active registry.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import importlib.metadata
import importlib.util
import inspect
import re
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from harness.policy.model import Param, Policy, PolicyError, Severity

ENTRY_POINT_GROUP = "atmos_harness.policies"
USER_POLICY_DIR = "policies"

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$")
_CONTROL = re.compile(r"^[A-Z][A-Za-z0-9]*-\S+$")

F = TypeVar("F", bound=Callable[..., Any])


class Registry:
    """Policies by id; ids are unique, iteration is sorted by id."""

    def __init__(self, policies: Iterable[Policy] = ()) -> None:
        self._policies: dict[str, Policy] = {}
        self._loaded_files: set[Path] = set()
        for item in policies:
            self.register(item)

    def register(self, item: Policy) -> Policy:
        """Add a policy; a second policy with the same id is an error (re-importing the same code is not)."""
        current = self._policies.get(item.id)
        if current is not None and _same_code(current, item):
            self._policies[item.id] = item
            return item
        if current is not None:
            raise PolicyError(f"policy id {item.id!r} is defined twice: {current.origin} and {item.origin}")
        self._policies[item.id] = item
        return item

    def policy(self, id: str, **meta: Any) -> Callable[[F], F]:
        """The decorator, bound to this registry (see ``harness.policy.policy``)."""
        with use_registry(self):
            return policy(id, **meta)

    def get(self, policy_id: str) -> Policy:
        """The policy with this id; a PolicyError listing close ids otherwise."""
        try:
            return self._policies[policy_id]
        except KeyError:
            close = [p for p in self._policies if p.split(".")[0] == policy_id.split(".")[0]]
            hint = f" (known in that group: {', '.join(sorted(close))})" if close else ""
            raise PolicyError(f"unknown policy {policy_id!r}{hint}") from None

    def __contains__(self, policy_id: object) -> bool:
        return policy_id in self._policies

    def __iter__(self) -> Iterator[Policy]:
        return iter(sorted(self._policies.values(), key=lambda p: p.id))

    def __len__(self) -> int:
        return len(self._policies)

    @property
    def ids(self) -> list[str]:
        """Every policy id, sorted."""
        return sorted(self._policies)

    def matching(self, pattern: str) -> list[Policy]:
        """Policies whose id matches a glob (``network.*``)."""
        return [p for p in self if fnmatch.fnmatchcase(p.id, pattern)]


def _same_code(a: Policy, b: Policy) -> bool:
    fa, fb = a.check, b.check
    return (getattr(fa, "__module__", None), getattr(fa, "__qualname__", None)) == (
        getattr(fb, "__module__", None), getattr(fb, "__qualname__", None))


_DEFAULT: Registry | None = None
_ACTIVE: ContextVar[Registry | None] = ContextVar("harness_policy_registry", default=None)
_ORIGIN: ContextVar[str] = ContextVar("harness_policy_origin", default="builtin")


def default_registry() -> Registry:
    """The process-wide registry, with the built-in packs loaded."""
    global _DEFAULT
    if _DEFAULT is None:
        registry = Registry()
        with use_registry(registry):
            import harness.policy.packs as packs

            packs.load()
        _DEFAULT = registry
    return _DEFAULT


def active_registry() -> Registry:
    """Where ``@policy`` registers now: the one set by ``use_registry``, else the default."""
    active = _ACTIVE.get()
    return active if active is not None else default_registry()


@contextlib.contextmanager
def use_registry(registry: Registry) -> Iterator[Registry]:
    """Make ``@policy`` register into ``registry`` inside the block (tests, user policy loading)."""
    token = _ACTIVE.set(registry)
    try:
        yield registry
    finally:
        _ACTIVE.reset(token)


def _params(raw: Mapping[str, Any] | None) -> dict[str, Param]:
    out: dict[str, Param] = {}
    for name, value in (raw or {}).items():
        out[name] = value if isinstance(value, Param) else Param(value)
    return out


def policy(
    id: str,
    *,
    title: str,
    severity: str | Severity,
    controls: Iterable[str] = (),
    rationale: str | None = None,
    params: Mapping[str, Any] | None = None,
    resource_types: Iterable[str] = (),
    applies_to: Iterable[str] = (),
) -> Callable[[F], F]:
    """Register the decorated function as a policy; the function is returned unchanged.

    With ``resource_types`` the function is ``check(resource, plan, ctx)`` and runs once per
    managed resource of those types; without, it is ``check(plan, ctx)``. ``applies_to``
    (default: ``resource_types``) names the types without which the policy is "not
    applicable" rather than passed (none: any managed resource). It yields
    ``Violation``s (``violation(...)``/``undetermined(...)``) or raises ``Undetermined``.
    ``params`` maps names to defaults (or ``Param(default, description)``); the rationale
    defaults to the function's docstring.
    """
    if not _ID.match(id):
        raise PolicyError(f"policy id {id!r} must be dotted lower-case words, e.g. 'network.no-public-ingress'")
    sev = Severity.parse(severity)
    control_ids = tuple(controls)
    for control in control_ids:
        if not _CONTROL.match(control):
            raise PolicyError(f"policy {id}: control id {control!r} must look like "
                              "'CIS-5.2', 'NIST-AC-6', 'FSBP-EC2.19'")
    registry = active_registry()

    def decorate(fn: F) -> F:
        doc = inspect.getdoc(fn) or ""
        item = Policy(id=id, title=title, severity=sev, check=fn, rationale=rationale or doc,
                      controls=control_ids, params=_params(params), resource_types=tuple(resource_types),
                      origin=_ORIGIN.get(), applies_to=tuple(applies_to))
        registry.register(item)
        fn.__dict__["__policy__"] = item
        return fn

    return decorate


def catalog(registry: Registry | None = None) -> list[Policy]:
    """Every registered policy, sorted by id."""
    return list(registry if registry is not None else default_registry())


def _import_file(path: Path, registry: Registry) -> None:
    digest = hashlib.sha256(str(path.parent).encode()).hexdigest()[:10]
    name = f"_harness_user_policies_{digest}.{path.stem}"
    package = name.rsplit(".", 1)[0]
    if package not in sys.modules:
        spec_pkg = importlib.util.spec_from_loader(package, loader=None, is_package=True)
        assert spec_pkg is not None
        module_pkg = importlib.util.module_from_spec(spec_pkg)
        module_pkg.__path__ = [str(path.parent)]
        sys.modules[package] = module_pkg
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise PolicyError("cannot import policy file", file=path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except PolicyError as exc:
        sys.modules.pop(name, None)
        raise PolicyError(exc.message, file=exc.file or path, line=exc.line) from None
    except SyntaxError as exc:
        sys.modules.pop(name, None)
        raise PolicyError(f"syntax error: {exc.msg}", file=path, line=exc.lineno) from None
    except Exception as exc:  # noqa: BLE001 -- any error in user code becomes one clear message
        sys.modules.pop(name, None)
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) == path]
        line = frames[-1].lineno if frames else None
        raise PolicyError(f"importing the policy file failed: {type(exc).__name__}: {exc}", file=path,
                          line=line) from None


def load_user_policies(repo_root: str | Path, *, registry: Registry | None = None,
                       entry_points: bool = True) -> list[Policy]:
    """Import ``<repo_root>/policies/*.py`` and the ``atmos_harness.policies`` entry points.

    Files whose name starts with ``_`` are helpers and are not imported by the loader
    (policy files import them as siblings: ``from ._common import x``). Each file is imported
    once per registry. An entry point may name a module (importing it registers its
    policies) or a callable taking the registry. Returns the policies that were added.
    """
    target = registry if registry is not None else default_registry()
    before = set(target.ids)
    folder = Path(repo_root) / USER_POLICY_DIR
    if folder.is_dir():
        for path in sorted(folder.glob("*.py")):
            resolved = path.resolve()
            if path.name.startswith("_") or resolved in target._loaded_files:
                continue
            origin = f"{USER_POLICY_DIR}/{path.name}"
            token = _ORIGIN.set(origin)
            try:
                with use_registry(target):
                    _import_file(resolved, target)
            finally:
                _ORIGIN.reset(token)
            target._loaded_files.add(resolved)
    if entry_points:
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            token = _ORIGIN.set(f"entry point {ep.name} ({ep.value})")
            try:
                with use_registry(target):
                    try:
                        cached = ep.attr is None and ep.module in sys.modules
                        loaded = ep.load()
                        if cached:
                            # imported before (another registry): run its decorators again for this one
                            loaded = importlib.reload(loaded)
                    except Exception as exc:  # noqa: BLE001 -- a broken plugin is reported, not raised raw
                        raise PolicyError(f"entry point {ep.name} = {ep.value} failed to load: "
                                          f"{type(exc).__name__}: {exc}") from None
                    if callable(loaded) and not hasattr(loaded, "__policy__") and not inspect.isclass(loaded):
                        loaded(target)
            finally:
                _ORIGIN.reset(token)
    return [target.get(pid) for pid in target.ids if pid not in before]
