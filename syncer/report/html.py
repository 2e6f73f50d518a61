"""Status rows → one self-contained HTML dashboard (`pmsync report --html`).

Self-contained on purpose: the page is opened from disk, attached to CI runs and served by
GitHub Pages, so it loads nothing (a Content-Security-Policy with `default-src 'none'`
makes the browser enforce that) and its one small script and stylesheet are allowed by
hash only — a title that slipped through escaping could still not run. Everything taken
from postmortems or trackers is escaped. Pure: no I/O, no clock (`today` is given).
"""

from __future__ import annotations

import base64
import hashlib
import posixpath
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import PurePosixPath
from urllib.parse import quote, urlsplit

from pmsync.report.charts import Completion, completion_chart, count_chart, trend_chart
from pmsync.report.status import status_summary
from pmsync.state.store import HistoryPoint
from pmsync.status.refresh import StatusRow

AGE_BUCKETS = ((1, 7, "1–7 days"), (8, 30, "8–30 days"), (31, 90, "31–90 days"))
UNASSIGNED = "unassigned"

STYLE = """
:root { color-scheme: light dark; --bg: #fff; --fg: #1f2328; --muted: #59636e;
  --border: #d1d9e0; --panel: #f6f8fa; --closed: #1a7f37; --open: #e4e8ec;
  --overdue: #cf222e; --link: #0969da; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --border: #3d444d;
    --panel: #151b23; --closed: #3fb950; --open: #2a313c; --overdue: #f85149;
    --link: #4493f8; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 24px; background: var(--bg);
  color: var(--fg); font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 0 0 12px; }
a { color: var(--link); } .muted { color: var(--muted); }
section { border: 1px solid var(--border); border-radius: 8px; padding: 16px;
  margin: 16px 0; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { flex: 1 1 140px; border: 1px solid var(--border); border-radius: 8px;
  padding: 12px 16px; background: var(--panel); }
.card .num { display: block; font-size: 30px; font-weight: 600; }
.card.overdue { border-color: var(--overdue); } .card.overdue .num { color: var(--overdue); }
.pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 16px; }
.pair > div h3 { font-size: 14px; margin: 0 0 8px; }
.chart { display: block; max-width: 100%; height: auto; }
.chart-wrap { overflow-x: auto; } .chart.wide { min-width: 760px; }
.chart .t { fill: var(--fg); font-size: 13px; } .chart .small { font-size: 11px; }
.chart .num { font-weight: 600; }
.bar-open { fill: var(--open); stroke: var(--muted); stroke-width: 1; }
.bar-closed { stroke: var(--closed); stroke-width: 1; }
.hatch-bg { fill: var(--bg); } .hatch-line { stroke: var(--closed); }
.bar-count { fill: var(--overdue); }
.grid { stroke: var(--border); stroke-width: 1; }
.line-open { fill: none; stroke: var(--closed); stroke-width: 2.5; }
.area-open { opacity: 0.5; } .dot-open { fill: var(--closed); }
.line-overdue { fill: none; stroke: var(--overdue); stroke-width: 2; stroke-dasharray: 6 4; }
.dot-overdue { fill: var(--overdue); }
.legend { display: flex; gap: 16px; margin: 8px 0 0; color: var(--muted); font-size: 13px; }
.key { display: inline-block; width: 22px; height: 12px; vertical-align: -1px;
  margin-right: 4px; border: 1px solid var(--muted); }
.key.closed { background: repeating-linear-gradient(45deg, var(--closed) 0 3px,
  var(--bg) 3px 6px); }
.key.open { background: var(--open); }
.key.line { height: 0; border: 0; border-top: 2.5px solid var(--closed); }
.key.dashed { height: 0; border: 0; border-top: 2px dashed var(--overdue); }
form { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: end; margin-bottom: 12px; }
label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
label.check { flex-direction: row; gap: 6px; align-items: center; font-size: 14px; }
select, button { font: inherit; color: var(--fg); background: var(--panel);
  border: 1px solid var(--border); border-radius: 6px; padding: 4px 8px; max-width: 260px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--border);
  vertical-align: top; }
th { font-size: 12px; color: var(--muted); text-transform: uppercase; }
/* state, issue and due never wrap; a class on every cell would cost 1,000-row pages */
td:nth-child(1), td:nth-child(3), td:nth-child(6) { white-space: nowrap; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px;
  border: 1px solid var(--muted); white-space: nowrap; }
.badge.closed { border-color: var(--closed); color: var(--closed); }
.badge.overdue { border-color: var(--overdue); color: var(--overdue); font-weight: 600; }
"""

