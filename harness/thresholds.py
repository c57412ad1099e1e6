"""The one failure threshold (``settings.harness.fail_on``) and the contract severities, read in one place.

``harness check``, the plugin's policy items and ``harness gate`` all block on unwaived findings at or
above the same severity. It is set once, in atmos.yaml ``settings.harness.fail_on`` or in the stacks'
``settings.harness.fail_on`` (the value every selected instance agrees on); a command-line flag
overrides it. The plugin records it in the report, so the gate judges with the threshold the run used.

Contract severities follow Terraform: a var it is not declared for is a warning (Terraform only warns
about an undeclared value in a varfile), a missing required var, a wrong type or a failed ``validation``
is an error. ``settings.harness.contracts.severity`` maps check ids to ``error``, ``warning`` or ``off``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from harness.errors import ConfigError

SEVERITY_NAMES = ("info", "low", "medium", "high", "critical")
#: Without configuration every unwaived finding blocks: a repository lowers the bar on purpose, never by default.
DEFAULT_FAIL_ON = "info"

CONTRACT_LEVELS = ("error", "warning", "off")
DEFAULT_CONTRACT_SEVERITY: dict[str, str] = {
    "contract.undeclared-var": "warning",
    "contract.missing-required-var": "error",
    "contract.type-mismatch": "error",
    "contract.validation-failed": "error",
    "contract.unknown-dependency": "error",
    "contract.undeclared-output": "error",
    "contract.dependency-cycle": "error",
    "contract.component": "error",
}


#: The checks of an instance's own inputs: at error severity, Terraform would refuse to plan them.
INPUT_CHECKS = frozenset({"contract.undeclared-var", "contract.missing-required-var", "contract.type-mismatch",
                          "contract.validation-failed"})


def _harness_settings(settings: Any) -> Mapping[str, Any]:
    harness = settings.get("harness") if isinstance(settings, Mapping) else None
    return harness if isinstance(harness, Mapping) else {}


def parse_fail_on(value: Any, *, where: str) -> str:
    """A severity name (case-insensitive); anything else is a ConfigError naming ``where``."""
    text = str(value).strip().lower()
    if text not in SEVERITY_NAMES:
        raise ConfigError(f"{where}: settings.harness.fail_on must be one of {', '.join(SEVERITY_NAMES)}, "
                          f"got {value!r}")
    return text


def fail_on(config_settings: Any, instances: Iterable[Any] = (), *, override: str | None = None) -> str:
    """The threshold: ``override`` (a CLI flag), else atmos.yaml ``settings.harness.fail_on``, else the value
    the instances' ``settings.harness.fail_on`` agree on, else ``DEFAULT_FAIL_ON``.

    ``instances`` are objects with ``settings`` and ``id`` (``harness.atmos.Instance``); two instances asking
    for different thresholds is an error, since the gate applies one threshold to the whole report.
    """
    if override:
        return parse_fail_on(override, where="command line")
    configured = _harness_settings(config_settings).get("fail_on")
    if configured is not None:
        return parse_fail_on(configured, where="atmos.yaml")
    seen: dict[str, str] = {}
    for inst in instances:
        value = _harness_settings(getattr(inst, "settings", None)).get("fail_on")
        if value is not None:
            seen.setdefault(parse_fail_on(value, where=str(inst.id)), str(inst.id))
    if len(seen) > 1:
        detail = ", ".join(f"{v} ({i})" for v, i in sorted(seen.items()))
        raise ConfigError(f"settings.harness.fail_on differs between stacks: {detail}; set it once "
                          "(atmos.yaml settings.harness.fail_on or an org-wide _defaults manifest)")
    return next(iter(seen), DEFAULT_FAIL_ON)


def contract_severity(check: str, *, config_settings: Any = None, instance_settings: Any = None) -> str:
    """``error``, ``warning`` or ``off`` for a contract check id: the instance's
    ``settings.harness.contracts.severity``, then atmos.yaml's, then Terraform's behaviour."""
    level = DEFAULT_CONTRACT_SEVERITY.get(check, "error")
    for settings, where in ((config_settings, "atmos.yaml"), (instance_settings, "stack")):
        contracts = _harness_settings(settings).get("contracts")
        table = contracts.get("severity") if isinstance(contracts, Mapping) else None
        if table is None:
            continue
        if not isinstance(table, Mapping):
            raise ConfigError(f"{where}: settings.harness.contracts.severity must map contract check ids to "
                              f"{'|'.join(CONTRACT_LEVELS)}")
        value = table.get(check, table.get(check.removeprefix("contract.")))
        if value is None:
            continue
        text = str(value).strip().lower()
        if text not in CONTRACT_LEVELS:
            raise ConfigError(f"{where}: settings.harness.contracts.severity.{check} must be one of "
                              f"{', '.join(CONTRACT_LEVELS)}, got {value!r}")
        level = text
    return level
