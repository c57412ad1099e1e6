"""Generated files that point terraform at the emulator (backend in both syntaxes, provider endpoints), and
the components that need the hashicorp/aws provider (skipped where it cannot be installed)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.atmos import Resolver
from harness.aws import Emulator
from harness.deploy import Deployment, backend_config, inspect_state, provider_use, service_of, spec_for
from harness.deploy.providers import OVERRIDE_FILE
from harness.errors import HarnessError
from harness.tools import TerraformBinary, satisfies

MakeDeployment = Callable[..., Deployment]


def test_backend_syntax_follows_the_binary_version(resolver: Resolver, emu: Emulator,
                                                   terraform: TerraformBinary) -> None:
    backend = resolver.instance("account-map", "core-ue1-root").backend
    old = backend_config(backend, emulator=emu, binary=TerraformBinary(terraform.path, "terraform", "1.0.3"))
    assert old["endpoint"] == old["dynamodb_endpoint"] == old["sts_endpoint"] == old["iam_endpoint"] == emu.endpoint
    assert old["force_path_style"] is True and old["role_arn"] == "arn:aws:iam::444444444444:role/acme-terraform"
    assert old["skip_credentials_validation"] and old["skip_metadata_api_check"] and old["skip_region_validation"]
    assert "endpoints" not in old and "skip_requesting_account_id" not in old
    new = backend_config(backend, emulator=emu, binary=TerraformBinary("/x/terraform", "terraform", "1.9.0"))
    assert new["endpoints"] == {"s3": emu.endpoint, "dynamodb": emu.endpoint, "iam": emu.endpoint,
                                "sts": emu.endpoint}
    assert new["use_path_style"] is True and new["skip_requesting_account_id"] is True
    assert new["assume_role"] == {"role_arn": "arn:aws:iam::444444444444:role/acme-terraform"}
    assert "endpoint" not in new and "force_path_style" not in new and "role_arn" not in new
    for config in (old, new):
        assert (config["bucket"], config["key"], config["workspace_key_prefix"], config["dynamodb_table"]) == (
            "acme-core-ue1-root-tfstate", "terraform.tfstate", "account-map", "acme-core-ue1-root-tfstate-lock")
    # Against real AWS nothing is redirected.
    real = backend_config(backend, emulator=None, binary=terraform)
    assert "endpoint" not in real and "skip_credentials_validation" not in real


def test_provider_override_lists_every_service_the_component_uses(resolver: Resolver, emu: Emulator,
                                                                  terraform: TerraformBinary) -> None:
    assert service_of("aws_vpc_security_group_ingress_rule") == "ec2"
    assert service_of("aws_s3_bucket_policy") == "s3"
    assert service_of("aws_iam_policy_document") is None
    vpc = resolver.instance("vpc", "plat-ue1-dev")
    use = provider_use(vpc.component_path)
    assert use.aliases == (None,) and use.aws_major == 5 and use.unmapped == ()
    assert set(use.services) == {"ec2"}
    spec = spec_for(vpc, vpc.vars, emulator=emu, binary=terraform)
    [provider] = spec.files[OVERRIDE_FILE]["provider"]["aws"]
    assert provider["endpoints"] == {name: emu.endpoint for name in ("ec2", "iam", "s3", "sts")}
    assert provider["skip_credentials_validation"] and provider["skip_requesting_account_id"] is False
    assert provider["max_retries"] == 2
    assert provider["s3_use_path_style"] is True and "alias" not in provider
    backup = spec_for(resolver.instance("tfstate-backend", "core-ue1-root"), {}, emulator=emu, binary=terraform)
    endpoints = backup.files[OVERRIDE_FILE]["provider"]["aws"][0]["endpoints"]
    assert {"s3", "dynamodb", "kms"} <= set(endpoints)
    # Provider-free components get no provider file; real AWS gets none at all.
    account_map = resolver.instance("account-map", "core-ue1-root")
    assert list(spec_for(account_map, {}, emulator=emu, binary=terraform).files) == ["harness_backend.tf.json"]
    assert OVERRIDE_FILE not in spec_for(vpc, vpc.vars, emulator=None, binary=terraform).files


# -- components that need hashicorp/aws ---------------------------------------------------------------------

def test_tfstate_backend_creates_its_bucket_and_table(aws_provider: None, make_deployment: MakeDeployment,
                                                      resolver: Resolver, emu: Emulator) -> None:
    instance = resolver.instance("tfstate-backend", "core-ue1-root")
    with make_deployment() as deployment:
        # Not the bucket that holds the states (the harness bootstrapped that one); destroyable afterwards.
        test_names = {"name": "tfstate-it", "force_destroy": True, "deletion_protection_enabled": False,
                      "kms_deletion_window_in_days": 7}
        [result] = deployment.deploy(["tfstate-backend"], stack="core-ue1-root",
                                     extra_vars={"tfstate-backend": test_names})
        assert result.outputs["bucket_id"] == "acme-core-ue1-root-tfstate-it"
        s3 = emu.client("s3", stack=instance)
        assert result.outputs["bucket_id"] in [b["Name"] for b in s3.list_buckets()["Buckets"]]
        assert result.outputs["dynamodb_table_name"] in emu.client("dynamodb", stack=instance).list_tables()[
            "TableNames"]
    info = inspect_state(instance, emu)
    assert info is not None and info.empty


def test_vpc_and_security_groups_deploy_in_order(aws_provider: None, make_deployment: MakeDeployment,
                                                 resolver: Resolver, emu: Emulator, terraform: TerraformBinary) -> None:
    if not satisfies(terraform.version, ">= 1.3"):
        pytest.skip(f"security-group needs Terraform >= 1.3 (optional() defaults); the test binary is {terraform}")
    vpc = resolver.instance("vpc", "plat-ue1-dev")
    with make_deployment() as deployment:
        results = deployment.deploy(["vpc", "security-group"], stack="plat-ue1-dev", with_dependencies=True)
        ids = [r.instance_id for r in results]
        assert ids.index("plat-ue1-dev/vpc") < ids.index("plat-ue1-dev/security-group/web")
        vpc_id = results[ids.index("plat-ue1-dev/vpc")].outputs["vpc_id"]
        web = results[ids.index("plat-ue1-dev/security-group/web")]
        assert web.variables["vpc_id"] == vpc_id
        # The VPC exists in the dev account, not in the root account.
        assert vpc_id in [v["VpcId"] for v in emu.client("ec2", stack=vpc).describe_vpcs()["Vpcs"]]
        root = emu.client("ec2", account_id="444444444444", region="us-east-1")
        assert vpc_id not in [v["VpcId"] for v in root.describe_vpcs()["Vpcs"]]



def test_a_too_old_binary_is_refused_with_the_constraint(resolver: Resolver, emu: Emulator,
                                                         terraform: TerraformBinary) -> None:
    web = resolver.instance("security-group/web", "plat-ue1-dev")
    old = TerraformBinary(terraform.path, "terraform", "1.0.3")
    with pytest.raises(HarnessError, match=r"requires Terraform >= 1\.3; terraform 1\.0\.3 .* does not satisfy it"):
        spec_for(web, {}, emulator=emu, binary=old)
