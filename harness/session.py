"""One test or CLI session over an Atmos repository: resolver, instance selection, engine, plan cache.

The pytest plugin and the CLI are thin shells over this class, so everything they do is available
from plain Python too.
"""

from __future__ import annotations

import contextlib
import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from harness.atmos import Instance, Resolver, load_config
from harness.atmos.functions import is_deferred
from harness.contracts import ContractFinding
from harness.engines import Engine, PlanCache, PlanRequest, cache_key, make_engine
from harness.errors import HarnessError
from harness.inputs import Need, needs_of, resolve_inputs
from harness.masking import configure_from as configure_masking
from harness.plan import AttributeRead, Plan
from harness.policy import Evaluation, PolicyResult, evaluate_all, evaluate_instance, load_user_policies
from harness.terraform import ModuleConfig, load_module

#: Attributes a failure's harness section traces back to the manifests, at most.
ATTRIBUTES_SHOWN = 10


@dataclass(frozen=True)
class SessionOptions:
    """What the user chose on the command line."""

    base_path: Path | None = None
    start: Path | None = None
    #: Where else to look for atmos.yaml (upward) when none is found from ``start``.
    also_start: tuple[Path, ...] = ()
    stacks: str | None = None
    components: str | None = None
    engine: str = "auto"
    plans_dir: Path | None = None
    terraform: str | None = None
    allow_exec: bool = False
    cache: str | None = None
    #: The failure threshold from the command line (None: ``settings.harness.fail_on``, see harness.thresholds).
    fail_on: str | None = None
    #: Atmos ``--use-mocks``: ``!terraform.output``/``!terraform.state`` read the producer's ``mocks`` section
    #: instead of waiting for its plan (a consumer tested without its producer's real outputs).
    use_mocks: bool = False


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


