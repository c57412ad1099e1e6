"""Building blocks for policies: references between resources, IAM documents, CIDRs and ports, tags.

Every helper is honest about unknown values: when the answer depends on a value known
only after apply it raises ``Undetermined`` (or returns ``None`` where documented) rather
than guessing. Policies in user ``policies/`` folders can use them too.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.plan import Plan, Resource, Undetermined, Unknown, require_known
from harness.policy.model import PolicyContext, Violation, undetermined, violation

# -- references ---------------------------------------------------------------------------------

_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
_KEY = r'\[(?:"(?:[^"\\]|\\.)*"|\d+)\]'
_REF = re.compile(rf"^(?P<module>(?:module\.{_NAME}(?:{_KEY})?\.)*)(?P<data>data\.)?(?P<type>{_NAME})\."
                  rf"(?P<name>{_NAME})(?P<key>(?:{_KEY})?)(?:\.(?P<attr>.*))?$")
_NOT_RESOURCES = {"var", "local", "module", "each", "count", "path", "terraform", "self", "output"}
_MODULE_KEYS = re.compile(_KEY)


@dataclass(frozen=True)
class RefTarget:
    """The resource a reference text points at: ``module.a.aws_s3_bucket.b["k"].arn``."""

    module: str
    mode: str
    type: str
    name: str
    key: str
    attr: str

    @property
    def address(self) -> str:
        """The resource address (with the instance key when the reference has one)."""
        data = "data." if self.mode == "data" else ""
        prefix = f"{self.module}." if self.module else ""
        return f"{prefix}{data}{self.type}.{self.name}{self.key}"


def parse_ref(ref: str | None) -> RefTarget | None:
    """The resource a reference names, or None for variables, locals, module outputs and the like."""
    if not ref:
        return None
    match = _REF.match(ref)
    if not match or match["type"] in _NOT_RESOURCES:
        return None
    return RefTarget(module=match["module"].rstrip("."), mode="data" if match["data"] else "managed",
                     type=match["type"], name=match["name"], key=match["key"] or "", attr=match["attr"] or "")


def _module_of(resource: Resource) -> str:
    return resource.module_address or ""


def _same_module(ref_module: str, target_module: str) -> bool:
    if ref_module == target_module:
        return True
    return _MODULE_KEYS.sub("", ref_module) == _MODULE_KEYS.sub("", target_module)


def ref_points_to(ref: str | None, target: Resource) -> bool | None:
    """True/False when ``ref`` names ``target`` or another resource; None when it names no resource."""
    parsed = parse_ref(ref)
    if parsed is None:
        return None
    if (parsed.mode, parsed.type, parsed.name) != (target.mode, target.type, target.name):
        return False
    if not _same_module(parsed.module, _module_of(target)):
        return False
    if parsed.key:
        return target.address.endswith(f"{target.type}.{target.name}{parsed.key}")
    return True


_ARN_S3 = re.compile(r"^arn:[^:]+:s3:::([^/]+)$")


def refers_to(value: Any, target: Resource, *, holder: Resource | None = None,
              attrs: Iterable[str] = ("id",)) -> bool | None:
    """Does ``value`` (an attribute of ``holder``) point at ``target``? None when it cannot be told.

    An Unknown is followed through its ``ref``; a ref to the holder itself (plan JSON gives
    no references) or to no resource cannot be told. A known string is compared with the
    target's known identifying ``attrs`` (an S3 ARN also matches the bucket name); an
    identifier still unknown is one the resource gets at apply, which no literal can equal.
    """
    if isinstance(value, Unknown):
        parsed = parse_ref(value.ref)
        if parsed is None:
            return None
        if holder is not None and ref_points_to(value.ref, holder):
            return None
        return ref_points_to(value.ref, target)
    if not isinstance(value, str) or not value:
        return False
    candidates = [value]
    arn = _ARN_S3.match(value)
    if arn:
        candidates.append(arn.group(1))
    for attr in attrs:
        known = target.get(attr, None)
        if isinstance(known, str) and known in candidates:
            return True
    return False


def live(plan: Plan, type: str | None = None) -> list[Resource]:
    """Managed resources of ``type`` that will exist after apply (a resource being destroyed protects nothing)."""
    return [r for r in plan.resources(type=type, mode="managed") if r.actions != ("delete",)]


@dataclass
class Links:
    """Resources that point at a target: ``sure`` certainly do, ``maybe`` cannot be told apart."""

    sure: list[Resource]
    maybe: list[Resource]


def linked(plan: Plan, type: str, attr: str, target: Resource, attrs: Iterable[str] = ("id",)) -> Links:
    """Managed resources of ``type`` whose ``attr`` points at ``target``."""
    sure: list[Resource] = []
    maybe: list[Resource] = []
    keys = tuple(attrs)
    for res in live(plan, type):
        answer = refers_to(res.get(attr, None), target, holder=res, attrs=keys)
        if answer is True:
            sure.append(res)
        elif answer is None:
            maybe.append(res)
    return Links(sure, maybe)


def incomplete_reason(plan: Plan) -> str | None:
    """Why a resource the plan lacks might still exist (blocks the engine could not expand), or None."""
    blocks = [d.address for d in (*plan.unexpanded, *plan.conditional)]
    if not blocks:
        return None
    shown = ", ".join(blocks[:5]) + (" ..." if len(blocks) > 5 else "")
    return f"the engine could not expand {shown}; what is missing may be there"


def missing(plan: Plan, resource: Resource | None, message: str, *, value: Any = None,
            path: str | None = None) -> Violation:
    """A failure about something absent, or undetermined when the plan has unexpanded blocks."""
    reason = incomplete_reason(plan)
    if reason is not None:
        return undetermined(resource, f"{message}, but {reason}", path=path)
    return violation(resource, message, value=value, path=path)


def maybe_links(resource: Resource, what: str, candidates: list[Resource]) -> Violation:
    """Undetermined: some ``candidates`` may belong to ``resource`` but the plan has no reference to tell."""
    names = ", ".join(c.address for c in candidates[:5])
    return undetermined(resource, f"cannot tell whether {what} {names} belongs to {resource.address} "
                                  "(the reference is only known after apply)")


# -- values -------------------------------------------------------------------------------------

def as_list(value: Any, *, address: str | None = None, path: str | None = None) -> list[Any]:
    """None -> [], a list/tuple -> list, anything else -> [value]; an Unknown raises Undetermined."""
    value = require_known(value, address=address, path=path) if isinstance(value, Unknown) else value
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def first_block(resource: Resource, path: str) -> Mapping[str, Any] | None:
    """The first element of a nested block list (``point_in_time_recovery.0``), None if absent."""
    value = resource.get(path, None)
    if isinstance(value, Unknown):
        raise Undetermined(value.reason, address=resource.address, path=path, ref=value.ref)
    if isinstance(value, Mapping):
        return value
    if isinstance(value, list) and value:
        head = value[0]
        if isinstance(head, Unknown):
            raise Undetermined(head.reason, address=resource.address, path=f"{path}.0", ref=head.ref)
        return head if isinstance(head, Mapping) else None
    return None


def known(resource: Resource, path: str, default: Any = None) -> Any:
    """``resource.get(path, default)``, raising Undetermined when the value is or holds an Unknown."""
    return require_known(resource.get(path, default), address=resource.address, path=path)


def computed_unset(resource: Resource, path: str) -> bool:
    """An attribute the configuration leaves unset, which plan JSON marks unknown (its ``ref`` is the attribute
    or a block above it).

    The recorded engine names an unknown after its own attribute; the static engine names
    the expression it comes from. So ``aws_security_group.x.ingress`` unknown in a recorded
    plan means "no inline rules configured", not "rules we cannot see".
    """
    value = resource.get(path, None)
    if not isinstance(value, Unknown) or not value.ref:
        return False
    full = f"{resource.address}.{path}"
    return full == value.ref or full.startswith(value.ref + ".")


def is_blank(value: Any) -> bool:
    """None or the empty string (safe on Unknown, which is never blank)."""
    return value is None or (isinstance(value, str) and not value)


def is_true(value: Any) -> bool:
    """Terraform booleans also arrive as the strings ``"true"``/``"false"``."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


