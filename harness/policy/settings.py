"""Per-stack policy selection and parameters, read from ``settings.harness.policies`` of an instance.

Schema (every key optional)::

    settings:
      harness:
        policies:
          enabled: ["network.*", "iam.*"]      # globs; default: every policy
          disabled: ["iam.no-inline-policies"] # globs, applied after enabled
          severity_threshold: medium           # policies below this severity are not run
          params:
            network.no-public-admin-ports: {ports: [22, 3389, 5985]}
          checkov: true                        # false: no checkov findings for this instance
          # checkov's checks are named checkov.<ID> in enabled/disabled: ["checkov.CKV2_AWS_5"]

Settings are merged by Atmos like any other (org defaults, then stage mixins, then the
stack), so an org can set a baseline that one stack narrows. Mistakes (unknown keys,
unknown policy ids, unknown parameter names, a glob matching nothing) are errors: a typo
must not silently switch a security check off.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.policy.checkov_catalog import ID_GLOB
from harness.policy.checkov_catalog import PREFIX as CHECKOV_PREFIX
from harness.policy.model import Policy, PolicyError, Severity
from harness.policy.organization import BY_ID as ORG_POLICIES
from harness.policy.registry import Registry

KEYS = ("enabled", "disabled", "severity_threshold", "params", "checkov")


@dataclass(frozen=True)
class PolicySettings:
    """The parsed ``settings.harness.policies`` of one instance."""

    enabled: tuple[str, ...] | None = None
    disabled: tuple[str, ...] = ()
    severity_threshold: Severity = Severity.INFO
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    checkov: bool = True

    def selects(self, item: Policy) -> str | None:
        """None when the policy runs, else why it does not."""
        return self.selects_id(item.id, item.severity)

    def selects_id(self, policy_id: str, severity: Severity) -> str | None:
        """``selects`` by id and severity (checkov checks and organization policies are not registered)."""
        if policy_id.startswith(CHECKOV_PREFIX) and not self.checkov:
            return "checkov switched off"
        if self.enabled is not None and not any(fnmatch.fnmatchcase(policy_id, g) for g in self.enabled):
            return "not enabled"
        if any(fnmatch.fnmatchcase(policy_id, g) for g in self.disabled):
            return "disabled"
        if severity < self.severity_threshold:
            return f"severity {severity} below threshold {self.severity_threshold}"
        return None

    def params_for(self, item: Policy) -> dict[str, Any]:
        """The policy's defaults overlaid with this stack's params for it."""
        return {**item.defaults, **dict(self.params.get(item.id, {}))}


def matches_any_policy(glob: str, registry: Registry) -> bool:
    """A glob naming a registered policy, an organization policy or a checkov check (known to checkov only)."""
    return bool(ID_GLOB.match(glob) or registry.matching(glob)
                or any(fnmatch.fnmatchcase(pid, glob) for pid in ORG_POLICIES))


def _globs(value: Any, key: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise PolicyError(f"{where}: settings.harness.policies.{key} must be a list of policy id globs, got {value!r}")


def parse_policy_settings(raw: Any, registry: Registry, *, where: str) -> PolicySettings:
    """Validate and parse ``settings.harness.policies``; ``where`` (``stack/component``) prefixes errors."""
    if raw is None:
        return PolicySettings()
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{where}: settings.harness.policies must be a mapping, got {type(raw).__name__}")
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        raise PolicyError(f"{where}: unknown key(s) in settings.harness.policies: {', '.join(unknown)} "
                          f"(allowed: {', '.join(KEYS)})")
    enabled = None if raw.get("enabled") is None else _globs(raw["enabled"], "enabled", where)
    disabled = () if raw.get("disabled") is None else _globs(raw["disabled"], "disabled", where)
    for key, globs in (("enabled", enabled or ()), ("disabled", disabled)):
        for glob in globs:
            if not matches_any_policy(glob, registry):
                raise PolicyError(f"{where}: settings.harness.policies.{key} entry {glob!r} matches no policy")
    threshold = Severity.INFO
    if raw.get("severity_threshold") is not None:
        try:
            threshold = Severity.parse(raw["severity_threshold"])
        except PolicyError as exc:
            raise PolicyError(f"{where}: settings.harness.policies.severity_threshold: {exc.message}") from None
    params_raw = raw.get("params") or {}
    if not isinstance(params_raw, Mapping):
        raise PolicyError(f"{where}: settings.harness.policies.params must map policy ids to parameter mappings")
    params: dict[str, dict[str, Any]] = {}
    for pid, values in params_raw.items():
        if pid not in registry:
            raise PolicyError(f"{where}: settings.harness.policies.params names unknown policy {pid!r}")
        item = registry.get(pid)
        if not isinstance(values, Mapping):
            raise PolicyError(f"{where}: settings.harness.policies.params.{pid} must be a mapping")
        bad = sorted(set(values) - set(item.params))
        if bad:
            declared = ", ".join(item.params) or "none"
            raise PolicyError(f"{where}: policy {pid} has no parameter(s) {', '.join(bad)} (declared: {declared})")
        params[pid] = dict(values)
    checkov = raw.get("checkov", True)
    if not isinstance(checkov, bool):
        raise PolicyError(f"{where}: settings.harness.policies.checkov must be true or false, got {checkov!r}")
    return PolicySettings(enabled=enabled, disabled=disabled, severity_threshold=threshold, params=params,
                          checkov=checkov)
