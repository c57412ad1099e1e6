"""The HTML report: self-contained, escaped, and checked in a real headless Chromium (DOM and screenshot).

Chromium is Debian's (``apt-get install -y chromium``, see docs/testing.md); the browser tests skip
with that instruction when /usr/bin/chromium is absent. The screenshot is kept as a test artifact
in ``artifacts/`` (gitignored) at the repository root.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import struct
import subprocess
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from harness.report import render_html
from harness.report.html import script_hash

from .conftest import Run, T, finding, full_run
from .test_merge import cli

REPO = Path(__file__).resolve().parents[4]
ARTIFACTS = REPO / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed at /usr/bin/chromium (apt-get install -y chromium; docs/testing.md)",
)

EVIL_STACK = 'evil"><img src=x onerror="document.body.dataset.pwned=1">'
EVIL_MESSAGE = "<script>document.body.dataset.pwned=2</script></td></tr></table><b>bold</b>"


def page_run() -> Run:
    """The sample run plus an instance whose stack name and finding message try to inject markup."""
    run = full_run()
    return run.but(tests=[*run.tests, T("test_x", EVIL_STACK, "vpc", outcome="failed", reason=EVIL_MESSAGE)],
                   findings=[*run.findings, finding("p.evil", "high", EVIL_STACK, "vpc", "a.b", message=EVIL_MESSAGE)])


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element] = field(default_factory=list)
    text_parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.text_parts) + "".join(c.text for c in self.children)

    def iter(self) -> list[Element]:
        out = [self]
        for child in self.children:
            out.extend(child.iter())
        return out

    def find_all(self, tag: str, **attrs: str) -> list[Element]:
        return [e for e in self.iter() if e.tag == tag and all(e.attrs.get(k.replace("_", "-")) == v
                                                                for k, v in attrs.items())]

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


VOID = {"meta", "link", "br", "img", "input", "hr", "source", "wbr", "col", "area", "base", "embed"}


class TreeBuilder(HTMLParser):
    """A minimal DOM from Chromium's --dump-dom output (which is well-formed serialized HTML)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].text_parts.append(data)


def parse(text: str) -> Element:
    builder = TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "chromium-profile"
    profile.mkdir(exist_ok=True)
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, f"chromium failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
    return proc


def with_test_script(page: str, script: str) -> str:
    """The page plus a script that drives it, allowed by adding its hash to the page's own CSP."""
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    allowed = html.escape(script_hash())  # as it stands in the CSP meta's content attribute
    assert allowed in page
    extra = html.escape(f"'sha256-{digest}'")
    page = page.replace(allowed, f"{allowed} {extra}", 1)
    return page.replace("</body>", f"<script>{script}</script>\n</body>", 1)


CLICK = """
document.querySelector('td.cell[data-stack="plat-ue1-prod"][data-component="vpc"] a').click();
document.body.setAttribute("data-test-clicked", "1");
"""


def expected_cells() -> dict[tuple[str, str], str]:
    cells = {
        ("core-ue1-prod", "iam_role"): "skipped", ("core-ue1-prod", "log_bucket"): "undetermined",
        ("core-ue1-prod", "vpc"): "not-deployed",
        ("plat-ue1-dev", "iam_role"): "not-deployed", ("plat-ue1-dev", "log_bucket"): "failed",
        ("plat-ue1-dev", "vpc"): "passed",
        ("plat-ue1-prod", "iam_role"): "not-deployed", ("plat-ue1-prod", "log_bucket"): "passed",
        ("plat-ue1-prod", "vpc"): "failed",
    }
    cells.update({(EVIL_STACK, "iam_role"): "not-deployed", (EVIL_STACK, "log_bucket"): "not-deployed",
                  (EVIL_STACK, "vpc"): "failed"})
    return cells


def test_the_page_is_self_contained_and_escaped() -> None:
    page = render_html(page_run().report())
    assert page.count("<script>") == 1 and "<img" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;document.body.dataset.pwned=2&lt;/script&gt;" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)|url\(|@import|<link\b|<iframe\b""", page)
    assert re.search(r"""<meta http-equiv="Content-Security-Policy" content="default-src &#x27;none&#x27;;""", page)


@needs_chromium
def test_matrix_cells_and_drill_down_in_chromium(tmp_path: Path) -> None:
    page = render_html(page_run().report(), title="Release 2025.06")
    path = tmp_path / "report.html"
    path.write_text(with_test_script(page, CLICK), encoding="utf-8")
    dom = parse(chromium(tmp_path, "--dump-dom", path.as_uri()).stdout)

    (body,) = dom.find_all("body")
    assert body.attrs.get("data-ready") == "1", "the page's own script did not run (CSP hash?)"
    assert body.attrs.get("data-test-clicked") == "1"
    assert "data-pwned" not in body.attrs
    assert dom.find_all("img") == []
    assert not any(b.text == "bold" for b in dom.find_all("b"))
    assert len(dom.find_all("script")) == 2  # the page's and the test's, nothing injected

    cells = {(c.attrs["data-stack"], c.attrs["data-component"]): c for c in dom.find_all("td")
             if "cell" in c.classes}
    assert {k: c.attrs["data-status"] for k, c in cells.items()} == expected_cells()
    for cell in cells.values():
        assert f"status-{cell.attrs['data-status']}" in cell.classes
    assert cells[("plat-ue1-prod", "vpc")].text.strip() == "✗ 1/2 ⚑1"
    assert cells[("core-ue1-prod", "vpc")].text.strip() == "—"

    opened = [d for d in dom.find_all("details") if "instance" in d.classes and "open" in d.attrs]
    assert [(d.attrs["data-stack"], d.attrs["data-component"]) for d in opened] == [("plat-ue1-prod", "vpc")]
    assert "selected" in opened[0].classes
    detail = opened[0].text
    assert "tests/unit/components/test_vpc.py::test_flow_logs[plat-ue1-prod]" in detail
    assert "AssertionError: prod VPCs must ship flow logs" in detail
    assert "network.flow-logs" in detail and "CIS-AWS-3.9" in detail and "aws_vpc.this" in detail

    evil = next(d for d in dom.find_all("details") if d.attrs.get("data-stack") == EVIL_STACK)
    assert EVIL_MESSAGE in evil.text  # shown as text, not markup


@needs_chromium
def test_screenshot_of_the_matrix_is_kept_as_an_artifact(tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    html_path = ARTIFACTS / "harness-report.html"
    png_path = ARTIFACTS / "harness-report.png"
    png_path.unlink(missing_ok=True)
    report = full_run().write(tmp_path / "report.json")
    assert cli("report", "html", str(report), "-o", str(html_path)) == 0
    chromium(tmp_path, f"--screenshot={png_path}", "--window-size=1280,900", "--hide-scrollbars",
             html_path.as_uri())
    data = png_path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 900)
    assert len(data) > 20_000, f"screenshot is only {len(data)} bytes: a blank page?"