# -- IAM policy documents -----------------------------------------------------------------------

class DocumentError(ValueError):
    """A policy attribute is not valid JSON."""


def _principals(blocks: Any) -> Any:
    items = [b for b in as_list(blocks) if isinstance(b, Mapping)]
    if len(items) == 1 and items[0].get("type") == "*":
        return "*"
    out: dict[str, Any] = {}
    for block in items:
        ids = block.get("identifiers")
        out.setdefault(str(block.get("type")), [])
        if isinstance(ids, Unknown):
            out[str(block.get("type"))] = ids
        else:
            current = out[str(block.get("type"))]
            if isinstance(current, list):
                current.extend(as_list(ids))
    return out


def _conditions(blocks: Any) -> Any:
    out: dict[str, Any] = {}
    for block in as_list(blocks):
        if not isinstance(block, Mapping):
            continue
        out.setdefault(str(block.get("test")), {})[str(block.get("variable"))] = block.get("values")
    return out


def document_from_data(data: Resource) -> dict[str, Any]:
    """The policy document of a ``data.aws_iam_policy_document``: its ``json`` if known, else its statements."""
    text = data.get("json", None)
    if isinstance(text, str) and text:
        return parse_document(text)
    blocks = data.get("statement", None)
    if isinstance(blocks, Unknown) or blocks is None:
        reason = blocks.reason if isinstance(blocks, Unknown) else "statements not known"
        raise Undetermined(reason, address=data.address, path="statement",
                           ref=blocks.ref if isinstance(blocks, Unknown) else None)
    statements = []
    for block in as_list(blocks, address=data.address, path="statement"):
        stmt: dict[str, Any] = {"Effect": block.get("effect") or "Allow"}
        for key, name in (("actions", "Action"), ("not_actions", "NotAction"), ("resources", "Resource"),
                          ("not_resources", "NotResource")):
            if block.get(key) is not None:
                stmt[name] = block.get(key)
        if block.get("principals"):
            stmt["Principal"] = _principals(block["principals"])
        if block.get("not_principals"):
            stmt["NotPrincipal"] = _principals(block["not_principals"])
        if block.get("condition"):
            stmt["Condition"] = _conditions(block["condition"])
        if block.get("sid"):
            stmt["Sid"] = block["sid"]
        statements.append(stmt)
    return {"Version": "2012-10-17", "Statement": statements}


