"""A deterministic generator of a synthetic but realistic Atmos organization, for benchmarks and tests.

The layout follows the Cloud Posse reference architecture the harness targets: a catalog entry per
component (defaults, abstract bases with ``metadata.inherits``, ``settings.depends_on``), region and stage
mixins, org and tenant ``_defaults.yaml`` with the S3 backend, and one top-level stack per
tenant/stage/region that imports all of them (some catalog entries via globs) and overrides a handful of
vars per component inline. Everything is derived from the seed, so two generations are byte-identical.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from benchmarks.synthetic_components import UNIT_SUITE, root_module

ORGS = ("acme", "globex", "initech")
TENANTS = (
    "plat", "data", "core", "sec", "ml", "web", "pay", "ops", "iot", "search", "ads", "mail", "chat", "auth",
    "media", "maps", "docs", "crm", "erp", "hr", "fin", "bi", "edge", "api", "game",
)
STAGES = ("dev", "staging", "prod", "qa", "sandbox")
REGIONS = {
    "us-east-1": "ue1",
    "us-west-2": "uw2",
    "eu-west-1": "ew1",
    "ap-southeast-1": "as1",
    "eu-central-1": "ec1",
    "ca-central-1": "cc1",
}
TENANTS_PER_ORG = 10
LABEL_ORDER = ["namespace", "tenant", "environment", "stage", "name"]


@dataclass(frozen=True)
class Fn:
    """An Atmos YAML function call written with its tag (``!terraform.output eks-cluster eks_cluster_id``)."""

    tag: str
    args: str


@dataclass(frozen=True)
class _Component:
    name: str
    family: str
    vars: dict[str, Any]
    base_vars: dict[str, Any] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def abstract(self) -> bool:
        return bool(self.base_vars)


_TEMPLATE_NAME = "{{ .vars.namespace }}-{{ .vars.tenant }}-{{ .vars.environment }}-{{ .vars.stage }}"

#: The 20 realistic components, ordered so that small organizations still cover globs, bases and functions.
COMPONENTS: tuple[_Component, ...] = (
    _Component("vpc", "vpc", {
        "cidr_block": "10.0.0.0/16",
        "max_subnet_count": 3,
        "nat_gateway_enabled": True,
        "nat_instance_enabled": False,
        "subnet_type_tag_key": "example.net/subnet/type",
        "vpc_flow_logs_enabled": True,
        "vpc_flow_logs_traffic_type": "ALL",
        "interface_endpoints": ["ec2", "ssm", "ssmmessages", "logs"],
        "gateway_endpoints": {"s3": {"enabled": True}, "dynamodb": {"enabled": False}},
    }),
    _Component("eks-cluster", "eks", {
        "cluster_name": _TEMPLATE_NAME + "-eks",
        "kubernetes_version": "1.29",
        "oidc_provider_enabled": True,
        "addons": {
            "vpc-cni": {"addon_version": "v1.16.0-eksbuild.1", "resolve_conflicts_on_update": "OVERWRITE"},
            "coredns": {"addon_version": "v1.11.1-eksbuild.4"},
            "kube-proxy": {"addon_version": "v1.29.0-eksbuild.1"},
        },
        "allowed_cidr_blocks": ["10.0.0.0/8"],
    }, base_vars={
        "endpoint_private_access": True,
        "endpoint_public_access": False,
        "enabled_cluster_log_types": ["api", "audit", "authenticator"],
        "cluster_log_retention_period": 90,
        "cluster_encryption_config_enabled": True,
        "access_config": {"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": False},
    }, depends_on=("vpc",)),
    _Component("eks-node-group", "eks", {
        "cluster_name": Fn("!terraform.output", "eks-cluster id"),
        "instance_types": ["m6i.large", "m6a.large"],
        "desired_size": 2,
        "min_size": 1,
        "max_size": 6,
        "ami_type": "AL2_x86_64",
        "capacity_type": "ON_DEMAND",
        "disk_size": 100,
        "kubernetes_labels": {"workload": "general", "lifecycle": "on-demand"},
        "kubernetes_taints": [{"key": "dedicated", "value": "general", "effect": "NO_SCHEDULE"}],
        "update_config": {"max_unavailable_percentage": 33},
    }, depends_on=("eks-cluster",)),
    _Component("rds-cluster", "rds", {
        "engine": "aurora-postgresql",
        "engine_version": "15.4",
        "instance_type": "db.r6g.large",
        "cluster_size": 2,
        "database_name": "app",
        "admin_user": "postgres",
        "cluster_parameters": [
            {"name": "rds.force_ssl", "value": "1", "apply_method": "pending-reboot"},
            {"name": "log_min_duration_statement", "value": "500", "apply_method": "immediate"},
        ],
    }, base_vars={
        "backup_window": "03:00-04:00",
        "maintenance_window": "sun:05:00-sun:06:00",
        "retention_period": 7,
        "deletion_protection": True,
        "storage_encrypted": True,
        "allowed_cidr_blocks": ["10.0.0.0/8"],
    }, depends_on=("vpc",)),
    _Component("rds-proxy", "rds", {
        "engine_family": "POSTGRESQL",
        "idle_client_timeout": 1800,
        "require_tls": True,
        "debug_logging": False,
        "max_connections_percent": 90,
        "max_idle_connections_percent": 50,
        "connection_borrow_timeout": 120,
        "auth": [{"auth_scheme": "SECRETS", "iam_auth": "REQUIRED", "description": "app user"}],
        "existing_security_group_ids": [],
    }, depends_on=("rds-cluster",)),
    _Component("s3-bucket-logs", "s3-bucket", {
        "acl": "log-delivery-write",
        "versioning_enabled": True,
        "force_destroy": False,
        "sse_algorithm": "AES256",
        "block_public_acls": True,
        "lifecycle_configuration_rules": [
            {"id": "expire", "enabled": True, "expiration": {"days": 365},
             "transition": [{"days": 30, "storage_class": "STANDARD_IA"}, {"days": 90, "storage_class": "GLACIER"}]},
        ],
        "logging": {"enabled": False},
        "allowed_bucket_actions": ["s3:PutObject", "s3:GetBucketAcl"],
    }),
    _Component("s3-bucket-artifacts", "s3-bucket", {
        "acl": "private",
        "versioning_enabled": True,
        "force_destroy": False,
        "sse_algorithm": "aws:kms",
        "bucket_key_enabled": True,
        "object_lock_configuration": {"mode": "GOVERNANCE", "days": 30},
        "cors_configuration": [{"allowed_methods": ["GET"], "allowed_origins": ["*"], "max_age_seconds": 3000}],
        "privileged_principal_actions": ["s3:GetObject", "s3:ListBucket"],
    }),
    _Component("kms-key", "kms", {
        "description": "Default customer managed key",
        "deletion_window_in_days": 30,
        "enable_key_rotation": True,
        "multi_region": False,
        "key_usage": "ENCRYPT_DECRYPT",
        "alias": "alias/default",
        "policy_statements": [{"sid": "AllowRoot", "actions": ["kms:*"], "principals": ["root"]}],
    }),
    _Component("dns-primary", "dns", {
        "domain_names": ["example.com"],
        "record_config": [{"root_zone": "example.com", "name": "", "type": "TXT", "ttl": 60,
                           "records": ["v=spf1 -all"]}],
        "dns_soa_config": "awsdns-hostmaster.amazon.com. 1 7200 900 1209600 60",
        "request_acm_certificate": True,
    }),
    _Component("dns-delegated", "dns", {
        "zone_config": [{"subdomain": "{{ .vars.stage }}.{{ .vars.tenant }}", "zone_name": "example.com"}],
        "request_acm_certificate": True,
        "dns_private_zone_enabled": False,
        "certificate_authority_enabled": False,
        "dnssec_enabled": False,
        "ttl": 300,
    }, depends_on=("dns-primary",)),
    _Component("iam-role-ci", "iam-role", {
        "role_name": "ci-deployer",
        "role_description": "Role assumed by the CI system to deploy",
        "trusted_github_repos": {"example-org": ["infrastructure", "platform"]},
        "managed_policy_arns": ["arn:aws:iam::aws:policy/PowerUserAccess"],
    }, base_vars={
        "path": "/",
        "max_session_duration": 3600,
        "permissions_boundary": "",
        "assume_role_conditions": [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["true"]}],
        "policy_document_count": 0,
    }),
    _Component("iam-role-read-only", "iam-role", {
        "role_name": "read-only",
        "role_description": "Read-only access for auditors",
        "principals": {"AWS": ["arn:aws:iam::111111111111:root"]},
        "managed_policy_arns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
    }, base_vars={
        "path": "/",
        "max_session_duration": 14400,
        "permissions_boundary": "",
        "assume_role_conditions": [{"test": "Bool", "variable": "aws:MultiFactorAuthPresent", "values": ["true"]}],
        "policy_document_count": 0,
    }),
    _Component("sns-topic", "sns", {
        "subscribers": {"ops": {"protocol": "email", "endpoint": "ops@example.com", "endpoint_auto_confirms": False}},
        "sqs_dlq_enabled": False,
        "fifo_topic": False,
        "content_based_deduplication": False,
        "encryption_enabled": True,
        "allowed_aws_services_for_sns_published": ["cloudwatch.amazonaws.com"],
    }),
    _Component("sqs-queue", "sqs", {
        "visibility_timeout_seconds": 30,
        "message_retention_seconds": 345600,
        "max_message_size": 262144,
        "delay_seconds": 0,
        "receive_wait_time_seconds": 10,
        "fifo_queue": False,
        "redrive_policy": {"max_receive_count": 5},
        "kms_data_key_reuse_period_seconds": 300,
    }),
    _Component("lambda-function", "lambda", {
        "function_name": "processor",
        "handler": "main.handler",
        "memory_size": 256,
        "timeout": 30,
        "lambda_environment": {"variables": {"LOG_LEVEL": "INFO", "POWERTOOLS_SERVICE_NAME": "processor"}},
    }, base_vars={
        "runtime": "python3.12",
        "architectures": ["arm64"],
        "tracing_config_mode": "Active",
        "cloudwatch_logs_retention_in_days": 30,
        "reserved_concurrent_executions": -1,
        "custom_iam_policy_arns": [],
    }),
    _Component("cloudwatch-alarms", "monitoring", {
        "alarm_name_prefix": _TEMPLATE_NAME,
        "evaluation_periods": 3,
        "period": 300,
        "treat_missing_data": "notBreaching",
        "alarms": {
            "cpu-high": {
                "metric_name": "CPUUtilization", "threshold": 80, "comparison_operator": "GreaterThanThreshold",
            },
            "errors": {
                "metric_name": "Errors", "threshold": 1, "comparison_operator": "GreaterThanOrEqualToThreshold",
            },
        },
        "ok_actions_enabled": True,
    }, depends_on=("sns-topic",)),
    _Component("waf-acl", "waf", {
        "scope": "REGIONAL",
        "default_action": "allow",
        "visibility_config": {
            "cloudwatch_metrics_enabled": True, "metric_name": "waf", "sampled_requests_enabled": True,
        },
        "managed_rule_group_statement_rules": [
            {"name": "AWSManagedRulesCommonRuleSet", "priority": 1, "override_action": "none"},
            {"name": "AWSManagedRulesKnownBadInputsRuleSet", "priority": 2, "override_action": "none"},
        ],
        "rate_based_statement_rules": [{"name": "rate-limit", "priority": 10, "limit": 2000}],
        "log_destination_configs": [],
    }),
    _Component("alb", "alb", {
        "internal_enabled": False,
        "http_enabled": False,
        "http_redirect": True,
        "https_enabled": True,
        "idle_timeout": 60,
        "deletion_protection_enabled": True,
        "health_check_path": "/healthz",
        "health_check_matcher": "200-399",
        "access_logs_enabled": True,
        "target_group_port": 8080,
    }, depends_on=("vpc", "waf-acl")),
    _Component("ecr-repository", "ecr", {
        "image_names": ["app", "worker"],
        "image_tag_mutability": "IMMUTABLE",
        "scan_images_on_push": True,
        "max_image_count": 100,
        "protected_tags": ["latest", "release"],
        "principals_readonly_access": [],
        "enable_lifecycle_policy": True,
    }),
    _Component("bastion", "bastion", {
        "instance_type": "t3.micro",
        "associate_public_ip_address": False,
        "ssm_enabled": True,
        "ssh_user": "ec2-user",
        "root_block_device_volume_size": 20,
        "security_group_rules": [{"type": "egress", "from_port": 0, "to_port": 0, "protocol": "-1",
                                  "cidr_blocks": ["0.0.0.0/0"]}],
        "user_data": ["yum install -y amazon-ssm-agent"],
    }, depends_on=("vpc",)),
)


def _extra_component(index: int) -> _Component:
    """Components beyond the 20 realistic ones: application services with the same shape."""
    name = f"app-{index:03d}"
    return _Component(name, "app", {
        "service_name": name,
        "image_tag": "1.0.0",
        "desired_count": 2,
        "cpu": 256,
        "memory": 512,
        "container_port": 8080,
        "container_environment": {"LOG_LEVEL": "INFO", "PORT": "8080"},
        "health_check": {"path": "/healthz", "interval": 30},
        "autoscaling": {"enabled": True, "min_capacity": 1, "max_capacity": 4},
        "secrets": [],
    }, depends_on=("vpc",))


def component_specs(count: int) -> list[_Component]:
    specs = list(COMPONENTS[:count])
    specs += [_extra_component(i) for i in range(len(specs), count)]
    return specs


# -- YAML output ------------------------------------------------------------------------------------------
class _Dumper(yaml.SafeDumper):
    """Block-style YAML without anchors, function tags written as tags, as people write manifests."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def choose_scalar_style(self) -> str:
        """Plain style for function tags (``!terraform.output a b``); PyYAML would quote any tagged scalar."""
        style: str = super().choose_scalar_style()
        event = self.event
        if isinstance(event, yaml.ScalarEvent) and event.tag and event.tag.startswith("!") and style == "'":
            analysis = self.analysis or self.analyze_scalar(event.value)
            if analysis.allow_block_plain and not analysis.multiline and not self.flow_level:
                return ""
        return style


