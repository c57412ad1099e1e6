"""Deploy order from ``settings.depends_on``, ``dependencies.components`` and ``!terraform.output`` references.

Producers come before consumers (a stable topological order: ties keep the order asked for);
teardown runs the same order backwards. A cycle is an error that names the whole cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.atmos import Instance, Resolver


class DependencyCycle(HarnessError):
    """Instances depend on each other in a loop; ``cycle`` lists the instance ids, first repeated last."""

    def __init__(self, cycle: list[str]) -> None:
        super().__init__("dependency cycle: " + " -> ".join(cycle))
        self.cycle = cycle


def dependency_ids(instance: Instance) -> list[str]:
    """The ids (``stack/component``) of the instances ``instance`` depends on, in declaration order."""
    return list(dict.fromkeys(f"{d.stack or instance.stack}/{d.component}" for d in instance.dependencies))


def closure(instances: Sequence[Instance], resolver: Resolver) -> list[Instance]:
    """``instances`` plus everything they transitively depend on (dependencies first found, appended)."""
    found: dict[str, Instance] = {i.id: i for i in instances}
    queue = list(instances)
    while queue:
        current = queue.pop(0)
        for dep in current.dependencies:
            stack = dep.stack or current.stack
            key = f"{stack}/{dep.component}"
            if key in found:
                continue
            try:
                producer = resolver.instance(dep.component, stack)
            except HarnessError as exc:
                raise HarnessError(f"{current.id} depends on {key}, which does not resolve: {exc.message}",
                                   file=current.stack_file_path) from None
            if not producer.deployable:
                raise HarnessError(f"{current.id} depends on {key}, which is abstract or disabled",
                                   file=current.stack_file_path)
            found[key] = producer
            queue.append(producer)
    return list(found.values())


def deploy_order(instances: Sequence[Instance], resolver: Resolver | None = None, *,
                 with_dependencies: bool = False) -> list[Instance]:
    """Producers first. Dependencies outside the set are ignored unless ``with_dependencies`` pulls them in."""
    if with_dependencies:
        if resolver is None:
            raise HarnessError("with_dependencies=True needs a resolver")
        instances = closure(instances, resolver)
    by_id: dict[str, Instance] = {}
    for instance in instances:
        by_id.setdefault(instance.id, instance)
    order: list[Instance] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(key: str) -> None:
        mark = state.get(key)
        if mark == 2:
            return
        if mark == 1:
            start = path.index(key)
            raise DependencyCycle([*path[start:], key])
        state[key] = 1
        path.append(key)
        for dep in dependency_ids(by_id[key]):
            if dep in by_id:
                visit(dep)
        path.pop()
        state[key] = 2
        order.append(by_id[key])

    for key in by_id:
        visit(key)
    return order


def teardown_order(instances: Sequence[Instance], resolver: Resolver | None = None) -> list[Instance]:
    """Consumers first: the deploy order reversed."""
    return list(reversed(deploy_order(instances, resolver)))
