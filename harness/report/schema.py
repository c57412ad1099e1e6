"""The JSON Schema of the report format (version 1), used by ``load_report`` and quoted in docs/report-format.md.

Kept in Python so the package ships it without data-file configuration; the schema is strict on the
facts the gate and the renderers read and open (``additionalProperties``) on the environment, so a
newer harness may add environment facts without a format bump.
"""

from __future__ import annotations

from typing import Any

from harness.report.model import (
    FINDING_STATUSES,
    FORMAT,
    INSTANCE_STATUSES,
    OUTCOMES,
    SEVERITIES,
    TEST_KINDS,
    WAIVER_STATES,
)

_STR_OR_NULL: dict[str, Any] = {"type": ["string", "null"]}
_COUNT: dict[str, Any] = {"type": "integer", "minimum": 0}

_TEST: dict[str, Any] = {
    "type": "object",
    "required": ["nodeid", "outcome", "stack", "component", "reason", "duration", "longrepr"],
    "additionalProperties": False,
    "properties": {
        "nodeid": {"type": "string", "minLength": 1},
        "outcome": {"enum": list(OUTCOMES)},
        "stack": _STR_OR_NULL,
        "component": _STR_OR_NULL,
        "reason": _STR_OR_NULL,
        "duration": {"type": "number", "minimum": 0},
        "longrepr": _STR_OR_NULL,
        "kind": {"enum": [*TEST_KINDS, None]},
    },
}

_RUN: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "commit": _STR_OR_NULL,
        "ref": _STR_OR_NULL,
        "dirty": {"type": ["boolean", "null"]},
        "exit_status": {"type": ["integer", "null"]},
        "usage_error": {"type": "boolean"},
        "interrupted": {"type": "boolean"},
        "collection_errors": _COUNT,
        "fail_on": _STR_OR_NULL,
    },
}

_FINDING: dict[str, Any] = {
    "type": "object",
    "required": ["policy", "severity", "status", "stack", "component", "address", "file", "line", "message",
                 "controls"],
    "additionalProperties": False,
    "properties": {
        "policy": {"type": "string", "minLength": 1},
        "title": _STR_OR_NULL,
        "severity": {"enum": list(SEVERITIES)},
        "status": {"enum": list(FINDING_STATUSES)},
        "stack": {"type": "string"},
        "component": {"type": "string"},
        "address": _STR_OR_NULL,
        "file": _STR_OR_NULL,
        "line": {"type": ["integer", "null"]},
        "message": {"type": "string"},
        "controls": {"type": "array", "items": {"type": "string"}},
        "waiver": {
            "type": ["object", "null"],
            "properties": {"reason": _STR_OR_NULL, "expires": _STR_OR_NULL, "ticket": _STR_OR_NULL},
        },
    },
}

_WAIVER: dict[str, Any] = {
    "type": "object",
    "required": ["status", "policy", "stack", "resources", "reason", "expires"],
    "additionalProperties": False,
    "properties": {
        "status": {"enum": list(WAIVER_STATES)},
        "policy": {"type": "string"},
        "stack": {"type": "string"},
        "component": _STR_OR_NULL,
        "resources": {"type": "array", "items": {"type": "string"}},
        "reason": {"type": "string"},
        "expires": _STR_OR_NULL,
        "ticket": _STR_OR_NULL,
        "index": {"type": ["integer", "null"]},
    },
}

_COUNTS_OF = {name: _COUNT for name in OUTCOMES}

REPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "atmos-harness report",
    "type": "object",
    "required": ["format", "version", "created", "environment", "shard", "summary", "instances", "tests",
                 "findings", "waivers", "durations", "retries"],
    "additionalProperties": False,
    "properties": {
        "format": {"const": FORMAT},
        "version": {"const": 1},
        "created": {"type": "string"},
        "environment": {
            "type": "object",
            "properties": {
                "harness": _STR_OR_NULL,
                "python": _STR_OR_NULL,
                "platform": _STR_OR_NULL,
                "terraform": _STR_OR_NULL,
                "providers": {"type": "object", "additionalProperties": {"type": "string"}},
                "engines": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
        "shard": {"type": ["string", "null"], "pattern": r"^[0-9]+/[0-9]+$"},
        "summary": {
            "type": "object",
            "required": ["tests", "instances", "findings", "waivers", "retries", "ok"],
            "properties": {
                "tests": {"type": "object", "properties": {"total": _COUNT, **_COUNTS_OF}},
                "instances": {"type": "object", "properties": {s: _COUNT for s in ("total", *INSTANCE_STATUSES)}},
                "findings": {"type": "object"},
                "waivers": {"type": "object", "properties": {s: _COUNT for s in WAIVER_STATES}},
                "retries": _COUNT,
                "ok": {"type": "boolean"},
            },
        },
        "instances": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "stack", "component", "status", "engine", "tests", "findings"],
                "properties": {
                    "id": {"type": "string"},
                    "stack": {"type": "string"},
                    "component": {"type": "string"},
                    "status": {"enum": list(INSTANCE_STATUSES)},
                    "engine": _STR_OR_NULL,
                    "tests": {"type": "object", "properties": _COUNTS_OF},
                    "findings": {"type": "object", "properties": {s: _COUNT for s in FINDING_STATUSES}},
                },
            },
        },
        "tests": {"type": "array", "items": _TEST},
        "findings": {"type": "array", "items": _FINDING},
        "waivers": {"type": "array", "items": _WAIVER},
        "durations": {
            "type": "object",
            "required": ["total"],
            "properties": {
                "total": {"type": "number", "minimum": 0},
                "by_instance": {"type": "object", "additionalProperties": {"type": "number"}},
                "slowest": {"type": "array"},
            },
        },
        "retries": _COUNT,
        "run": _RUN,
    },
}
