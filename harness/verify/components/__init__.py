"""One validator per example component, keyed by Terraform folder (``components/terraform/<folder>``)."""

from __future__ import annotations

from collections.abc import Callable

from harness.verify.components import (
    budgets,
    guardduty,
    iam_role,
    log_bucket,
    security_group,
    securityhub,
    tfstate_backend,
    vpc,
)
from harness.verify.context import Checker

Validator = Callable[[Checker], None]

VALIDATORS: dict[str, Validator] = {module.COMPONENT: module.validate for module in (
    vpc, security_group, iam_role, tfstate_backend, log_bucket, guardduty, securityhub, budgets)}

# Components that create nothing in AWS: nothing to validate after a deploy.
NOTHING_DEPLOYED = {"account-map": "provider-free: outputs only, no AWS resources"}

__all__ = ["NOTHING_DEPLOYED", "VALIDATORS", "Validator"]
