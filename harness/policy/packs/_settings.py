"""Reading one resource's settings, nested blocks and flags the way the service, workload, edge and
data-service packs agree on: unset is "not configured", known only after apply is undetermined, except a
value that names a resource (plan JSON names a nested unknown after itself)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.plan import Resource, Undetermined, Unknown
from harness.policy.helpers import computed_unset, first_block, is_blank, is_true, parse_ref


def setting(resource: Resource, path: str) -> Any:
    """The configured value at ``path``: None when unset (or computed and unset), Undetermined when unknown."""
    if computed_unset(resource, path):
        return None
    value = resource.get(path, None)
    if isinstance(value, Unknown):
        raise Undetermined(value.reason, address=resource.address, path=path, ref=value.ref)
    return value


def key_set(resource: Resource, path: str) -> bool:
    """Is a key (or any value) configured at ``path``? A reference to a resource (``aws_kms_key.k.arn``) is one
    even though its value is known only after apply; an unknown from a variable may be null: undetermined."""
    if computed_unset(resource, path):
        return False
    value = resource.get(path, None)
    if isinstance(value, Unknown):
        if parse_ref(value.ref) is not None:
            return True
        raise Undetermined(value.reason, address=resource.address, path=path, ref=value.ref)
    return not is_blank(value)


def configured_block(resource: Resource, path: str) -> Mapping[str, Any] | None:
    """The first ``path`` block, None when not configured; Undetermined when the block list is unknown."""
    return None if computed_unset(resource, path) else first_block(resource, path)


def flag(resource: Resource, path: str, default: bool = False) -> bool:
    """A boolean setting, ``default`` when unset; Undetermined when unknown."""
    value = setting(resource, path)
    return default if value is None else is_true(value)


def required_set(resource: Resource, path: str) -> bool:
    """Is a required argument of a configured block set? Known after apply counts when it names a resource (plan
    JSON names a nested unknown after itself); an unknown from a variable or local may be null: undetermined."""
    value = resource.get(path, None)
    if isinstance(value, Unknown):
        if parse_ref(value.ref) is not None:
            return True
        raise Undetermined(value.reason, address=resource.address, path=path, ref=value.ref)
    return not is_blank(value) and value != []
