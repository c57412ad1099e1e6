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

__all__ = [
    "ACTIONS",
    "Deferred",
    "Plan",
    "PlanLookupError",
    "Resource",
    "SourceLocation",
    "Undetermined",
    "Unknown",
    "find_unknown",
    "get_path",
    "is_known",
    "normalize_actions",
    "require_known",
    "split_path",
    "unknown_paths",
]
