"""The engine-independent plan model: what every engine produces and every test reads."""

from harness.plan.model import (
    ACTIONS,
    Deferred,
    Plan,
    PlanLookupError,
    Resource,
    SourceLocation,
    Unknown,
    get_path,
    normalize_actions,
    split_path,
    unknown_paths,
)
from harness.plan.outcome import Undetermined, find_unknown, is_known, require_known
from harness.plan.reads import AttributeRead, focus, record_reads
from harness.plan.sensitive import SENSITIVE_TEXT, Sensitive, reveal

__all__ = [
    "ACTIONS",
    "SENSITIVE_TEXT",
    "AttributeRead",
    "Deferred",
    "Plan",
    "PlanLookupError",
    "Resource",
    "Sensitive",
    "SourceLocation",
    "Undetermined",
    "Unknown",
    "find_unknown",
    "focus",
    "get_path",
    "is_known",
    "normalize_actions",
    "record_reads",
    "require_known",
    "reveal",
    "split_path",
    "unknown_paths",
]
