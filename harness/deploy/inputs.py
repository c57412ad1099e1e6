"""Instance inputs with ``!terraform.output``/``!terraform.state`` replaced by the producer's real outputs.

The values come from the producer's state object in its backend (``<workspace_key_prefix>/<workspace>/<key>``),
read with a session in the backend's account; nothing is guessed, and a missing state or output is
a clear error naming the consumer, the producer and what is there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from harness.atmos.functions import TerraformRef, output_value, parse_terraform_ref, split_function
from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.atmos import Instance, Resolver

OutputReader = Callable[["Instance"], Mapping[str, Any] | None]
#: Evaluate an Atmos output expression on a producer's outputs (shared with ``--use-mocks``).
pick = output_value


def as_ref(value: Any) -> TerraformRef | None:
    """The reference a value stands for, if it is a ``!terraform.output``/``!terraform.state`` call."""
    if isinstance(value, TerraformRef):
        return value
    if isinstance(value, str):
        call = split_function(value)
        if call and call[0] in ("!terraform.output", "!terraform.state"):
            return parse_terraform_ref(call[0], call[1])
    return None


def resolve_inputs(instance: Instance, resolver: Resolver, read_outputs: OutputReader,
                   variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``instance.vars`` (or ``variables``) with every terraform reference replaced by the producer's value."""
    cache: dict[str, Mapping[str, Any]] = {}

    def outputs_of(ref: TerraformRef) -> Mapping[str, Any]:
        stack = ref.ref_stack or instance.stack
        key = f"{stack}/{ref.ref_component}"
        if key not in cache:
            try:
                producer = resolver.instance(ref.ref_component, stack)
            except HarnessError as exc:
                raise HarnessError(f"{instance.id}: {ref} names an instance that does not resolve: {exc}") from None
            found = read_outputs(producer)
            if found is None:
                raise HarnessError(f"{instance.id}: {ref}: {producer.id} has no state yet (deploy it first, or "
                                   "deploy with with_dependencies=True)", file=instance.stack_file_path)
            cache[key] = found
        return cache[key]

    def walk(value: Any, path: str) -> Any:
        ref = as_ref(value)
        if ref is not None:
            return pick(outputs_of(ref), ref.expression, where=f"{instance.id} vars.{path} ({ref})")
        if isinstance(value, Mapping):
            return {k: walk(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, f"{path}[{i}]") for i, v in enumerate(value)]
        return value

    source = instance.vars if variables is None else dict(variables)
    return {k: walk(v, str(k)) for k, v in source.items()}


def has_refs(value: Any) -> bool:
    """Does a value tree contain terraform references?"""
    if as_ref(value) is not None:
        return True
    if isinstance(value, Mapping):
        return any(has_refs(v) for v in value.values())
    if isinstance(value, list):
        return any(has_refs(v) for v in value)
    return False
