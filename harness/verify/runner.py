"""Run the validators of selected instances through one read-only access (emulator or ``--live``)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.deploy.inputs import has_refs, resolve_inputs
from harness.errors import HarnessError
from harness.terraform import load_module
from harness.verify.access import LivePolicy, ReadOnlyAccess, expected_account
from harness.verify.components import NOTHING_DEPLOYED, VALIDATORS, Validator
from harness.verify.context import Checker, Undetermined, Unresolved
from harness.verify.model import CheckResult, InstanceReport, Status
from harness.verify.outputs import OutputsReader

if TYPE_CHECKING:
    from harness.atmos import Instance, Resolver
    from harness.aws.emulator import Emulator

LIVE_SETTLE = 10.0  # seconds a live check keeps re-reading before it reports drift


class Verifier:
    """Validates instances: inputs from the stack (component defaults applied), outputs, read-only clients."""

    def __init__(self, resolver: Resolver, access: ReadOnlyAccess, *, outputs_dir: Path | None = None,
                 from_state: bool = True, settle: float | None = None, interval: float = 1.0,
                 role_name: str | None = None, validators: Mapping[str, Validator] | None = None) -> None:
        self.resolver = resolver
        self.access = access
        self.outputs = OutputsReader(outputs_dir=outputs_dir, access=access, from_state=from_state)
        self.settle = settle if settle is not None else (LIVE_SETTLE if access.live else 0.0)
        self.interval = interval
        self.role_name = role_name
        self.validators = dict(validators if validators is not None else VALIDATORS)
        self._defaults: dict[Path, dict[str, Any]] = {}

    def defaults(self, instance: Instance) -> dict[str, Any]:
        """The component's ``variables.tf`` defaults (parsed once per component folder)."""
        if instance.component_path not in self._defaults:
            self._defaults[instance.component_path] = {
                name: var.default for name, var in load_module(instance.component_path).variables.items()
                if var.has_default}
        return self._defaults[instance.component_path]

    def inputs(self, instance: Instance) -> dict[str, Any]:
        """The component's variable defaults overlaid with the stack's vars; references resolved from the
        producers' outputs where known, else left as ``Unresolved`` (checks on them are undetermined)."""
        merged = {**self.defaults(instance), **instance.vars}

        def read(producer: Instance) -> dict[str, Any] | None:
            return self.outputs.read(producer).values

        resolved: dict[str, Any] = {}
        for name, value in merged.items():
            if not has_refs(value):
                resolved[name] = value
                continue
            try:
                resolved[name] = resolve_inputs(instance, self.resolver, read, variables={name: value})[name]
            except HarnessError as exc:
                resolved[name] = Unresolved(str(value), f"its producer's outputs are not available ({exc.message})")
        return resolved

    def verify(self, instance: Instance) -> InstanceReport:
        """All checks of one instance (an instance without a validator gets a note and no checks)."""
        account = expected_account(instance)
        if instance.folder in NOTHING_DEPLOYED:
            return InstanceReport(instance.stack, instance.component, account, "-",
                                  note=f"nothing to validate: {NOTHING_DEPLOYED[instance.folder]}")
        validator = self.validators.get(instance.folder)
        if validator is None:
            return InstanceReport(instance.stack, instance.component, account, "-",
                                  note=f"no validator for component folder '{instance.folder}'")
        entered = self.access.for_instance(instance, role_name=self.role_name)
        outputs = self.outputs.read(instance)
        checker = Checker(instance, self.inputs(instance), outputs, entered, settle=self.settle,
                          interval=self.interval, resolver=self.resolver, outputs_reader=self.outputs)
        try:
            validator(checker)
        except Undetermined as exc:
            prefix = instance.folder.replace("-", "_")
            checker.results.append(CheckResult(f"{prefix}.inputs", Status.UNDETERMINED, None, None, str(exc)))
        return InstanceReport(instance.stack, instance.component, entered.account_id, outputs.source,
                              checker.results)

    def verify_all(self, instances: Iterable[Instance]) -> list[InstanceReport]:
        return [self.verify(i) for i in instances]


def select_instances(resolver: Resolver, stacks: Iterable[str], components: Iterable[str] = ()) -> list[Instance]:
    """Deployable instances of the given stacks (names or globs), optionally only some components
    (Atmos name or Terraform folder)."""
    globs = [s for s in stacks if s]
    wanted = {c for c in components if c}
    known = {i.stack for i in resolver.instances()}
    missing = [g for g in globs if not any(fnmatch.fnmatchcase(s, g) for s in known)]
    if missing:
        raise HarnessError(f"no stack matches {', '.join(missing)} (stacks: {', '.join(sorted(known))})")
    chosen = []
    for inst in resolver.instances():
        if not inst.deployable or not any(fnmatch.fnmatchcase(inst.stack, g) for g in globs):
            continue
        if wanted and inst.component not in wanted and inst.folder not in wanted:
            continue
        chosen.append(inst)
    if wanted and not chosen:
        raise HarnessError(f"no instance of {', '.join(sorted(wanted))} in {', '.join(globs)}")
    return sorted(chosen, key=lambda i: (i.stack, i.component))


def make_access(instances: list[Instance], *, emulator: Emulator | str | None = None, live: bool = False,
                allow_accounts: Iterable[str] = (), profile: str | None = None) -> ReadOnlyAccess:
    """The read-only access for a run; live mode checks the allow-list here, before any AWS call."""
    if live:
        if emulator is not None:
            raise HarnessError("--live reads real AWS accounts; it cannot be combined with --emulator")
        policy = LivePolicy.of(list(allow_accounts))
        policy.gate([i for i in instances if i.folder not in NOTHING_DEPLOYED])
        return ReadOnlyAccess.for_aws(policy, profile=profile)
    if emulator is None:
        raise HarnessError("choose where to verify: --emulator URL (an AWS emulator) or --live --allow-account ID")
    if isinstance(emulator, str) and not emulator.startswith(("http://", "https://")):
        raise HarnessError(f"--emulator needs the URL of a running emulator (http://...), got '{emulator}'")
    return ReadOnlyAccess.for_emulator(emulator)


def verify_stacks(resolver: Resolver, stacks: Iterable[str], components: Iterable[str] = (), *,
                  emulator: Emulator | str | None = None, live: bool = False, allow_accounts: Iterable[str] = (),
                  outputs_dir: Path | None = None, from_state: bool = True, settle: float | None = None,
                  role_name: str | None = None, profile: str | None = None) -> list[InstanceReport]:
    """Validate every deployable instance of ``stacks``; what ``harness verify`` runs."""
    instances = select_instances(resolver, list(stacks), list(components))
    access = make_access(instances, emulator=emulator, live=live, allow_accounts=allow_accounts, profile=profile)
    verifier = Verifier(resolver, access, outputs_dir=outputs_dir, from_state=from_state, settle=settle,
                        role_name=role_name)
    return verifier.verify_all(instances)
