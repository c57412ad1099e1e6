"""Run reports: the JSON format, shard merge, Markdown and HTML renderings, and the release gate.

The pytest plugin fills a ``ReportBuilder`` during a run (``record_phase`` maps each pytest phase
report) and writes one JSON file (per shard);
``merge_reports`` joins shard reports into the full run's; ``render_markdown``/``render_html``
show it; ``evaluate_gate`` decides whether a release may proceed. See docs/report-format.md.
"""

from harness.report.collect import classify, record_phase, split_instance
from harness.report.gate import GateResult, evaluate_gate
from harness.report.html import render_html
from harness.report.markdown import render_markdown
from harness.report.matrix import Cell, Matrix, build_matrix
from harness.report.merge import merge_environments, merge_files, merge_reports, missing_shards
from harness.report.model import (
    FINDING_STATUSES,
    FORMAT,
    OUTCOMES,
    SEVERITIES,
    VERSION,
    WAIVER_STATES,
    InstanceSummary,
    Report,
    ReportBuilder,
    ReportError,
    TestRecord,
    load_report,
    report_from_data,
)
from harness.report.schema import REPORT_SCHEMA

__all__ = [
    "FINDING_STATUSES",
    "FORMAT",
    "OUTCOMES",
    "REPORT_SCHEMA",
    "SEVERITIES",
    "VERSION",
    "WAIVER_STATES",
    "Cell",
    "GateResult",
    "InstanceSummary",
    "Matrix",
    "Report",
    "ReportBuilder",
    "ReportError",
    "TestRecord",
    "build_matrix",
    "classify",
    "evaluate_gate",
    "load_report",
    "merge_environments",
    "merge_files",
    "merge_reports",
    "missing_shards",
    "record_phase",
    "render_html",
    "render_markdown",
    "report_from_data",
    "split_instance",
]
