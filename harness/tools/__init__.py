"""External tools the harness drives (the Terraform/OpenTofu binary and its providers)."""

from harness.tools.providers import (
    ProviderMirror,
    ProviderSearch,
    cli_config_for_run,
    find_providers,
    provider_env,
    provider_search,
)
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
    terraform_candidates,
    terraform_for_tests,
)

__all__ = [
    "PROVIDER_OFFLINE_REASON",
    "TEST_TERRAFORM_PACKAGE",
    "TEST_TERRAFORM_SHA256",
    "ProviderMirror",
    "ProviderSearch",
    "TerraformBinary",
    "cli_config_for_run",
    "ensure_test_terraform",
    "find_providers",
    "find_terraform",
    "plugin_dirs",
    "provider_available",
    "provider_env",
    "provider_search",
    "satisfies",
    "terraform_binary",
    "terraform_candidates",
    "terraform_for_tests",
]
