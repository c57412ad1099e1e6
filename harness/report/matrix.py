"""The stack x component matrix both renderers draw: one cell per (stack, component), worst status wins."""

from __future__ import annotations

from dataclasses import dataclass

from harness.report.model import NOT_DEPLOYED, InstanceSummary, Report

ICONS = {"passed": "✅", "failed": "❌", "undetermined": "❔", "skipped": "⏭", NOT_DEPLOYED: "—"}
#: Plain glyphs for the HTML page: every common font has them (emoji need an emoji font).
GLYPHS = {"passed": "✓", "failed": "✗", "undetermined": "?", "skipped": "»", NOT_DEPLOYED: "—"}
LABELS = {"passed": "passed", "failed": "failed", "undetermined": "undetermined (known after apply)",
          "skipped": "skipped", NOT_DEPLOYED: "not deployed"}


@dataclass(frozen=True)
class Cell:
    """One matrix cell; ``instance`` is None where the stack does not deploy the component."""

    stack: str
    component: str
    instance: InstanceSummary | None

    @property
    def status(self) -> str:
        """passed | failed | undetermined | skipped | not-deployed."""
        return NOT_DEPLOYED if self.instance is None else self.instance.status

    @property
    def icon(self) -> str:
        """The status as one glyph."""
        return ICONS[self.status]

    @property
    def counts(self) -> str:
        """``passed/total`` tests, plus ``⚑n`` failing and ``?n`` undetermined findings; empty when not deployed."""
        inst = self.instance
        if inst is None:
            return ""
        text = f"{inst.tests['passed']}/{inst.total}"
        if inst.findings["fail"]:
            text += f" ⚑{inst.findings['fail']}"
        if inst.findings["undetermined"]:
            text += f" ?{inst.findings['undetermined']}"
        return text

    @property
    def text(self) -> str:
        """Icon and counts, as a Markdown cell shows them."""
        return f"{self.icon} {self.counts}".strip()

    @property
    def glyph_text(self) -> str:
        """Glyph and counts, as an HTML cell shows them."""
        return f"{GLYPHS[self.status]} {self.counts}".strip()


@dataclass(frozen=True)
class Matrix:
    """Rows are stacks, columns components, both sorted."""

    stacks: list[str]
    components: list[str]
    rows: list[list[Cell]]

    def cell(self, stack: str, component: str) -> Cell:
        """The cell of one (stack, component)."""
        return self.rows[self.stacks.index(stack)][self.components.index(component)]


def build_matrix(report: Report) -> Matrix:
    """The matrix of every instance in the report (tests, findings or engines name it)."""
    instances = {(i.stack, i.component): i for i in report.instances()}
    stacks = sorted({s for s, _ in instances})
    components = sorted({c for _, c in instances})
    rows = [[Cell(s, c, instances.get((s, c))) for c in components] for s in stacks]
    return Matrix(stacks=stacks, components=components, rows=rows)