def _represent_fn(dumper: yaml.SafeDumper, fn: Fn) -> yaml.ScalarNode:
    return dumper.represent_scalar(fn.tag, fn.args)


_Dumper.add_representer(Fn, _represent_fn)


def _dump(data: Any, comment: str = "") -> str:
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=120)
    return (f"# {comment}\n" if comment else "") + body


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# -- the organization -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StackSpec:
    """One top-level stack: where it lives and what identifies it."""

    org: str
    tenant: str
    stage: str
    region: str

    @property
    def environment(self) -> str:
        return REGIONS[self.region]

    @property
    def name(self) -> str:
        return f"{self.tenant}-{self.environment}-{self.stage}"

    @property
    def key(self) -> str:
        return f"orgs/{self.org}/{self.tenant}/{self.stage}/{self.region}"


@dataclass(frozen=True)
class GeneratedOrg:
    """What was generated, with the values tests need to check resolution against."""

    root: Path
    stacks: tuple[StackSpec, ...]
    components: tuple[str, ...]
    abstract_components: tuple[str, ...]
    manifest_files: tuple[Path, ...]
    catalog_vars: dict[str, dict[str, Any]]
    overrides: dict[str, dict[str, dict[str, Any]]]

    @property
    def stack_names(self) -> list[str]:
        return [s.name for s in self.stacks]

    @property
    def stack_files(self) -> list[Path]:
        return [self.root / "stacks" / f"{s.key}.yaml" for s in self.stacks]

    @property
    def instances(self) -> int:
        """(stack, component) pairs ``describe stacks`` returns, abstract bases included."""
        return len(self.stacks) * (len(self.components) + len(self.abstract_components))


