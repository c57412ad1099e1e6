"""Data-service policies: EFS, ElastiCache, OpenSearch/Elasticsearch, Kinesis and Firehose.

Each reads plain attributes of one resource. As in the other packs an attribute the configuration leaves
unset is "not configured" (a failure when the provider's default is the unsafe value) and one known only
after apply is undetermined (see :mod:`harness.policy.packs._settings`).
"""

from __future__ import annotations

from collections.abc import Iterator

from harness.plan import Plan, Resource
from harness.policy.model import PolicyContext, Violation, violation
from harness.policy.packs._settings import configured_block, flag, setting
from harness.policy.registry import policy

# -- storage and data services ------------------------------------------------------------------


@policy(
    "efs.encrypted",
    title="EFS file systems are encrypted at rest",
    severity="medium",
    controls=("NIST-SC-28", "FSBP-EFS.1"),
    resource_types=("aws_efs_file_system",),
)
def efs_encrypted(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Encryption cannot be added to an existing file system; its data and backups stay readable on the media."""
    if not flag(resource, "encrypted"):
        yield violation(resource, "encrypted is not true", path="encrypted")


@policy(
    "elasticache.encryption-at-rest",
    title="ElastiCache replication groups are encrypted at rest",
    severity="medium",
    controls=("NIST-SC-28", "FSBP-ElastiCache.4"),
    resource_types=("aws_elasticache_replication_group",),
)
def elasticache_at_rest(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Caches hold sessions and query results; unencrypted, their snapshots and swap expose them."""
    if not flag(resource, "at_rest_encryption_enabled"):
        yield violation(resource, "at_rest_encryption_enabled is not true", path="at_rest_encryption_enabled")


@policy(
    "elasticache.encryption-in-transit",
    title="ElastiCache replication groups encrypt traffic in transit (TLS)",
    severity="medium",
    controls=("NIST-SC-8", "NIST-SC-23", "FSBP-ElastiCache.5"),
    resource_types=("aws_elasticache_replication_group",),
)
def elasticache_in_transit(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Without TLS anything on the network path reads session tokens and cached data as they pass."""
    if not flag(resource, "transit_encryption_enabled"):
        yield violation(resource, "transit_encryption_enabled is not true", path="transit_encryption_enabled")


SEARCH_TYPES = ("aws_opensearch_domain", "aws_elasticsearch_domain")


@policy(
    "opensearch.encryption-at-rest",
    title="OpenSearch and Elasticsearch domains are encrypted at rest",
    severity="medium",
    controls=("NIST-SC-28", "FSBP-Opensearch.1", "FSBP-ES.1"),
    resource_types=SEARCH_TYPES,
)
def search_at_rest(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Indexes copy the data they search; unencrypted, their volumes and snapshots expose all of it."""
    if not flag(resource, "encrypt_at_rest.0.enabled"):
        yield violation(resource, "encrypt_at_rest.enabled is not true", path="encrypt_at_rest")


@policy(
    "opensearch.node-to-node-encryption",
    title="OpenSearch and Elasticsearch domains encrypt traffic between nodes",
    severity="medium",
    controls=("NIST-SC-8", "FSBP-Opensearch.3", "FSBP-ES.3"),
    resource_types=SEARCH_TYPES,
)
def search_node_to_node(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Shards and queries travel between nodes in clear text unless node-to-node encryption is on."""
    if not flag(resource, "node_to_node_encryption.0.enabled"):
        yield violation(resource, "node_to_node_encryption.enabled is not true", path="node_to_node_encryption")


@policy(
    "opensearch.https-tls12",
    title="OpenSearch and Elasticsearch domains enforce HTTPS with a TLS 1.2 policy",
    severity="medium",
    controls=("NIST-SC-8", "NIST-SC-13", "FSBP-Opensearch.8", "FSBP-ES.8"),
    resource_types=SEARCH_TYPES,
)
def search_https(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """A domain that accepts plain HTTP or TLS 1.0 hands queries and credentials to anyone on the path."""
    https = flag(resource, "domain_endpoint_options.0.enforce_https")
    tls = setting(resource, "domain_endpoint_options.0.tls_security_policy")
    if not https:
        yield violation(resource, "domain_endpoint_options.enforce_https is not true",
                        path="domain_endpoint_options.0.enforce_https")
    if not str(tls).startswith(("Policy-Min-TLS-1-2", "Policy-Min-TLS-1-3")):
        yield violation(resource, f"tls_security_policy is {tls or 'not set (Policy-Min-TLS-1-0-2019-07)'}, "
                                  "not a TLS 1.2 policy", value=tls,
                        path="domain_endpoint_options.0.tls_security_policy")


@policy(
    "kinesis.encryption",
    title="Kinesis data streams are encrypted with KMS",
    severity="medium",
    controls=("NIST-SC-28", "FSBP-Kinesis.1"),
    resource_types=("aws_kinesis_stream",),
)
def kinesis_encryption(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Records rest in the stream for its whole retention period; unencrypted, they are readable on the media."""
    kind = setting(resource, "encryption_type")
    if kind != "KMS":
        yield violation(resource, f"encryption_type is {kind or 'not set (NONE)'}, not KMS", value=kind,
                        path="encryption_type")


@policy(
    "firehose.encryption",
    title="Firehose delivery streams encrypt buffered data (server-side encryption)",
    severity="medium",
    controls=("NIST-SC-28", "NIST-SC-12"),
    resource_types=("aws_kinesis_firehose_delivery_stream",),
)
def firehose_encryption(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Direct-put records wait in Firehose's buffer until delivered; a Kinesis stream source encrypts its own."""
    if configured_block(resource, "kinesis_source_configuration") is not None:
        return  # Firehose refuses SSE with a Kinesis stream source: kinesis.encryption covers the source
    if not flag(resource, "server_side_encryption.0.enabled"):
        yield violation(resource, "server_side_encryption.enabled is not true", path="server_side_encryption")
