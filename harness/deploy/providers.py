"""The AWS provider pointed at the emulator: an override file generated per instance.

Every service the component (and its local modules) uses gets an ``endpoints`` entry; credential,
metadata, region and account-id checks are skipped. Against real AWS nothing is generated, so the
same component code runs unchanged in both places.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import ConfigError
from harness.terraform import load_module
from harness.terraform.hcl import HclSyntaxError, loads

if TYPE_CHECKING:
    from harness.aws.emulator import Emulator

# Resource/data type prefix (after ``aws_``) -> the provider's ``endpoints`` argument.
SERVICE_BY_PREFIX: dict[str, str] = {
    "s3": "s3", "s3control": "s3control", "dynamodb": "dynamodb", "kms": "kms", "iam": "iam", "sts": "sts",
    "caller_identity": "sts", "vpc": "ec2", "subnet": "ec2", "subnets": "ec2", "route": "ec2", "route_table": "ec2",
    "route_table_association": "ec2", "internet_gateway": "ec2", "nat_gateway": "ec2", "eip": "ec2",
    "security_group": "ec2", "security_groups": "ec2", "default_security_group": "ec2", "default_vpc": "ec2",
    "default_route_table": "ec2", "default_network_acl": "ec2", "network_acl": "ec2", "network_interface": "ec2",
    "instance": "ec2", "instances": "ec2", "ami": "ec2", "ebs": "ec2", "volume_attachment": "ec2", "flow_log": "ec2",
    "ec2": "ec2", "key_pair": "ec2", "launch_template": "ec2", "availability_zones": "ec2",
    "availability_zone": "ec2", "egress_only_internet_gateway": "ec2", "customer_gateway": "ec2", "vpn": "ec2",
    "placement_group": "ec2", "prefix_list": "ec2", "guardduty": "guardduty", "securityhub": "securityhub",
    "budgets": "budgets", "ce": "ce", "organizations": "organizations", "sns": "sns", "sqs": "sqs",
    "lambda": "lambda", "cloudwatch_log": "logs", "cloudwatch_event": "events", "cloudwatch_metric_alarm": "cloudwatch",
    "cloudwatch_dashboard": "cloudwatch", "ssm": "ssm", "secretsmanager": "secretsmanager", "route53": "route53",
    "ecr": "ecr", "ecs": "ecs", "eks": "eks", "efs": "efs", "rds": "rds", "db": "rds", "elb": "elb", "lb": "elbv2",
    "alb": "elbv2", "acm": "acm", "cloudtrail": "cloudtrail", "config": "configservice", "kinesis": "kinesis",
    "sfn": "sfn", "api_gateway": "apigateway", "apigatewayv2": "apigatewayv2", "cloudformation": "cloudformation",
    "ses": "ses", "sesv2": "sesv2", "elasticache": "elasticache", "athena": "athena", "glue": "glue",
    "cloudfront": "cloudfront", "wafv2": "wafv2", "backup": "backup", "account": "account", "accessanalyzer":
    "accessanalyzer", "macie2": "macie2", "inspector2": "inspector2", "cognito": "cognitoidp",
}
# Data sources computed inside the provider, with no API call.
LOCAL_ONLY = {"aws_iam_policy_document", "aws_partition", "aws_region", "aws_regions", "aws_arn", "aws_default_tags",
              "aws_service_principal"}
ALWAYS = ("sts", "iam", "s3")
EMULATOR_MAX_RETRIES = 2
OVERRIDE_FILE = "harness_provider_override.tf.json"
PLAIN_FILE = "harness_provider.tf.json"


def service_of(resource_type: str) -> str | None:
    """``aws_vpc_security_group_ingress_rule`` -> ``ec2`` (longest known prefix); None: unknown or local-only."""
    if resource_type in LOCAL_ONLY or not resource_type.startswith("aws_"):
        return None
    parts = resource_type[4:].split("_")
    for n in range(len(parts), 0, -1):
        found = SERVICE_BY_PREFIX.get("_".join(parts[:n]))
        if found:
            return found
    return None


@dataclass(frozen=True)
class ProviderUse:
    """The AWS services a component uses, what could not be mapped, and its aws provider blocks."""

    services: tuple[str, ...]
    unmapped: tuple[str, ...]
    aliases: tuple[str | None, ...]  # None: the default configuration
    aws_major: int | None

    @property
    def uses_aws(self) -> bool:
        return bool(self.services or self.unmapped or self.aliases)


def _provider_blocks(folder: Path) -> list[str | None]:
    found: list[str | None] = []
    for file in sorted(folder.glob("*.tf")):
        if file.name.endswith("_override.tf") or file.name == "override.tf":
            continue
        try:
            data = loads(file.read_text(encoding="utf-8"), str(file))
        except HclSyntaxError as exc:
            raise ConfigError(f"HCL syntax error: {str(exc).split(': ', 1)[-1]}", file=file, line=exc.line) from None
        for block in data.get("provider") or []:
            if isinstance(block, dict) and isinstance(block.get("aws"), dict):
                alias = block["aws"].get("alias")
                found.append(str(alias) if alias else None)
    return found


def _walk(folder: Path, seen: set[Path], types: set[str], unmapped: set[str]) -> None:
    folder = folder.resolve()
    if folder in seen:
        return
    seen.add(folder)
    module = load_module(folder)
    types.update(r.type for r in module.resources.values())
    for call in module.modules.values():
        if call.is_local:
            _walk(folder / call.source, seen, types, unmapped)
        else:
            unmapped.add(f"module {call.name} ({call.source}): remote module, services unknown")


def folder_stamp(folder: Path) -> tuple[str, tuple[tuple[str, int, int], ...]]:
    """A cache key that changes when any ``.tf`` file of the folder changes."""
    files = sorted(p for p in Path(folder).glob("*.tf") if p.is_file())
    return str(Path(folder).resolve()), tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in files)


_USE_CACHE: dict[tuple[str, tuple[tuple[str, int, int], ...]], ProviderUse] = {}


def provider_use(component_dir: Path) -> ProviderUse:
    """Which AWS services ``component_dir`` and its local modules call (cached per folder contents)."""
    stamp = folder_stamp(Path(component_dir))
    cached = _USE_CACHE.get(stamp)
    if cached is None:
        cached = _USE_CACHE[stamp] = _provider_use(Path(component_dir))
    return cached


def _provider_use(component_dir: Path) -> ProviderUse:
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in component_dir.glob("*.tf")]
    if not any("aws" in text or "module" in text for text in texts):
        return ProviderUse((), (), (), None)  # provider-free (the common case for tests): skip the HCL parse
    types: set[str] = set()
    unmapped: set[str] = set()
    _walk(Path(component_dir), set(), types, unmapped)
    services: set[str] = set()
    for rtype in types:
        service = service_of(rtype)
        if service:
            services.add(service)
        elif rtype.startswith("aws_") and rtype not in LOCAL_ONLY:
            unmapped.add(rtype)
    aliases = tuple(dict.fromkeys(_provider_blocks(Path(component_dir))))
    required = load_module(Path(component_dir)).required_providers.get("aws")
    major = None
    if isinstance(required, dict):
        match = re.search(r"(\d+)\.", str(required.get("version") or ""))
        major = int(match.group(1)) if match else None
    return ProviderUse(tuple(sorted(services)), tuple(sorted(unmapped)), aliases, major)


def provider_override(component_dir: Path, emulator: Emulator | None) -> tuple[str, dict[str, Any]] | None:
    """(file name, JSON body) of the provider file for the emulator; None for real AWS or provider-free code."""
    if emulator is None:
        return None
    use = provider_use(component_dir)
    if not use.uses_aws:
        return None
    services = sorted(set(use.services) | set(ALWAYS))
    settings: dict[str, Any] = {
        "endpoints": {name: emulator.endpoint for name in services},
        "skip_credentials_validation": True,
        "skip_metadata_api_check": True,
        "skip_region_validation": True,
        # The emulator answers sts:GetCallerIdentity: the provider learns the account, as it does in AWS (some
        # resource ids carry it, e.g. aws_budgets_budget's "ACCOUNT:NAME", which destroy parses).
        "skip_requesting_account_id": False,
        # An emulator answers at once; 500s there mean "not implemented", so retrying them only waits.
        "max_retries": EMULATOR_MAX_RETRIES,
    }
    settings["s3_force_path_style" if use.aws_major is not None and use.aws_major < 4 else "s3_use_path_style"] = True
    if use.aliases:
        blocks = [dict(settings, **({"alias": alias} if alias else {})) for alias in use.aliases]
        return OVERRIDE_FILE, {"provider": {"aws": blocks}}
    return PLAIN_FILE, {"provider": {"aws": [dict(settings, region=emulator.region)]}}


def render(body: dict[str, Any]) -> str:
    """A generated ``.tf.json`` file's text."""
    return json.dumps(body, indent=2, sort_keys=True) + "\n"
