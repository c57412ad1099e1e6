"""The report as one self-contained HTML page: the stack x component matrix at a glance, with drill-down.

No network asset of any kind (inline CSS and JS; a Content-Security-Policy forbids everything
else, and allows only the page's own script by its hash). Every value from the report is HTML-escaped,
so a hostile stack name, test id or finding message renders as text. The page works without
JavaScript (cells link to ``<details>`` per instance); the script only opens the clicked instance
and filters the matrix.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Iterable
from typing import Any

from harness.report.matrix import GLYPHS, LABELS, Cell, build_matrix
from harness.report.model import NOT_DEPLOYED, InstanceSummary, Report, TestRecord, severity_rank

_STATUS_ORDER = {"fail": 0, "undetermined": 1, "waived": 2}

_CSS = """
:root { --ok:#1a7f37; --ok-bg:#dafbe1; --bad:#cf222e; --bad-bg:#ffebe9; --und:#9a6700; --und-bg:#fff8c5;
        --skip:#57606a; --skip-bg:#eaeef2; --none:#8c959f; --none-bg:#f6f8fa; --line:#d0d7de; }
* { box-sizing: border-box; }
body { font: 14px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0; color: #1f2328; }
header { padding: 16px 24px; border-bottom: 1px solid var(--line); background: #f6f8fa; }
header h1 { margin: 0 0 6px; font-size: 22px; }
main { padding: 8px 24px 48px; }
h2 { font-size: 18px; margin: 24px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 600; margin-left: 8px; }
.verdict.passed { background: var(--ok-bg); color: var(--ok); }
.verdict.failed { background: var(--bad-bg); color: var(--bad); }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 10px 0 4px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; background: #fff; min-width: 150px; }
.card b { display: block; font-size: 20px; }
.muted, .env { color: #57606a; font-size: 12px; }
.matrix-wrap { overflow: auto; max-height: 75vh; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; }
table.matrix th, table.matrix td { border: 1px solid var(--line); padding: 0; text-align: center; }
table.matrix thead th { position: sticky; top: 0; background: #f6f8fa; padding: 6px 8px; z-index: 1; }
table.matrix tbody th { position: sticky; left: 0; background: #f6f8fa; padding: 4px 10px; text-align: left;
                        white-space: nowrap; }
table.matrix td a, table.matrix td span { display: block; padding: 6px 10px; min-width: 84px;
                                          color: inherit; text-decoration: none; white-space: nowrap; }
table.matrix td a:hover { outline: 2px solid #0969da; outline-offset: -2px; }
.status-passed { background: var(--ok-bg); color: var(--ok); }
.status-failed { background: var(--bad-bg); color: var(--bad); font-weight: 600; }
.status-undetermined { background: var(--und-bg); color: var(--und); }
.status-skipped { background: var(--skip-bg); color: var(--skip); }
.status-not-deployed { background: var(--none-bg); color: var(--none); }
.legend span { display: inline-block; padding: 1px 8px; border-radius: 10px; margin: 2px 4px 2px 0;
               font-size: 12px; }
details.instance { border: 1px solid var(--line); border-radius: 6px; margin: 6px 0; }
details.instance > summary { padding: 6px 10px; cursor: pointer; }
details.instance > div { padding: 4px 12px 10px; }
details.instance.selected { box-shadow: 0 0 0 3px #0969da55; }
.test { border-left: 4px solid var(--line); padding: 2px 8px; margin: 6px 0; }
.test.outcome-failed, .test.outcome-error { border-color: var(--bad); }
.test.outcome-undetermined { border-color: #d4a72c; }
.test.outcome-skipped { border-color: var(--skip); }
pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 8px; overflow: auto;
      max-height: 320px; font-size: 12px; white-space: pre-wrap; }
code { font-size: 12px; }
table.findings { width: 100%; font-size: 13px; }
table.findings th, table.findings td { border: 1px solid var(--line); padding: 4px 6px; text-align: left;
                                       vertical-align: top; }
table.findings th { background: #f6f8fa; }
.sev-critical { color: #fff; background: #82071e; }
.sev-high { color: #fff; background: var(--bad); }
.sev-medium { background: #ffd8b5; }
.sev-low { background: var(--und-bg); }
.sev-info { background: var(--skip-bg); }
.sev { padding: 0 6px; border-radius: 8px; font-size: 12px; white-space: nowrap; }
"""

_SCRIPT = """
(function () {
  "use strict";
  function openInstance(id) {
    var target = document.getElementById(id);
    if (!target || !target.classList.contains("instance")) { return; }
    document.querySelectorAll("details.instance.selected").forEach(function (d) { d.classList.remove("selected"); });
    target.open = true;
    target.classList.add("selected");
  }
  document.querySelectorAll("table.matrix td.cell a, a.instance-link").forEach(function (a) {
    a.addEventListener("click", function () { openInstance(a.getAttribute("href").slice(1)); });
  });
  window.addEventListener("hashchange", function () { openInstance(location.hash.slice(1)); });
  if (location.hash) { openInstance(location.hash.slice(1)); }
  var only = document.getElementById("only-problems");
  if (only) {
    only.addEventListener("change", function () {
      document.querySelectorAll("table.matrix tbody tr").forEach(function (tr) {
        tr.hidden = only.checked && tr.getAttribute("data-problems") !== "1";
      });
    });
  }
  document.body.setAttribute("data-ready", "1");
})();
"""


def e(value: Any) -> str:
    """HTML-escape any value (text and attribute safe)."""
    return html.escape("" if value is None else str(value), quote=True)


def script_hash(script: str = _SCRIPT) -> str:
    """The CSP source expression allowing exactly this inline script."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(script: str = _SCRIPT) -> str:
    """No network, no plugins, no foreign scripts: inline styles and the page's own script only."""
    return (f"default-src 'none'; style-src 'unsafe-inline'; script-src {script_hash(script)}; img-src data:; "
            "base-uri 'none'; form-action 'none'")


def _cell(cell: Cell, anchor: str | None) -> str:
    attrs = (f'class="cell status-{e(cell.status)}" data-stack="{e(cell.stack)}" '
             f'data-component="{e(cell.component)}" data-status="{e(cell.status)}"')
    if cell.instance is None or anchor is None:
        return f'<td {attrs} title="not deployed"><span>{GLYPHS[NOT_DEPLOYED]}</span></td>'
    inst = cell.instance
    title = (f"{inst.id}: {LABELS[cell.status]}; {inst.tests['passed']} of {inst.total} tests passed, "
             f"{inst.tests['failed'] + inst.tests['error']} failed, {inst.tests['undetermined']} undetermined, "
             f"{inst.tests['skipped']} skipped; {inst.findings['fail']} failing findings")
    return f'<td {attrs} title="{e(title)}"><a href="#{e(anchor)}">{e(cell.glyph_text)}</a></td>'


def _matrix(report: Report, anchors: dict[str, str]) -> list[str]:
    matrix = build_matrix(report)
    if not matrix.stacks:
        return ["<p>No instance ran.</p>"]
    legend = "".join(f'<span class="status-{e(s)}">{e(GLYPHS[s])} {e(LABELS[s])}</span>'
                     for s in ("passed", "failed", "undetermined", "skipped", NOT_DEPLOYED))
    out = [f'<p class="legend">{legend} <span class="muted">cell: passed/total tests, ⚑ failing findings, '
           "? undetermined findings; click a cell for details</span></p>",
           '<p><label><input type="checkbox" id="only-problems"> only stacks with problems</label></p>',
           '<div class="matrix-wrap"><table class="matrix" id="matrix">',
           '<thead><tr><th scope="col">stack \\ component</th>'
           + "".join(f'<th scope="col" data-component="{e(c)}">{e(c)}</th>' for c in matrix.components)
           + "</tr></thead>", "<tbody>"]
    for stack, row in zip(matrix.stacks, matrix.rows, strict=True):
        problems = any(c.status in ("failed", "undetermined") for c in row)
        cells = "".join(_cell(c, anchors.get(c.instance.id) if c.instance else None) for c in row)
        out.append(f'<tr data-stack="{e(stack)}" data-problems="{int(problems)}">'
                   f'<th scope="row">{e(stack)}</th>{cells}</tr>')
    out += ["</tbody></table></div>"]
    return out


def _test_block(test: TestRecord, extra: str = "") -> str:
    reason = f" — {e(test.reason)}" if test.reason else ""
    body = f"<pre>{e(test.longrepr)}</pre>" if test.longrepr and test.outcome in ("failed", "error") else ""
    return (f'<div class="test outcome-{e(test.outcome)}" data-nodeid="{e(test.nodeid)}">'
            f"<b>{e(test.outcome)}</b> <code>{e(test.nodeid)}</code>{reason}{extra}{body}</div>")


def _findings_table(findings: list[dict[str, Any]], *, with_instance: bool) -> str:
    head = ["severity", "status", "policy", *(["instance"] if with_instance else []), "address", "location",
            "controls", "message"]
    rows = []
    for f in findings:
        location = (f["file"] or "") + (f":{f['line']}" if f.get("file") and f.get("line") else "")
        waiver = f.get("waiver")
        note = ""
        if waiver:
            note = f' <span class="muted">(waived until {e(waiver.get("expires"))}: {e(waiver.get("reason"))})</span>'
        cells = [f'<span class="sev sev-{e(f["severity"])}">{e(f["severity"])}</span>', e(f["status"]),
                 f"<code>{e(f['policy'])}</code>" + (f"<br>{e(f['title'])}" if f.get("title") else "")]
        if with_instance:
            cells.append(f"<code>{e(f['stack'])}/{e(f['component'])}</code>")
        cells += [f"<code>{e(f['address'] or '(plan)')}</code>", f"<code>{e(location)}</code>",
                  e(", ".join(f["controls"])), e(f["message"]) + note]
        rows.append(f'<tr class="finding status-{e(f["status"])}" data-policy="{e(f["policy"])}">'
                    + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return ('<table class="findings"><thead><tr>' + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _instance_details(inst: InstanceSummary, anchor: str, tests: list[TestRecord],
                      findings: list[dict[str, Any]]) -> str:
    status = inst.status
    counts = (f"{inst.tests['passed']}/{inst.total} passed, {inst.tests['failed'] + inst.tests['error']} failed, "
              f"{inst.tests['undetermined']} undetermined, {inst.tests['skipped']} skipped; "
              f"{inst.findings['fail']} failing / {inst.findings['undetermined']} undetermined / "
              f"{inst.findings['waived']} waived findings")
    engine = f" · engine {e(inst.engine)}" if inst.engine else ""
    parts = [f'<details class="instance status-box-{e(status)}" id="{e(anchor)}" data-stack="{e(inst.stack)}" '
             f'data-component="{e(inst.component)}" data-status="{e(status)}">',
             f'<summary><span class="status-{e(status)}">&nbsp;{e(GLYPHS[status])}&nbsp;</span> '
             f"<b>{e(inst.stack)}</b> / <b>{e(inst.component)}</b> — {e(LABELS[status])} "
             f'<span class="muted">{e(counts)}{engine}</span></summary><div>']
    not_passed = sorted((t for t in tests if t.outcome != "passed"),
                        key=lambda t: (-_rank(t.outcome), t.nodeid))
    parts += [_test_block(t) for t in not_passed]
    if findings:
        parts.append("<h4>Findings</h4>" + _findings_table(findings, with_instance=False))
    passed = [t for t in tests if t.outcome == "passed"]
    if passed:
        items = "".join(f"<li><code>{e(t.nodeid)}</code> <span class='muted'>{t.duration:.3f}s</span></li>"
                        for t in passed)
        parts.append(f"<details><summary>{len(passed)} passed test(s)</summary><ul>{items}</ul></details>")
    if not not_passed and not findings and not passed:
        parts.append('<p class="muted">Nothing recorded for this instance.</p>')
    parts.append("</div></details>")
    return "".join(parts)


def _rank(outcome: str) -> int:
    return {"error": 4, "failed": 3, "undetermined": 2, "skipped": 1}.get(outcome, 0)


def _waiver_rows(waivers: Iterable[dict[str, Any]]) -> str:
    rows = []
    for w in waivers:
        scope = w["stack"] + (f"/{w['component']}" if w.get("component") else "")
        rows.append(f'<tr class="waiver waiver-{e(w["status"])}"><td>{e(w["status"])}</td>'
                    f"<td><code>{e(w['policy'])}</code></td><td><code>{e(', '.join(w['resources']))}</code></td>"
                    f"<td><code>{e(scope)}</code></td><td>{e(w.get('expires'))}</td><td>{e(w.get('ticket'))}</td>"
                    f"<td>{e(w['reason'])}</td></tr>")
    return ('<table class="findings"><thead><tr><th>state</th><th>policy</th><th>resources</th><th>scope</th>'
            "<th>expires</th><th>ticket</th><th>reason</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def render_html(report: Report, *, title: str = "Harness report") -> str:
    """The whole page."""
    summary = report.summary()
    instances = report.instances()
    anchors = {inst.id: f"inst-{n}" for n, inst in enumerate(instances)}
    tests = report.sorted_tests()
    findings = report.sorted_findings()
    by_instance: dict[str, list[TestRecord]] = {}
    loose: list[TestRecord] = []
    for t in tests:
        if t.instance is None:
            loose.append(t)
        else:
            by_instance.setdefault(t.instance, []).append(t)
    findings_of: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        findings_of.setdefault(f"{f['stack']}/{f['component']}", []).append(f)

    verdict = "passed" if summary["ok"] else "failed"
    t, fs, w, ins = summary["tests"], summary["findings"], summary["waivers"], summary["instances"]
    cards = [
        ("tests", t["total"], f"{t['passed']} passed · {t['failed']} failed · {t['error']} error · "
                              f"{t['undetermined']} undetermined · {t['skipped']} skipped"),
        ("instances", ins["total"], f"{ins['failed']} failed · {ins['undetermined']} undetermined · "
                                    f"{ins['passed']} passed · {ins['skipped']} skipped"),
        ("failing findings", fs["fail"], ", ".join(f"{n} {s}" for s, n in fs["fail_by_severity"].items() if n)
         or "none"),
        ("waivers", w["used"] + w["expired"] + w["stale"], f"{w['used']} used · {w['expired']} expired · "
                                                            f"{w['stale']} stale"),
        ("retries", summary["retries"], "AWS call retries"),
        ("duration", f"{report.durations()['total']:.1f}s", "sum of test durations"),
    ]
    env = report.environment
    env_text = " · ".join(f"{k} {v}" for k, v in (("harness", env.get("harness")), ("python", env.get("python")),
                                                   ("terraform", env.get("terraform")),
                                                   ("shard", report.shard)) if v)
    commit = report.commit_label()
    if commit:
        env_text = f"{commit} · {env_text}" if env_text else commit
    providers = env.get("providers") or {}
    if providers:
        env_text += " · providers " + ", ".join(f"{k} {v}" for k, v in sorted(providers.items()))

    failures = [x for x in tests if x.outcome in ("failed", "error")]
    body: list[str] = [
        "<header>",
        f'<h1>{e(title)} <span class="verdict {verdict}" id="verdict">{e(verdict)}</span></h1>',
        f'<div class="env">generated {e(report.created)} · {e(env_text)}</div>',
        '<div class="cards">' + "".join(f'<div class="card" data-card="{e(name)}"><span class="muted">{e(name)}'
                                         f"</span><b>{e(value)}</b><span class='muted'>{e(detail)}</span></div>"
                                         for name, value, detail in cards) + "</div>",
        "</header><main>",
        '<h2 id="matrix-title">Stack &times; component</h2>', *_matrix(report, anchors),
        f'<h2 id="failures">Failures ({len(failures)})</h2>',
    ]
    if failures:
        for x in failures:
            link = (f' <a class="instance-link" href="#{e(anchors[x.instance])}">{e(x.instance)}</a>'
                    if x.instance in anchors else "")
            body.append(_test_block(x, link))
    else:
        body.append('<p class="muted">None.</p>')
    worst_first = sorted(findings, key=lambda f: (_STATUS_ORDER.get(f["status"], 9), -severity_rank(f["severity"])))
    body.append(f'<h2 id="findings">Findings ({len(findings)})</h2>')
    body.append(_findings_table(worst_first, with_instance=True) if findings else '<p class="muted">None.</p>')
    waivers = report.waivers_with("expired") + report.waivers_with("stale") + report.waivers_with("used")
    if waivers:
        body += [f'<h2 id="waivers">Waivers ({len(waivers)})</h2>', _waiver_rows(waivers)]
    body.append(f'<h2 id="instances">Instances ({len(instances)})</h2>')
    body += [_instance_details(inst, anchors[inst.id], by_instance.get(inst.id, []), findings_of.get(inst.id, []))
             for inst in instances]
    other = [x for x in loose if x.outcome != "passed"]
    if loose:
        body.append(f'<h2 id="other-tests">Tests without an instance ({len(loose)}, {len(other)} not passed)</h2>')
        body += [_test_block(x) for x in other]
    slowest = report.durations()["slowest"]
    if slowest:
        body.append('<h2 id="slowest">Slowest tests</h2><ul>' + "".join(
            f"<li><code>{e(s['nodeid'])}</code> {s['duration']:.3f}s</li>" for s in slowest) + "</ul>")
    body.append("</main>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f'<meta http-equiv="Content-Security-Policy" content="{e(content_security_policy())}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{e(title)}: {e(verdict)}</title>\n<style>{_CSS}</style>\n</head>\n"
            f'<body data-verdict="{e(verdict)}">\n' + "\n".join(body)
            + f"\n<script>{_SCRIPT}</script>\n</body>\n</html>\n")
