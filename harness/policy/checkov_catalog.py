"""What the harness knows about checkov's checks: a severity and control ids per check id.

Open-source checkov reports no severities, so the harness keeps this table; a check not
in it is ``medium``. Control ids use the same vocabulary as the built-in policies
(CIS AWS Foundations v1.4.0, NIST SP 800-53 rev. 5, AWS FSBP control ids). A finding's
policy id is ``checkov.<CHECK_ID>`` (``checkov.CKV_AWS_18``), so waivers, settings and
thresholds name it like any other policy.
"""

from __future__ import annotations

import re

from harness.policy.model import Policy, Severity, Violation

PREFIX = "checkov."
DEFAULT_SEVERITY = Severity.MEDIUM
POLICY_INDEX = "https://www.checkov.io/5.Policy%20Index/terraform.html"
ID_GLOB = re.compile(r"^checkov\.[A-Za-z0-9_*?\[\]!-]+$")

# check id -> (severity, controls)
TABLE: dict[str, tuple[str, tuple[str, ...]]] = {
    # S3
    "CKV_AWS_18": ("low", ("NIST-AU-2", "NIST-AU-12", "FSBP-S3.9")),
    "CKV_AWS_19": ("medium", ("CIS-2.1.1", "NIST-SC-28")),
    "CKV_AWS_20": ("high", ("NIST-AC-3", "FSBP-S3.2")),
    "CKV_AWS_21": ("medium", ("NIST-CP-9", "NIST-SI-12", "FSBP-S3.14")),
    "CKV_AWS_53": ("high", ("CIS-2.1.5", "FSBP-S3.8")),
    "CKV_AWS_54": ("high", ("CIS-2.1.5", "FSBP-S3.8")),
    "CKV_AWS_55": ("high", ("CIS-2.1.5", "FSBP-S3.8")),
    "CKV_AWS_56": ("high", ("CIS-2.1.5", "FSBP-S3.8")),
    "CKV_AWS_57": ("critical", ("NIST-AC-3", "FSBP-S3.3")),
    "CKV_AWS_70": ("high", ("NIST-AC-3", "NIST-AC-6", "FSBP-S3.6")),
    "CKV_AWS_144": ("low", ("NIST-CP-9", "FSBP-S3.7")),
    "CKV_AWS_145": ("medium", ("CIS-2.1.1", "NIST-SC-28", "FSBP-S3.17")),
    "CKV2_AWS_6": ("high", ("CIS-2.1.5", "NIST-AC-21", "FSBP-S3.8")),
    "CKV2_AWS_61": ("low", ("NIST-SI-12", "FSBP-S3.13")),
    "CKV2_AWS_62": ("low", ("NIST-SI-4", "FSBP-S3.11")),
    # network
    "CKV_AWS_23": ("low", ("NIST-CM-6",)),
    "CKV_AWS_24": ("critical", ("CIS-5.2", "NIST-AC-17", "FSBP-EC2.13")),
    "CKV_AWS_25": ("critical", ("CIS-5.2", "NIST-AC-17", "FSBP-EC2.14")),
    "CKV_AWS_260": ("high", ("NIST-SC-7", "FSBP-EC2.19")),
    "CKV_AWS_277": ("critical", ("NIST-SC-7", "FSBP-EC2.18")),
    "CKV_AWS_382": ("low", ("NIST-SC-7", "NIST-AC-4")),
    "CKV_AWS_130": ("medium", ("NIST-AC-4", "FSBP-EC2.15")),
    "CKV_AWS_88": ("high", ("NIST-AC-4", "FSBP-EC2.9")),
    "CKV2_AWS_5": ("low", ("NIST-CM-7",)),
    "CKV2_AWS_11": ("medium", ("CIS-3.9", "NIST-AU-12", "FSBP-EC2.6")),
    "CKV2_AWS_12": ("medium", ("CIS-5.3", "NIST-AC-4", "FSBP-EC2.2")),
    # IAM
    "CKV_AWS_1": ("critical", ("CIS-1.16", "NIST-AC-6", "FSBP-IAM.1")),
    "CKV_AWS_40": ("medium", ("CIS-1.15", "NIST-AC-2", "FSBP-IAM.2")),
    "CKV_AWS_60": ("high", ("NIST-AC-3", "NIST-AC-6")),
    "CKV_AWS_61": ("high", ("NIST-AC-3", "NIST-AC-6")),
    "CKV_AWS_62": ("critical", ("CIS-1.16", "NIST-AC-6", "FSBP-IAM.1")),
    "CKV_AWS_63": ("high", ("NIST-AC-6", "FSBP-IAM.21")),
    "CKV_AWS_107": ("high", ("NIST-AC-6",)),
    "CKV_AWS_108": ("high", ("NIST-AC-6",)),
    "CKV_AWS_109": ("high", ("NIST-AC-6",)),
    "CKV_AWS_110": ("high", ("NIST-AC-6",)),
    "CKV_AWS_111": ("high", ("NIST-AC-6",)),
    "CKV_AWS_286": ("high", ("NIST-AC-6",)),
    "CKV_AWS_287": ("high", ("NIST-AC-6",)),
    "CKV_AWS_288": ("high", ("NIST-AC-6",)),
    "CKV_AWS_289": ("high", ("NIST-AC-6",)),
    "CKV_AWS_290": ("high", ("NIST-AC-6",)),
    "CKV_AWS_355": ("high", ("NIST-AC-6",)),
    "CKV_AWS_356": ("medium", ("NIST-AC-6",)),
    # KMS
    "CKV_AWS_7": ("medium", ("CIS-3.8", "NIST-SC-12", "FSBP-KMS.4")),
    "CKV_AWS_33": ("high", ("NIST-AC-3", "NIST-SC-12")),
    "CKV_AWS_227": ("low", ("NIST-SC-12",)),
    "CKV2_AWS_64": ("medium", ("NIST-AC-3", "NIST-SC-12")),
    # logging and detection
    "CKV_AWS_35": ("medium", ("CIS-3.7", "NIST-SC-28", "FSBP-CloudTrail.2")),
    "CKV_AWS_36": ("medium", ("CIS-3.2", "NIST-AU-9", "FSBP-CloudTrail.4")),
    "CKV_AWS_66": ("low", ("NIST-AU-11",)),
    "CKV_AWS_67": ("high", ("CIS-3.1", "NIST-AU-12", "FSBP-CloudTrail.1")),
    "CKV_AWS_158": ("medium", ("NIST-SC-28", "NIST-AU-9")),
    "CKV_AWS_252": ("low", ("NIST-AU-6",)),
    "CKV_AWS_338": ("low", ("NIST-AU-11",)),
    "CKV2_AWS_3": ("high", ("NIST-SI-4", "FSBP-GuardDuty.1")),
    "CKV2_AWS_10": ("low", ("CIS-3.4", "NIST-AU-6", "FSBP-CloudTrail.5")),
    # databases
    "CKV_AWS_16": ("high", ("CIS-2.3.1", "NIST-SC-28", "FSBP-RDS.3")),
    "CKV_AWS_17": ("critical", ("NIST-AC-3", "NIST-SC-7", "FSBP-RDS.2")),
    "CKV_AWS_28": ("medium", ("NIST-CP-9", "FSBP-DynamoDB.2")),
    "CKV_AWS_119": ("low", ("NIST-SC-28", "NIST-SC-12")),
    "CKV_AWS_129": ("low", ("NIST-AU-2", "FSBP-RDS.9")),
    "CKV_AWS_133": ("medium", ("NIST-CP-9", "FSBP-RDS.11")),
    "CKV_AWS_157": ("low", ("NIST-CP-10", "FSBP-RDS.5")),
    "CKV_AWS_161": ("low", ("NIST-AC-2", "FSBP-RDS.10")),
    "CKV_AWS_226": ("low", ("NIST-SI-2", "FSBP-RDS.13")),
    "CKV_AWS_293": ("medium", ("NIST-CP-9", "FSBP-RDS.8")),
    # secrets and messaging
    "CKV_AWS_26": ("medium", ("NIST-SC-28", "FSBP-SNS.1")),
    "CKV_AWS_27": ("medium", ("NIST-SC-28", "FSBP-SQS.1")),
    "CKV_AWS_149": ("medium", ("NIST-SC-28", "NIST-SC-12")),
    "CKV2_AWS_57": ("medium", ("NIST-IA-5", "FSBP-SecretsManager.1")),
    # compute
    "CKV_AWS_3": ("medium", ("CIS-2.2.1", "NIST-SC-28", "FSBP-EC2.3")),
    "CKV_AWS_8": ("medium", ("NIST-SC-28",)),
    "CKV_AWS_45": ("high", ("NIST-IA-5", "NIST-SC-28")),
    "CKV_AWS_79": ("medium", ("NIST-AC-3", "FSBP-EC2.8")),
    "CKV_AWS_117": ("low", ("NIST-SC-7", "FSBP-Lambda.3")),
    "CKV_AWS_363": ("medium", ("NIST-SI-2", "FSBP-Lambda.2")),
    "CKV_AWS_39": ("high", ("NIST-AC-3", "FSBP-EKS.1")),
    "CKV_AWS_58": ("medium", ("NIST-SC-28", "FSBP-EKS.3")),
    "CKV_AWS_163": ("medium", ("NIST-RA-5", "FSBP-ECR.1")),
    "CKV_AWS_173": ("low", ("NIST-SC-28", "NIST-SC-12")),
    "CKV_AWS_50": ("low", ("NIST-AU-12", "NIST-SI-4")),
    "CKV_AWS_116": ("low", ("NIST-CP-10", "NIST-SI-11")),
    "CKV_AWS_301": ("high", ("NIST-AC-3", "NIST-AC-21", "FSBP-Lambda.1")),
    "CKV_AWS_258": ("high", ("NIST-AC-3", "NIST-SC-7")),
    "CKV_AWS_38": ("high", ("NIST-AC-3", "NIST-SC-7", "FSBP-EKS.1")),
    "CKV_AWS_37": ("medium", ("NIST-AU-2", "NIST-AU-12", "FSBP-EKS.8")),
    "CKV_AWS_51": ("medium", ("NIST-CM-2", "NIST-CM-8", "FSBP-ECR.2")),
    "CKV_AWS_136": ("low", ("NIST-SC-28", "NIST-SC-12")),
    "CKV_AWS_334": ("high", ("NIST-AC-6", "FSBP-ECS.4")),
    "CKV_AWS_336": ("medium", ("NIST-AC-6", "NIST-CM-7", "FSBP-ECS.5")),
    "CKV_AWS_147": ("low", ("NIST-SC-28", "NIST-SC-12")),
    "CKV_AWS_316": ("high", ("NIST-AC-6", "FSBP-CodeBuild.5")),
    # load balancers and API Gateway
    "CKV_AWS_2": ("medium", ("NIST-SC-8", "FSBP-ELB.1")),
    "CKV_AWS_91": ("low", ("NIST-AU-2", "FSBP-ELB.5")),
    "CKV_AWS_103": ("medium", ("NIST-SC-8", "NIST-SC-13")),
    "CKV_AWS_131": ("medium", ("NIST-SC-8", "FSBP-ELB.4")),
    "CKV_AWS_150": ("low", ("NIST-CP-9", "FSBP-ELB.6")),
    "CKV_AWS_92": ("low", ("NIST-AU-2", "NIST-AU-12", "FSBP-ELB.5")),
    "CKV2_AWS_20": ("medium", ("NIST-SC-8", "NIST-SC-23", "FSBP-ELB.1")),
    "CKV_AWS_59": ("high", ("NIST-AC-3",)),
    "CKV_AWS_76": ("medium", ("NIST-AU-2", "FSBP-APIGateway.1")),
    "CKV_AWS_206": ("medium", ("NIST-SC-8", "NIST-SC-13")),
    # CloudFront and WAF
    "CKV_AWS_34": ("medium", ("NIST-SC-8", "NIST-SC-23", "FSBP-CloudFront.3")),
    "CKV_AWS_174": ("medium", ("NIST-SC-8", "NIST-SC-13")),
    "CKV_AWS_86": ("low", ("NIST-AU-2", "NIST-AU-12", "FSBP-CloudFront.5")),
    "CKV_AWS_68": ("medium", ("NIST-SC-7", "NIST-SI-4", "FSBP-CloudFront.6")),
    "CKV2_AWS_31": ("low", ("NIST-AU-2", "NIST-AU-12", "NIST-SI-4")),
    # file systems, caches, search and streams
    "CKV_AWS_42": ("medium", ("NIST-SC-28", "FSBP-EFS.1")),
    "CKV_AWS_29": ("medium", ("NIST-SC-28", "FSBP-ElastiCache.4")),
    "CKV_AWS_30": ("medium", ("NIST-SC-8", "NIST-SC-23", "FSBP-ElastiCache.5")),
    "CKV_AWS_5": ("medium", ("NIST-SC-28", "FSBP-Opensearch.1", "FSBP-ES.1")),
    "CKV_AWS_6": ("medium", ("NIST-SC-8", "FSBP-Opensearch.3", "FSBP-ES.3")),
    "CKV_AWS_83": ("medium", ("NIST-SC-8", "FSBP-Opensearch.8", "FSBP-ES.8")),
    "CKV_AWS_228": ("medium", ("NIST-SC-8", "NIST-SC-13", "FSBP-Opensearch.8", "FSBP-ES.8")),
    "CKV_AWS_43": ("medium", ("NIST-SC-28", "FSBP-Kinesis.1")),
    "CKV_AWS_240": ("medium", ("NIST-SC-28", "NIST-SC-12")),
}