# Filters: hide table rows whose data-* attributes differ from the chosen values.
SCRIPT = """
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#items tbody tr"));
  var count = document.querySelector('[data-testid="visible-count"]');
  var keys = ["tracker", "doc", "owner", "state"];
  function chosen(name) {
    var option = form.elements[name].selectedOptions[0];
    return option.hasAttribute("data-all") ? null : option.value;
  }
  function apply() {
    var want = {};
    keys.forEach(function (k) { want[k] = chosen(k); });
    var overdueOnly = form.elements.overdue.checked;
    var shown = 0;
    rows.forEach(function (tr) {
      var ok = keys.every(function (k) { return want[k] === null || tr.dataset[k] === want[k]; })
        && (!overdueOnly || tr.dataset.overdue === "true");
      tr.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = String(shown);
  }
  form.addEventListener("change", apply);
  form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
  form.hidden = false;
  apply();
})();
"""


def render_report(
    rows: list[StatusRow],
    history: list[HistoryPoint],
    today: date,
    *,
    title: str = "Postmortem action items",
    base_url: str | None = None,
    lines: dict[str, int] | None = None,
    doc_titles: dict[str, str] | None = None,
    doc_root: str = "",
) -> str:
    """The whole page. `lines`: item id → line in its postmortem (for `#L` links);
    `base_url`: config `links.base_url`; `doc_titles`: postmortem path → title;
    `doc_root`: the config's folder seen from the page's folder (for relative links)."""
    titles = doc_titles or {}
    summary = status_summary(rows)
    body = "\n".join(
        [
            f"<header><h1>{_esc(title)}</h1>"
            f'<p class="muted">As of <time data-testid="today">{today.isoformat()}</time></p>'
            "</header>",
            _cards(summary),
            _section("Completion per postmortem", _completion(rows, titles)),
            _section("Overdue items", _overdue(rows, today)),
            _section(
                "Open items over time", trend_chart(history) + (_TREND_LEGEND if history else "")
            ),
            _section(
                "All items", _table(rows, today, Links(base_url, doc_root), lines or {}, titles)
            ),
        ]
    )
    return _page(title, body)


def _esc(text: object) -> str:
    return escape(str(text), quote=True)


def _csp_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _page(title: str, body: str) -> str:
    csp = (
        f"default-src 'none'; style-src {_csp_hash(STYLE)}; "
        f"script-src {_csp_hash(SCRIPT)}; img-src data:; base-uri 'none'; form-action 'none'"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # An empty icon: browsers would otherwise ask the server for /favicon.ico.
        '<link rel="icon" href="data:,">'
        f"<title>{_esc(title)}</title><style>{STYLE}</style></head>\n<body>\n{body}\n"
        f"<script>{SCRIPT}</script>\n</body></html>\n"
    )


def _section(heading: str, content: str) -> str:
    return f"<section><h2>{_esc(heading)}</h2>{content}</section>"


def _cards(summary: dict[str, int]) -> str:
    shown = [("total", "items"), ("open", "open"), ("closed", "closed"), ("overdue", "overdue")]
    if summary["missing"]:
        shown.append(("missing", "missing from the tracker"))
    cards = "".join(
        f'<div class="card {key}"><span class="num" data-testid="{key}">{summary[key]}</span>'
        f"{_esc(label)}</div>"
        for key, label in shown
    )
    return f'<div class="cards">{cards}</div>'


_COMPLETION_LEGEND = (
    '<p class="legend"><span><span class="key closed"></span>closed</span>'
    '<span><span class="key open"></span>open</span></p>'
)
_TREND_LEGEND = (
    '<p class="legend"><span><span class="key line"></span>open (solid line, hatched area)'
    '</span><span><span class="key dashed"></span>overdue (dashed line)</span></p>'
)


def _completion(rows: list[StatusRow], titles: dict[str, str]) -> str:
    docs: dict[str, list[StatusRow]] = {}
    for row in rows:
        docs.setdefault(row.doc, []).append(row)
    entries = [
        Completion(
            label=_doc_name(doc, titles),
            closed=sum(1 for r in group if r.state == "closed"),
            total=len(group),
            tip=doc,
        )
        for doc, group in sorted(docs.items())
    ]
    return completion_chart(entries) + (_COMPLETION_LEGEND if entries else "")


def _doc_name(path: str, titles: dict[str, str]) -> str:
    # Titles repeat across postmortems ("Postmortem", "Issue Summary"): the file name
    # beside the title tells them apart.
    title = titles.get(path)
    return f"{title} — {PurePosixPath(path).name}" if title else path


def _days_overdue(row: StatusRow, today: date) -> int:
    return (today - row.due).days if row.overdue and row.due else 0


def age_bucket(days: int) -> str:
    for low, high, label in AGE_BUCKETS:
        if low <= days <= high:
            return label
    return "over 90 days"


def _overdue(rows: list[StatusRow], today: date) -> str:
    late = [r for r in rows if r.overdue]
    if not late:
        return '<p class="muted" data-testid="no-overdue">Nothing is overdue.</p>'
    owners = Counter(r.assignee or UNASSIGNED for r in late)
    by_owner = sorted(owners.items(), key=lambda kv: (-kv[1], kv[0]))
    ages = Counter(age_bucket(_days_overdue(r, today)) for r in late)
    by_age = [(label, ages[label]) for *_, label in AGE_BUCKETS]
    by_age.append(("over 90 days", ages["over 90 days"]))
    return (
        '<div class="pair"><div><h3>By owner</h3>'
        + count_chart(by_owner, "overdue-owner", "Overdue items per owner")
        + "</div><div><h3>By days overdue</h3>"
        + count_chart(by_age, "overdue-age", "Overdue items by days past due")
        + "</div></div>"
    )