class HarnessSession:
    """Lazily resolves the repository; nothing is read until a test or command asks for it."""

    def __init__(self, options: SessionOptions) -> None:
        self.options = options
        self.used = False
        self._plan_groups: dict[str, str] | None = None
        self._group_members: dict[str, list[Instance]] | None = None

    @cached_property
    def resolver(self) -> Resolver:
        self.used = True
        base = self.options.base_path
        if base is None and self.options.start is not None:
            from harness.atmos.config import find_config

            found = next((c for c in map(find_config, (self.options.start, *self.options.also_start))
                          if c is not None), None)
            base = found.parent if found is not None else self.options.start
        config = load_config(base, allow_exec=self.options.allow_exec or None)
        configure_masking(config)  # atmos.yaml's settings.terminal.mask apply to everything this run prints
        return Resolver(config, use_mocks=self.options.use_mocks)

    @cached_property
    def selected(self) -> list[Instance]:
        """Deployable instances matching --stacks and --components."""
        globs = _split(self.options.stacks)
        wanted = set(_split(self.options.components))
        result = []
        for inst in self.resolver.instances():
            if not inst.deployable:
                continue
            if globs and not any(fnmatch.fnmatchcase(inst.stack, g) for g in globs):
                continue
            if wanted and inst.component not in wanted and inst.folder not in wanted:
                continue
            result.append(inst)
        return result

    def instances_of(self, component: str) -> list[Instance]:
        """Selected instances of a component, by Atmos name or Terraform folder (``*``: every one)."""
        return [i for i in self.selected if component == "*" or component in (i.component, i.folder)]

    @cached_property
    def fail_on(self) -> str:
        """The one failure threshold of the run (flag, else ``settings.harness.fail_on``, else the default)."""
        from harness.thresholds import fail_on

        return fail_on(self.resolver.config.get("settings"), self.selected, override=self.options.fail_on)

    @cached_property
    def contract_findings(self) -> dict[str, list[ContractFinding]]:
        """Contract errors and warnings of every selected instance, by instance id (checked once)."""
        from harness.contracts import check_contracts

        found: dict[str, list[ContractFinding]] = {i.id: [] for i in self.selected}
        for finding in check_contracts(self.resolver, self.selected):
            found.setdefault(f"{finding.stack}/{finding.component}", []).append(finding)
        return found

    def contract_errors(self, instance: Instance) -> list[ContractFinding]:
        """What Terraform would reject in the instance's inputs (missing, mistyped or invalid vars); broken
        dependency contracts fail the contract item, not the plan."""
        from harness.thresholds import INPUT_CHECKS

        return [f for f in self.contract_findings.get(instance.id, []) if f.blocking and f.check in INPUT_CHECKS]

    def policies(self, instance: Instance, plan: Plan) -> PolicyResult:
        """The policy evaluation of one instance (the repository's own policies loaded once)."""
        if not self.__dict__.get("_user_policies_loaded"):
            load_user_policies(self.resolver.config.base_path)
            self.__dict__["_user_policies_loaded"] = True
        return evaluate_instance(plan, instance)

    @cached_property
    def evaluation(self) -> Evaluation:
        """Every engine over every selected instance that plans, at once (what ``harness check`` runs): built-in
        and repository policies, checkov when installed, organization policies across instances."""
        if not self.__dict__.get("_user_policies_loaded"):
            load_user_policies(self.resolver.config.base_path)
            self.__dict__["_user_policies_loaded"] = True
        planned = []
        for inst in self.selected:
            if self.contract_errors(inst):
                continue  # not planned: the policy item reports the contract errors
            try:
                planned.append((inst, self.plan(inst)))
            except HarnessError:
                continue  # the policy item reports why it cannot be planned
        return evaluate_all(planned)

    def policy_result(self, instance: Instance, plan: Plan) -> PolicyResult:
        """The instance's result within ``evaluation`` (its checkov and organization findings included; a
        checkov failure is an error of every instance, as in ``harness check``); ``policies`` for an instance
        outside it."""
        evaluation = self.evaluation
        mine = [r for r in evaluation.results if (r.stack, r.component) == (instance.stack, instance.component)]
        if not mine:
            return self.policies(instance, plan)
        result = mine[0]
        shared = [e for r in evaluation.results if r.stack == "(all)" for e in r.errors]
        result.errors += [e for e in shared if e not in result.errors]
        return result

    def instance(self, instance_id: str) -> Instance:
        stack, _, component = instance_id.partition("/")
        return self.resolver.instance(component, stack)

    def header(self) -> str:
        stacks = {i.stack for i in self.selected}
        engine, reason = self.engine
        binary = getattr(engine, "binary", None)
        used = f" binary={binary}" if binary else ""
        return (f"harness: engine={engine.name} ({reason}){used} base={self.resolver.config.base_path} "
                f"stacks={len(stacks)} instances={len(self.selected)}")

    @cached_property
    def engine(self) -> tuple[Engine, str]:
        """The engine and why it was chosen (``auto`` explains its pick)."""
        name = self.options.engine
        if name == "auto" and self.options.plans_dir is not None:
            name = "recorded"
        dirs = sorted({i.component_path for i in self.selected})
        return make_engine(name, plans_dir=self.options.plans_dir, binary=self.options.terraform,
                           component_dirs=dirs)

    @cached_property
    def cache(self) -> PlanCache | None:
        if (self.options.cache or "").lower() == "off":
            return None
        if self.options.cache:
            return PlanCache(directory=self.options.cache)
        return PlanCache(self.resolver.config.base_path)

    def close(self) -> None:
        """Stop engine workers (tfparse child, temporary copies)."""
        if "engine" in self.__dict__:
            close = getattr(self.engine[0], "close", None)
            if callable(close):
                close()

    def describe_for_failure(self, instance_id: str) -> str:
        """Where an instance's values came from: the stack manifest and its import chain."""
        inst = self.instance(instance_id)
        cfg = self.resolver.config
        lines = [
            f"instance: {inst.id} (Terraform folder {cfg.relative(inst.component_path)})",
            f"stack manifest: {cfg.relative(inst.stack_file_path)}",
        ]
        if inst.imports:
            lines.append("imports (lowest precedence first in each chain): " + ", ".join(inst.imports))
        entry = self.resolver.find(inst.component, inst.stack)
        deps, _ = self.resolver.provenance_files(entry)
        if deps:
            lines.append("values set by: " + ", ".join(deps))
        return "\n".join(lines)

    def attribute_provenance(self, instance_id: str, reads: Sequence[AttributeRead], plan: Plan | None = None,
                             *, limit: int = ATTRIBUTES_SHOWN) -> list[str]:
        """For each attribute a failing test read (see ``harness.plan.record_reads``), the stack vars its
        ``.tf`` expression reads and the manifest file:line that set each one, with what it overrode: the
        line to change when the assertion is right and the stack is wrong. A var Terraform declares
        ``sensitive`` (or that the plan hides) shows as ``(sensitive value)``."""
        from harness.atmos.provenance import attribute_sources
        from harness.plan.model import base_address

        inst = self.instance(instance_id)
        grouped: dict[tuple[str, str], list[str]] = {}
        for read in reads:
            addresses = grouped.setdefault((base_address(read.address), read.path), [])
            if read.address not in addresses:
                addresses.append(read.address)
        if not grouped:
            return []
        sensitive: set[str] = set(plan.variable_sensitive) if plan is not None else set()
        with contextlib.suppress(HarnessError):
            sensitive |= {name for name, var in self.component(inst).variables.items() if var.sensitive}
        shown = list(grouped.items())[:limit]
        attributes = [(addresses[0], path) for (_, path), addresses in shown]
        found = attribute_sources(self.resolver, inst.component, inst.stack, attributes, sensitive=sensitive)
        lines: list[str] = []
        for ((base, path), addresses), (_, _, sources) in zip(shown, found, strict=True):
            what = addresses[0] if len(addresses) == 1 else f"{base} ({len(addresses)} instances)"
            if not sources:
                lines.append(f"attribute {what} {path}: no stack var feeds it (no var. in its .tf expression)")
                continue
            lines.append(f"attribute {what} {path}: fed by")
            lines.extend(f"  {source}" for source in sources)
        if len(grouped) > limit:
            lines.append(f"({len(grouped) - limit} more attribute(s) read, not shown)")
        return lines

    def needs(self, instance: Instance) -> list[Need]:
        """The instance's inputs from other components (cached)."""
        found = self.__dict__.setdefault("_needs", {})
        if instance.id not in found:
            found[instance.id] = needs_of(self.resolver, instance)
        result: list[Need] = found[instance.id]
        return result

    def request(self, instance: Instance) -> PlanRequest:
        """What the engines need of an instance: inputs from other components taken from the producers' plans
        where known; those known only after apply are passed as unknown, with the reason."""
        unknown: dict[str, str] = {}
        needs = self.needs(instance)
        if needs:
            resolved, unknown = resolve_inputs(instance, needs, self.plan)
        else:
            resolved = dict(instance.vars)
        variables = {k: v for k, v in resolved.items() if not is_deferred(v)}
        return PlanRequest(
            stack=instance.stack,
            component=instance.component,
            component_dir=instance.component_path,
            variables=variables,
            region=_str(instance.vars.get("region")),
            account_id=account_id(instance),
            workspace=instance.workspace or "default",
            unknown_inputs=unknown,
        )

    def plan(self, instance: Instance) -> Plan:
        """The instance's plan; the first call for an instance plans its group (see ``plan_groups``)."""
        results = self.__dict__.setdefault("_plans", {})
        if instance.id not in results:
            planning: set[str] = self.__dict__.setdefault("_planning", set())
            if instance.id in planning:
                raise HarnessError(f"{instance.id}: its inputs depend on its own outputs (a dependency cycle)")
            batch = [instance] + [i for i in self._group_of(instance) if i.id not in results and i.id != instance.id]
            planning.update(i.id for i in batch)
            try:
                self._plan_in_order(batch, results)
            finally:
                planning.difference_update(i.id for i in batch)
        result = results[instance.id]
        if isinstance(result, Exception):
            raise result
        plan: Plan = result
        return plan

    @property
    def plan_groups(self) -> dict[str, str] | None:
        """Instance id -> plan group: the first request for an instance plans its whole group in one batch
        (tfparse evaluates while the harness prepares the next jobs). None: one group of every selected
        instance. The pytest plugin groups the instances a run keeps, and on an xdist worker the instances
        whose tests run together on one worker."""
        return self._plan_groups

    @plan_groups.setter
    def plan_groups(self, groups: dict[str, str] | None) -> None:
        self._plan_groups = groups
        self._group_members = None

    def _group_of(self, instance: Instance) -> list[Instance]:
        groups = self._plan_groups
        if groups is None:
            return self.selected
        group = groups.get(instance.id)
        if group is None:
            return [instance]
        if self._group_members is None:
            members: dict[str, list[Instance]] = {}
            for inst in self.selected:
                key = groups.get(inst.id)
                if key is not None:
                    members.setdefault(key, []).append(inst)
            self._group_members = members
        return self._group_members.get(group, [instance])

    def _plan_in_order(self, instances: list[Instance], results: dict[str, Plan | Exception]) -> None:
        """Producers before the instances that read their outputs: each round plans what has every producer
        planned; producers outside the batch are planned first, on their own."""
        pending = list(instances)
        while pending:
            ids = {i.id for i in pending}

            def ready(inst: Instance) -> bool:
                return all(n.producer is None or n.producer.id in results or n.producer.id == inst.id
                           for n in self.needs(inst))

            now = [i for i in pending if ready(i)]
            if not now:
                outside = {n.producer.id: n.producer for i in pending for n in self.needs(i)
                           if n.producer is not None and n.producer.id not in results and n.producer.id not in ids}
                if outside:
                    pending = list(outside.values()) + pending
                    continue
                now = pending  # a cycle: the references left are reported as such
            results.update(self._plan_batch(now))
            pending = [i for i in pending if i.id not in results]

    def _plan_batch(self, instances: list[Instance]) -> dict[str, Plan | Exception]:
        engine, _ = self.engine
        version = getattr(engine, "version", None)
        out: dict[str, Plan | Exception] = {}
        todo: list[tuple[Instance, PlanRequest, str]] = []
        digests: dict[tuple[Path, str], bytes] = {}
        for inst in instances:
            req = self.request(inst)
            key = cache_key(req, engine.name, version, digests) if self.cache is not None else ""
            cached = self.cache.get(key) if self.cache is not None else None
            if cached is not None:
                self.cache.hits += 1  # type: ignore[union-attr]
                out[inst.id] = cached
            else:
                todo.append((inst, req, key))
        if not todo:
            return out
        plan_many = getattr(engine, "plan_many", None)
        if callable(plan_many):
            results: list[Plan | Exception] = list(plan_many([r for _, r, _ in todo]))
        else:
            results = []
            for _, req, _ in todo:
                try:
                    results.append(engine.plan(req))
                except HarnessError as exc:
                    results.append(exc)
        for (inst, _, key), result in zip(todo, results, strict=True):
            out[inst.id] = result
            if self.cache is not None and isinstance(result, Plan):
                self.cache.misses += 1
                self.cache.put(key, result)
        return out

    def component(self, instance: Instance) -> ModuleConfig:
        """The component's Terraform configuration (variables, outputs, resources, providers)."""
        return load_module(instance.component_path)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def account_id(instance: Instance) -> str | None:
    """The instance's AWS account id from the usual places (vars.account_id, settings.account.id, ...)."""
    settings = instance.settings
    candidates = [
        instance.vars.get("account_id"),
        settings.get("account_id"),
        (settings.get("account") or {}).get("id") if isinstance(settings.get("account"), dict) else None,
        (settings.get("aws") or {}).get("account_id") if isinstance(settings.get("aws"), dict) else None,
    ]
    for value in candidates:
        if isinstance(value, (str, int)) and str(value).isdigit() and len(str(value)) == 12:
            return str(value)
    return None