def policy_id(check_id: str) -> str:
    """``CKV_AWS_18`` -> ``checkov.CKV_AWS_18``."""
    return f"{PREFIX}{check_id}"


def severity_of(check_id: str) -> Severity:
    """The mapped severity, ``medium`` when the table does not know the check."""
    entry = TABLE.get(check_id)
    return DEFAULT_SEVERITY if entry is None else Severity.parse(entry[0])


def controls_of(check_id: str) -> tuple[str, ...]:
    """The control ids the check maps to (empty when unknown)."""
    entry = TABLE.get(check_id)
    return () if entry is None else entry[1]


def _no_check(*_: object) -> list[Violation]:
    return []  # checkov runs the check; the harness only holds its metadata


def checkov_policy(check_id: str, title: str = "", guideline: str | None = None) -> Policy:
    """A catalog entry for one checkov check (origin ``checkov``; evaluated by checkov, not by the harness)."""
    return Policy(id=policy_id(check_id), title=title or check_id, severity=severity_of(check_id), check=_no_check,
                  rationale=guideline or POLICY_INDEX, controls=controls_of(check_id), origin="checkov")


def table_policies() -> list[Policy]:
    """The checks the table maps, as catalog entries (what ``harness policies`` lists without checkov)."""
    return [checkov_policy(check_id) for check_id in sorted(TABLE)]
