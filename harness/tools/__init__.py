"""External tools the harness drives (the Terraform/OpenTofu binary)."""

from harness.tools.terraform import (
    PROVIDER_OFFLINE_REASON,
    TEST_TERRAFORM_PACKAGE,
    TEST_TERRAFORM_SHA256,
    TerraformBinary,
    ensure_test_terraform,
    find_terraform,
    plugin_dirs,
    provider_available,
    satisfies,
    terraform_binary,
)

__all__ = [
    "PROVIDER_OFFLINE_REASON",
    "TEST_TERRAFORM_PACKAGE",
    "TEST_TERRAFORM_SHA256",
    "TerraformBinary",
    "ensure_test_terraform",
    "find_terraform",
    "plugin_dirs",
    "provider_available",
    "satisfies",
    "terraform_binary",
]
