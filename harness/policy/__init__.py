"""Policies over plans: CIS/NIST/FSBP-mapped checks, per-stack selection and expiring waivers.

A policy is a small pure function registered with ``@policy``; ``evaluate(plan, context)``
runs the ones the stack selects (``settings.harness.policies``), applies the stack's
waivers (``settings.harness.waivers``) and returns a ``PolicyResult``. User policies come
from a ``policies/`` folder at the repository root or from the ``atmos_harness.policies``
entry point group (``load_user_policies``). See docs/policies.md.
"""

from harness.policy.evaluate import evaluate, evaluate_instance, threshold_failures
from harness.policy.evaluate_all import Evaluation, evaluate_all
from harness.policy.listing import format_table, full_catalog, to_json
from harness.policy.model import (
    Finding,
    Outcome,
    Param,
    Policy,
    PolicyContext,
    PolicyError,
    PolicyResult,
    Severity,
    Violation,
    undetermined,
    violation,
)
from harness.policy.registry import (
    ENTRY_POINT_GROUP,
    Registry,
    catalog,
    default_registry,
    load_user_policies,
    policy,
    use_registry,
)
from harness.policy.settings import PolicySettings, parse_policy_settings
from harness.policy.waivers import Waiver, parse_waivers, stale_waivers, waivers_of

__all__ = [
    "ENTRY_POINT_GROUP",
    "Evaluation",
    "Finding",
    "Outcome",
    "Param",
    "Policy",
    "PolicyContext",
    "PolicyError",
    "PolicyResult",
    "PolicySettings",
    "Registry",
    "Severity",
    "Violation",
    "Waiver",
    "catalog",
    "default_registry",
    "evaluate",
    "evaluate_all",
    "evaluate_instance",
    "format_table",
    "full_catalog",
    "load_user_policies",
    "parse_policy_settings",
    "parse_waivers",
    "policy",
    "stale_waivers",
    "threshold_failures",
    "to_json",
    "undetermined",
    "use_registry",
    "violation",
    "waivers_of",
]
