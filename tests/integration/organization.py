"""What of the example organization is deployed into moto, and the adjustments moto needs: shared by the
organization test and the ``deploy_ratio`` benchmark, so both deploy the same instances the same way."""

from __future__ import annotations

import os
from typing import Any

from harness.atmos import Instance, Resolver
from tests.integration.helpers import REPO

SUBSET = ("core-ue1-root/account-map", "core-ue1-root/tfstate-backend", "core-ue1-log-archive/log-bucket",
          "core-ue1-log-archive/budgets", "core-ue1-security/guardduty", "core-ue1-security/securityhub",
          "plat-ue1-dev/vpc", "plat-ue1-dev/security-group/web", "plat-ue1-dev/iam-role/ci-deployer")
# Parts of the example moto does not model, and how the test meets them.
EXTRA_VARS: dict[str, dict[str, Any]] = {
    # Its bucket and table would be the ones that hold the states (the harness bootstrapped those).
    "tfstate-backend": {"name": "tfstate-it", "force_destroy": True, "deletion_protection_enabled": False,
                        "kms_deletion_window_in_days": 7},
    # moto's GuardDuty keeps no detector features: the detector is deployed without them.
    "guardduty": {"features": {}},
    # moto holds no AWS managed policies (MOTO_IAM_LOAD_MANAGED_POLICIES loads ~1,000 into every account and
    # makes each reset of the shared server take longer than its timeout): the role gets its inline policies.
    "iam-role": {"managed_policy_arns": []},
}
# Not deployed at all: a budget with notifications (the component requires 1 to 5) cannot even be refreshed,
# so it could not be destroyed either: moto has no DescribeSubscribersForNotification (and no Cost Explorer
# CreateAnomalyMonitor for the anomaly monitor).
NOT_DEPLOYABLE = {"budgets": "moto implements neither Budgets DescribeSubscribersForNotification nor Cost Explorer "
                             "CreateAnomalyMonitor"}
# What the deploy reports moto cannot serve: securityhub's account settings (control_finding_generator,
# auto_enable_controls need UpdateSecurityHubConfiguration); what it applied is destroyed all the same.
UNSERVED = {"securityhub": "SecurityHub UpdateSecurityHubConfiguration: the emulator answers 500 Internal Server Error"}


def organization_targets(resolver: Resolver) -> list[Instance]:
    """The subset (or with ``HARNESS_FULL_ORG=1`` every deployable instance), without what moto cannot hold."""
    if os.environ.get("HARNESS_FULL_ORG"):
        example = {p.name for p in (REPO / "components" / "terraform").iterdir() if p.is_dir()}
        chosen = [i for i in resolver.instances() if i.deployable and i.folder in example]
    else:
        chosen = [resolver.instance(*reversed(i.split("/", 1))) for i in SUBSET]
    return [i for i in chosen if i.folder not in NOT_DEPLOYABLE]