def parse_document(text: str) -> dict[str, Any]:
    """A policy JSON string as a dict; DocumentError when it is not a JSON object."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(f"not valid JSON: {exc.msg}") from None
    if not isinstance(doc, dict):
        raise DocumentError("not a JSON object")
    return doc


def policy_document(plan: Plan, resource: Resource, path: str) -> dict[str, Any] | None:
    """The IAM document at ``resource.path``: None when unset; followed into a policy-document data source.

    Raises Undetermined when the document is only known after apply, DocumentError when the
    string is not JSON.
    """
    value = resource.get(path, None)
    if is_blank(value):
        return None
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str):
        return parse_document(value)
    if isinstance(value, Unknown):
        parsed = parse_ref(value.ref)
        if parsed is not None and parsed.mode == "data" and parsed.type == "aws_iam_policy_document":
            for data in plan.resources(type="aws_iam_policy_document", mode="data"):
                if ref_points_to(value.ref, data) and (not parsed.key or data.address.endswith(parsed.key)):
                    return document_from_data(data)
        source = _document_unknown_alike(plan, resource, value)
        if source is not None:
            return document_from_data(source)
        raise Undetermined(value.reason, address=resource.address, path=path, ref=value.ref)
    raise DocumentError(f"unexpected policy value of type {type(value).__name__}")


def _document_unknown_alike(plan: Plan, holder: Resource, value: Unknown) -> Resource | None:
    """The one policy-document data source of ``holder``'s module whose ``json`` is unknown for the same reason.

    An engine that follows ``policy = data.aws_iam_policy_document.x.json`` to its first
    unknown input names that input (often the resource's own ARN, ``aws_s3_bucket.this.arn``),
    not the document. A document of the same module unknown from the same input is that
    document; with several such documents nothing is assumed.
    """
    if not value.ref:
        return None
    module = holder.module_address or ""
    alike = []
    for data in plan.resources(type="aws_iam_policy_document", mode="data"):
        text = data.get("json", None)
        if (data.module_address or "") == module and isinstance(text, Unknown) and text.ref == value.ref:
            alike.append(data)
    return alike[0] if len(alike) == 1 else None


def statements(doc: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """The statements of a document (a single statement object counts as one)."""
    if doc is None:
        return []
    raw = doc.get("Statement")
    if isinstance(raw, Unknown):
        raise Undetermined(raw.reason, path="Statement", ref=raw.ref)
    if isinstance(raw, Mapping):
        return [raw]
    return [s for s in (raw or []) if isinstance(s, Mapping)]


def strings(value: Any, what: str = "value") -> list[str]:
    """A string-or-list IAM field as a list of strings; an Unknown raises Undetermined."""
    if isinstance(value, Unknown):
        raise Undetermined(value.reason, path=what, ref=value.ref)
    out = []
    for item in as_list(value):
        if isinstance(item, Unknown):
            raise Undetermined(item.reason, path=what, ref=item.ref)
        out.append(str(item))
    return out


def effect(stmt: Mapping[str, Any]) -> str:
    """``Allow`` or ``Deny`` (missing means Allow, as the policy-document data source renders it)."""
    value = stmt.get("Effect", "Allow")
    if isinstance(value, Unknown):
        raise Undetermined(value.reason, path="Effect", ref=value.ref)
    return str(value)


def principal_is_public(principal: Any) -> bool:
    """``"*"`` or ``{"AWS": "*"}`` (or a list holding ``"*"``): anyone in any account."""
    if isinstance(principal, Unknown):
        raise Undetermined(principal.reason, path="Principal", ref=principal.ref)
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        aws = principal.get("AWS")
        return "*" in strings(aws, "Principal.AWS") if aws is not None else False
    return False


def document_size(doc: Mapping[str, Any] | str) -> int:
    """Characters AWS counts against policy quotas: the JSON text without white space."""
    text = doc if isinstance(doc, str) else json.dumps(doc, separators=(",", ":"))
    return len(re.sub(r"\s", "", text))


# -- network ------------------------------------------------------------------------------------

def is_open_cidr(cidr: Any) -> bool:
    """True for ``0.0.0.0/0`` and ``::/0`` (any prefix length 0); an Unknown raises Undetermined."""
    if isinstance(cidr, Unknown):
        raise Undetermined(cidr.reason, ref=cidr.ref)
    if not isinstance(cidr, str):
        return False
    try:
        return ipaddress.ip_network(cidr, strict=False).prefixlen == 0
    except ValueError:
        return False


ALL_PROTOCOLS = {"-1", "all"}
PORT_PROTOCOLS = {"tcp", "udp", "6", "17"}


@dataclass(frozen=True)
class NetRule:
    """One security-group or network-ACL rule, normalized across resource shapes."""

    resource: Resource
    direction: str  # "ingress" | "egress"
    cidrs: tuple[Any, ...]
    protocol: Any
    from_port: Any
    to_port: Any
    path: str | None = None
    allow: bool = True

    def open_cidrs(self) -> list[str]:
        """The CIDRs of this rule that mean "anywhere"."""
        return [c for c in self.cidrs if is_open_cidr(c)]

    def all_traffic(self) -> bool:
        """Protocol -1, or TCP/UDP on every port."""
        proto = self.protocol_text()
        if proto in ALL_PROTOCOLS:
            return True
        return proto in PORT_PROTOCOLS and self.port_range() == (0, 65535)

    def protocol_text(self) -> str:
        """The protocol, lower-case; Undetermined when unknown."""
        return str(require_known(self.protocol, address=self.resource.address, path=self.path)).lower()

    def port_range(self) -> tuple[int, int]:
        """(low, high) ports; (0, 65535) for all traffic or an open range."""
        if self.protocol_text() in ALL_PROTOCOLS:
            return (0, 65535)
        low = require_known(self.from_port, address=self.resource.address, path=self.path)
        high = require_known(self.to_port, address=self.resource.address, path=self.path)
        low = 0 if low is None else int(low)
        high = 65535 if high is None else int(high)
        if low == 0 and high == 0:
            # the provider writes 0-0 for "all ports" on some protocols
            return (0, 65535)
        return (low, high)

    def covers(self, port: int) -> bool:
        """Does the rule allow TCP/UDP traffic on ``port``?"""
        proto = self.protocol_text()
        if proto not in ALL_PROTOCOLS and proto not in PORT_PROTOCOLS:
            return False
        low, high = self.port_range()
        return low <= port <= high

    def port_text(self) -> str:
        """``tcp 22``, ``tcp 0-65535``, ``all traffic``."""
        proto = str(self.protocol).lower()
        if proto in ALL_PROTOCOLS:
            return "all traffic"
        if self.from_port == self.to_port:
            return f"{proto} {self.from_port}"
        return f"{proto} {self.from_port}-{self.to_port}"


def _cidrs(block: Mapping[str, Any], *keys: str) -> tuple[Any, ...]:
    out: list[Any] = []
    for key in keys:
        value = block.get(key)
        if isinstance(value, Unknown):
            out.append(value)
        elif isinstance(value, (list, tuple)):
            out.extend(value)
        elif value:
            out.append(value)
    return tuple(out)


def security_group_rules(resource: Resource) -> list[NetRule]:
    """The rules a security-group resource declares, whatever its shape.

    ``aws_security_group`` / ``aws_default_security_group`` (inline ``ingress``/``egress``),
    ``aws_security_group_rule`` and ``aws_vpc_security_group_{ingress,egress}_rule``.
    An inline rule list that is unknown raises Undetermined.
    """
    rtype = resource.type
    if rtype in ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"):
        direction = "ingress" if rtype.endswith("ingress_rule") else "egress"
        v = resource.values
        return [NetRule(resource, direction, _cidrs(v, "cidr_ipv4", "cidr_ipv6"), v.get("ip_protocol"),
                        v.get("from_port"), v.get("to_port"))]
    if rtype == "aws_security_group_rule":
        v = resource.values
        direction = require_known(v.get("type"), address=resource.address, path="type")
        return [NetRule(resource, str(direction), _cidrs(v, "cidr_blocks", "ipv6_cidr_blocks"), v.get("protocol"),
                        v.get("from_port"), v.get("to_port"))]
    out: list[NetRule] = []
    for direction in ("ingress", "egress"):
        blocks = resource.get(direction, None)
        for i, block in enumerate(as_list(blocks, address=resource.address, path=direction)):
            if isinstance(block, Unknown):
                raise Undetermined(block.reason, address=resource.address, path=f"{direction}.{i}", ref=block.ref)
            if isinstance(block, Mapping):
                out.append(NetRule(resource, direction, _cidrs(block, "cidr_blocks", "ipv6_cidr_blocks"),
                                   block.get("protocol"), block.get("from_port"), block.get("to_port"),
                                   path=f"{direction}.{i}"))
    return out


SECURITY_GROUP_TYPES = ("aws_security_group", "aws_security_group_rule", "aws_vpc_security_group_ingress_rule",
                        "aws_vpc_security_group_egress_rule")


def nacl_rules(resource: Resource) -> list[NetRule]:
    """The rules of ``aws_network_acl_rule`` or the inline rules of ``aws_network_acl``/``aws_default_network_acl``."""
    if resource.type == "aws_network_acl_rule":
        v = resource.values
        egress = require_known(v.get("egress", False), address=resource.address, path="egress")
        action = require_known(v.get("rule_action"), address=resource.address, path="rule_action")
        return [NetRule(resource, "egress" if is_true(egress) else "ingress",
                        _cidrs(v, "cidr_block", "ipv6_cidr_block"), v.get("protocol"), v.get("from_port"),
                        v.get("to_port"), allow=str(action).lower() == "allow")]
    out: list[NetRule] = []
    for direction in ("ingress", "egress"):
        for i, block in enumerate(as_list(resource.get(direction, None), address=resource.address, path=direction)):
            if isinstance(block, Mapping):
                action = require_known(block.get("action"), address=resource.address, path=f"{direction}.{i}.action")
                out.append(NetRule(resource, direction, _cidrs(block, "cidr_block", "ipv6_cidr_block"),
                                   block.get("protocol"), block.get("from_port"), block.get("to_port"),
                                   path=f"{direction}.{i}", allow=str(action).lower() == "allow"))
    return out


# -- tags ---------------------------------------------------------------------------------------

#: Common AWS resource types that take tags, for plans that omit an unset ``tags`` attribute (static engine).
TAGGABLE_TYPES = frozenset({
    "aws_vpc", "aws_subnet", "aws_security_group", "aws_internet_gateway", "aws_nat_gateway", "aws_eip",
    "aws_route_table", "aws_vpc_endpoint", "aws_flow_log", "aws_network_acl", "aws_instance", "aws_launch_template",
    "aws_ebs_volume", "aws_s3_bucket", "aws_kms_key", "aws_dynamodb_table", "aws_iam_role", "aws_iam_policy",
    "aws_iam_user", "aws_lambda_function", "aws_db_instance", "aws_rds_cluster", "aws_ecr_repository",
    "aws_eks_cluster", "aws_sns_topic", "aws_sqs_queue", "aws_cloudwatch_log_group", "aws_lb", "aws_elb",
    "aws_guardduty_detector", "aws_budgets_budget", "aws_secretsmanager_secret", "aws_efs_file_system",
    "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_ce_anomaly_monitor",
    "aws_ce_anomaly_subscription", "aws_cloudtrail", "aws_elasticsearch_domain", "aws_opensearch_domain",
})


def is_taggable(resource: Resource, extra_types: Iterable[str] = ()) -> bool:
    """Managed resource with a ``tags``/``tags_all`` attribute, or of a type known to take tags."""
    if resource.mode != "managed":
        return False
    return ("tags" in resource.values or "tags_all" in resource.values or resource.type in TAGGABLE_TYPES
            or resource.type in set(extra_types))


def missing_tags(resource: Resource, required: Iterable[str], default_tags: Mapping[str, Any]) -> list[str]:
    """Required tag keys the resource will not carry; Undetermined when that depends on unknown values.

    Known ``tags_all`` (tags + provider default_tags, as the provider computes them) wins;
    otherwise ``tags`` merged with the ``default_tags`` the caller knows. When keys are
    missing and ``tags_all`` is unknown while no default tags are known, the provider's
    default_tags might still add them: undetermined.
    """
    wanted = list(dict.fromkeys(required))
    tags_all = resource.get("tags_all", None)
    if isinstance(tags_all, Mapping):
        return [k for k in wanted if k not in tags_all]
    tags = resource.get("tags", None)
    if isinstance(tags, Unknown):
        raise Undetermined(tags.reason, address=resource.address, path="tags", ref=tags.ref)
    merged = {**dict(default_tags), **(dict(tags) if isinstance(tags, Mapping) else {})}
    absent = [k for k in wanted if k not in merged]
    if absent and isinstance(tags_all, Unknown) and not default_tags:
        raise Undetermined(f"tags_all is known after apply and the provider's default_tags may add {absent}",
                           address=resource.address, path="tags_all", ref=tags_all.ref)
    return absent


def default_tags_from_plan_json(data: Mapping[str, Any]) -> dict[str, Any]:
    """Constant ``default_tags`` of the root module's ``aws`` provider in ``terraform show -json`` output."""
    config = data.get("configuration") or {}
    providers = config.get("provider_config") or {}
    out: dict[str, Any] = {}
    for key, provider in providers.items():
        if not isinstance(provider, Mapping) or provider.get("name") != "aws" or ("." in key and key != "aws"):
            continue
        blocks = (provider.get("expressions") or {}).get("default_tags") or []
        for block in blocks if isinstance(blocks, list) else [blocks]:
            tags = (block or {}).get("tags") or {}
            value = tags.get("constant_value") if isinstance(tags, Mapping) else None
            if isinstance(value, Mapping):
                out.update(value)
    return out


def stack_required_tags(ctx: PolicyContext) -> list[str]:
    """``settings.harness.required_tags`` of the instance (a list of keys)."""
    raw = ctx.harness.get("required_tags") or []
    if isinstance(raw, Mapping):
        return [str(k) for k in raw]
    return [str(k) for k in raw]
