"""Post-deploy validation: read-only checks that what is deployed matches the stack config.

Every client comes from ``harness.aws.readonly.read_only``; live mode only enters allow-listed accounts
and checks the caller's account first. See docs/verify.md.
"""

from harness.verify.access import (
    LiveAccessRefused,
    LivePolicy,
    ReadOnlyAccess,
    ReadOnlyAccount,
    expected_account,
    role_for,
    settings_allowed_accounts,
)
from harness.verify.components import NOTHING_DEPLOYED, VALIDATORS
from harness.verify.context import Checker, Undetermined, Unresolved
from harness.verify.model import CheckResult, InstanceReport, Status
from harness.verify.outputs import Outputs, OutputsReader, parse_outputs
from harness.verify.report import render_json, render_table, summary
from harness.verify.runner import Verifier, make_access, select_instances, verify_stacks

__all__ = [
    "NOTHING_DEPLOYED",
    "VALIDATORS",
    "CheckResult",
    "Checker",
    "InstanceReport",
    "LiveAccessRefused",
    "LivePolicy",
    "Outputs",
    "OutputsReader",
    "ReadOnlyAccess",
    "ReadOnlyAccount",
    "Status",
    "Undetermined",
    "Unresolved",
    "Verifier",
    "expected_account",
    "make_access",
    "parse_outputs",
    "render_json",
    "render_table",
    "role_for",
    "select_instances",
    "settings_allowed_accounts",
    "summary",
    "verify_stacks",
]