def stack_specs(count: int) -> list[StackSpec]:
    """``count`` stacks over tenants x stages x regions, spread over the orgs ten tenants at a time."""
    regions = list(REGIONS)[: max(1, min(4, count))]
    stages = list(STAGES)[: max(1, min(len(STAGES), math.ceil(count / len(regions))))]
    tenants_needed = math.ceil(count / (len(regions) * len(stages)))
    tenants = [TENANTS[i] if i < len(TENANTS) else f"t{i:03d}" for i in range(tenants_needed)]
    specs: list[StackSpec] = []
    for t_index, tenant in enumerate(tenants):
        org = ORGS[(t_index // TENANTS_PER_ORG) % len(ORGS)]
        if t_index // TENANTS_PER_ORG >= len(ORGS):
            org = f"org{t_index // TENANTS_PER_ORG:02d}"
        for stage in stages:
            for region in regions:
                if len(specs) < count:
                    specs.append(StackSpec(org, tenant, stage, region))
    return specs


def _mutate(value: Any, rng: random.Random, spec: StackSpec, index: int) -> Any:
    """A plausible per-stack value for a catalog default (maps are overridden partially, as people do)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return rng.choice([value * 2, value + 1, max(1, value // 2), value * 3 + 1])
    if isinstance(value, str):
        if value.startswith("10.") and value.endswith("/16"):
            return f"10.{index % 250}.0.0/16"
        if value.replace(".", "").isdigit():
            return rng.choice(["1.28", "1.30", "15.5", "16.1"])
        return f"{value}-{spec.stage}" if value else f"{spec.tenant}-{spec.stage}"
    if isinstance(value, list):
        if not value:
            return [f"arn:aws:iam::{100000000000 + index}:role/{spec.tenant}-{spec.stage}"]
        if all(isinstance(v, dict) for v in value):
            first = dict(value[0])
            key = rng.choice(sorted(first))
            first[key] = _mutate(first[key], rng, spec, index)
            return [first, *value[1:]]
        kept = value[: rng.randint(1, len(value))]
        return [*kept, f"{spec.region}-{spec.stage}"] if rng.random() < 0.3 else kept
    if isinstance(value, dict):
        keys = sorted(value)
        chosen = rng.sample(keys, k=min(len(keys), rng.randint(1, 2)))
        return {k: _mutate(value[k], rng, spec, index) for k in chosen}
    return value


def _is_literal(value: Any) -> bool:
    """Values worth overriding per stack: not functions, not templates."""
    if isinstance(value, Fn):
        return False
    if isinstance(value, str):
        return "{{" not in value
    if isinstance(value, list):
        return all(_is_literal(v) for v in value)
    if isinstance(value, dict):
        return all(_is_literal(v) for v in value.values())
    return True


def _common_vars(c: _Component) -> dict[str, Any]:
    return {
        "enabled": True,
        "name": c.name,
        "tags": {"Component": c.name, "Family": c.family},
    }


def _catalog(c: _Component, selected: set[str]) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "spacelift": {"workspace_enabled": True, "autodeploy": False, "labels": [f"family:{c.family}"]},
        **c.settings,
    }
    deps = [d for d in c.depends_on if d in selected]
    if deps:
        settings["depends_on"] = {i + 1: {"component": d} for i, d in enumerate(deps)}
    own_vars = {**_common_vars(c), **c.vars}
    components: dict[str, Any] = {}
    if c.abstract:
        components[f"{c.name}/defaults"] = {
            "metadata": {"type": "abstract", "component": c.name},
            "settings": {"spacelift": {"workspace_enabled": False}},
            "vars": c.base_vars,
        }
        components[c.name] = {
            "metadata": {"component": c.name, "inherits": [f"{c.name}/defaults"]},
            "settings": settings,
            "vars": own_vars,
        }
    else:
        components[c.name] = {"metadata": {"component": c.name}, "settings": settings, "vars": own_vars}
    return {"components": {"terraform": components}}


def _atmos_yaml() -> dict[str, Any]:
    return {
        "base_path": ".",
        "components": {"terraform": {"base_path": "components/terraform", "workspaces_enabled": True}},
        "stacks": {
            "base_path": "stacks",
            "included_paths": ["orgs/**/*"],
            "excluded_paths": ["**/_defaults.yaml"],
            "name_pattern": "{tenant}-{environment}-{stage}",
        },
        "settings": {"list_merge_strategy": "replace"},
        "templates": {"settings": {"enabled": True}},
    }


def _org_defaults(org: str) -> dict[str, Any]:
    return {
        "vars": {
            "namespace": org,
            "label_order": LABEL_ORDER,
            "tags": {"Namespace": org, "ManagedBy": "atmos", "Repository": f"github.com/{org}/infrastructure"},
        },
        "settings": {
            "spacelift": {"workspace_enabled": True, "terraform_version": "1.7.5", "runner_image": "runner:latest"},
            "harness": {"required_tags": ["Namespace", "Tenant", "Environment", "Stage", "ManagedBy"]},
        },
        "terraform": {
            "backend_type": "s3",
            "backend": {
                "s3": {
                    "bucket": f"{org}-core-ue1-root-tfstate",
                    "dynamodb_table": f"{org}-core-ue1-root-tfstate-lock",
                    "region": "us-east-1",
                    "encrypt": True,
                    "key": "terraform.tfstate",
                    "acl": "bucket-owner-full-control",
                    "role_arn": f"arn:aws:iam::999999999999:role/{org}-terraform",
                }
            },
            "vars": {"default_region": "us-east-1"},
        },
    }


def _tenant_defaults(org: str, tenant: str, index: int) -> dict[str, Any]:
    return {
        "import": [f"orgs/{org}/_defaults"],
        "vars": {"tenant": tenant, "tags": {"Tenant": tenant, "CostCenter": f"CC-{1000 + index * 10}"}},
        "settings": {"team": {"name": f"team-{tenant}", "slack_channel": f"#{tenant}-alerts"}},
    }


def _region_mixin(region: str) -> dict[str, Any]:
    return {
        "vars": {"region": region, "environment": REGIONS[region]},
        "settings": {"region": {"availability_zones": [f"{region}{z}" for z in "abc"]}},
    }


def _stage_mixin(stage: str) -> dict[str, Any]:
    production = stage == "prod"
    return {
        "vars": {"stage": stage, "tags": {"Stage": stage}},
        "settings": {"stage": {"production": production, "approval_required": production or stage == "staging"}},
    }


def _imports(specs: list[_Component]) -> list[str]:
    """Catalog imports: a glob for every family with several members, otherwise one entry per component."""
    families: dict[str, list[str]] = {}
    for c in specs:
        families.setdefault(c.family, []).append(c.name)
    out: list[str] = []
    for family, members in families.items():
        entry = f"catalog/{family}-*" if len(members) > 1 else f"catalog/{members[0]}"
        if entry not in out:
            out.append(entry)
    return out


def generate(root: Path, *, stacks: int = 500, components: int = 20, seed: int = 0) -> GeneratedOrg:
    """Write the organization under ``root`` (created if needed) and describe what was written."""
    if stacks < 1 or components < 1:
        raise ValueError("stacks and components must be positive")
    specs = component_specs(components)
    for c in specs:
        members = {s.name for s in specs if s.family == c.family}
        if len(members) > 1 and members != {s.name for s in specs if s.name.startswith(c.family + "-")}:
            raise ValueError(f"the glob 'catalog/{c.family}-*' would not match exactly the family of '{c.name}'")
    selected = {c.name for c in specs}
    stacks_dir = root / "stacks"
    files: list[Path] = []

    def put(rel: str, data: Any, comment: str) -> None:
        path = stacks_dir / rel
        _write(path, _dump(data, comment))
        files.append(path)

    _write(root / "atmos.yaml", _dump(_atmos_yaml(), "Atmos CLI configuration of the synthetic organization."))
    catalog_vars: dict[str, dict[str, Any]] = {}
    for c in specs:
        put(f"catalog/{c.name}.yaml", _catalog(c, selected), f"{c.name} defaults for every stack.")
        catalog_vars[c.name] = {**c.base_vars, **_common_vars(c), **c.vars}
        for name, text in root_module(c.name, catalog_vars[c.name]).items():
            _write(root / "components" / "terraform" / c.name / name, text)
    for rel, text in UNIT_SUITE.items():
        _write(root / rel, text)

    stack_list = stack_specs(stacks)
    for region in sorted({s.region for s in stack_list}):
        put(f"mixins/region/{region}.yaml", _region_mixin(region), f"Region mixin: {region}.")
    for stage in sorted({s.stage for s in stack_list}, key=STAGES.index):
        put(f"mixins/stage/{stage}.yaml", _stage_mixin(stage), f"Stage mixin: {stage}.")
    tenants = list(dict.fromkeys((s.org, s.tenant) for s in stack_list))
    for org in dict.fromkeys(o for o, _ in tenants):
        put(f"orgs/{org}/_defaults.yaml", _org_defaults(org), f"Organization-wide defaults of {org}.")
    for index, (org, tenant) in enumerate(tenants):
        put(f"orgs/{org}/{tenant}/_defaults.yaml", _tenant_defaults(org, tenant, index), f"Tenant {tenant}.")

    catalog_imports = _imports(specs)
    overrides: dict[str, dict[str, dict[str, Any]]] = {}
    for index, spec in enumerate(stack_list):
        rng = random.Random(f"{seed}:{spec.key}")
        inline: dict[str, dict[str, Any]] = {}
        for c in specs:
            candidates = sorted(k for k, v in catalog_vars[c.name].items()
                                if _is_literal(v) and k not in ("name", "enabled"))
            chosen = sorted(rng.sample(candidates, k=min(len(candidates), rng.randint(2, 5))))
            inline[c.name] = {k: _mutate(catalog_vars[c.name][k], rng, spec, index) for k in chosen}
        overrides[spec.name] = inline
        manifest = {
            "import": ["../_defaults", f"mixins/region/{spec.region}", f"mixins/stage/{spec.stage}", *catalog_imports],
            "components": {"terraform": {name: {"vars": v} for name, v in inline.items()}},
        }
        put(f"{spec.key}.yaml", manifest, f"{spec.name}: tenant {spec.tenant}, {spec.stage}, {spec.region}.")

    return GeneratedOrg(
        root=root,
        stacks=tuple(stack_list),
        components=tuple(c.name for c in specs),
        abstract_components=tuple(f"{c.name}/defaults" for c in specs if c.abstract),
        manifest_files=tuple(sorted(files)),
        catalog_vars=catalog_vars,
        overrides=overrides,
    )