def _options(name: str, label: str, values: Iterable[tuple[str, str]]) -> str:
    # The "all" choice is marked by an attribute, not by its value: "" is a real value
    # here (the unassigned owner).
    options = "".join(
        f'<option value="{_esc(v)}">{_esc(text)}</option>' for v, text in sorted(set(values))
    )
    return (
        f'<label>{_esc(label)}<select name="{name}" data-testid="filter-{name}">'
        f"<option data-all>all</option>{options}</select></label>"
    )


def _filters(rows: list[StatusRow], titles: dict[str, str]) -> str:
    # Hidden until the script runs: without JavaScript the table simply shows every row.
    return (
        '<form id="filters" hidden>'
        + _options("tracker", "Tracker", ((_tracker(r), _tracker(r) or "none") for r in rows))
        + _options("doc", "Postmortem", ((r.doc, _doc_name(r.doc, titles)) for r in rows))
        + _options("owner", "Owner", ((r.assignee or "", r.assignee or UNASSIGNED) for r in rows))
        + _options("state", "State", ((r.state, r.state) for r in rows))
        + '<label class="check"><input type="checkbox" name="overdue" '
        'data-testid="filter-overdue">overdue only</label>'
        '<button type="reset">Clear</button>'
        '<span class="muted"><span data-testid="visible-count">'
        f"{len(rows)}</span> of {len(rows)} shown</span></form>"
    )


def _tracker(row: StatusRow) -> str:
    return row.record.issue.tracker if row.record.issue else ""


def safe_url(url: str | None) -> str | None:
    """Only http(s) links: a tracker URL like `javascript:` must not become clickable."""
    if url and urlsplit(url).scheme.lower() in ("http", "https"):
        return url
    return None


@dataclass(frozen=True)
class Links:
    base_url: str | None = None  # links.base_url
    doc_root: str = ""  # the config's folder, relative to the page's


def doc_link(path: str, line: int | None, base_url: str | None, doc_root: str = "") -> str:
    """Where a postmortem line lives: under `links.base_url` (e.g. a GitHub blob URL,
    whose `#L12` anchors a line), else the path relative to the page, wherever the page
    was written (`doc_root`: from the page's folder to the one paths are relative to)."""
    anchor = f"#L{line}" if line else ""
    relative = quote(path.removeprefix("./"))
    base = safe_url(base_url)
    if not base and doc_root not in ("", "."):
        relative = quote(posixpath.normpath(posixpath.join(doc_root, path)))
    return f"{base.rstrip('/')}/{relative}{anchor}" if base else relative + anchor


def _link(href: str | None, text: str) -> str:
    return f'<a href="{_esc(href)}">{_esc(text)}</a>' if href else _esc(text)


def _state_badge(row: StatusRow, today: date) -> str:
    if row.missing:
        return '<span class="badge">missing</span>'
    if row.overdue:
        return f'<span class="badge overdue">overdue {_days_overdue(row, today)} d</span>'
    return f'<span class="badge {_esc(row.state)}">{_esc(row.state)}</span>'


def _table_row(row: StatusRow, today: date, links: Links, line: int | None) -> str:
    issue = row.record.issue
    attrs = (
        f'data-state="{_esc(row.state)}" data-overdue="{"true" if row.overdue else "false"}" '
        f'data-tracker="{_esc(_tracker(row))}" data-doc="{_esc(row.doc)}" '
        f'data-owner="{_esc(row.assignee or "")}"'
    )
    where = f"{row.doc}:{line}" if line else row.doc
    cells = [
        _state_badge(row, today),
        _esc(row.title),
        _link(safe_url(issue.url) if issue else None, issue.key if issue else ""),
        _link(doc_link(row.doc, line, links.base_url, links.doc_root), where),
        _esc(row.assignee or UNASSIGNED),
        _esc(row.due.isoformat() if row.due else ""),
    ]
    tds = "".join(f"<td>{cell}</td>" for cell in cells)
    return f"<tr {attrs}>{tds}</tr>"


def _table(
    rows: list[StatusRow],
    today: date,
    links: Links,
    lines: dict[str, int],
    titles: dict[str, str],
) -> str:
    head = "".join(
        f"<th>{h}</th>" for h in ("State", "Item", "Issue", "Postmortem", "Owner", "Due")
    )
    # In reading order: by postmortem, then as the items stand in it.
    ordered = sorted(rows, key=lambda r: (r.doc, lines.get(r.item_id, 0), r.title))
    body = "\n".join(_table_row(r, today, links, lines.get(r.item_id)) for r in ordered)
    return (
        _filters(rows, titles)
        + f'<div class="scroll"><table id="items"><thead><tr>{head}</tr></thead>'
        f"<tbody>\n{body}\n</tbody></table></div>"
    )
