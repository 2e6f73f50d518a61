"""The HTML report as text: escaping, numbers, grouping, links and self-containment."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest

from pmsync.commands import report_command
from pmsync.report.charts import trend_chart
from pmsync.report.html import SCRIPT, STYLE, age_bucket, doc_link, render_report, safe_url
from pmsync.report.status import status_summary
from pmsync.state.store import (
    DocumentRecord,
    HistoryPoint,
    IssueRecord,
    ItemRecord,
    Status,
    SyncState,
)
from pmsync.status.refresh import StatusRow, status_rows
from tests.fakes.github import FakeGitHub
from tests.workspace import make_workspace

TODAY = date(2024, 7, 20)
EVIL = "<script>alert('x')</script>"


def make_rows(specs: list[dict[str, object]]) -> list[StatusRow]:
    """Rows through the real `status_rows`, one per spec (keys: doc, title, tracker,
    state, assignee, days_late (due that many days before TODAY), url, missing)."""
    state = SyncState()
    for n, spec in enumerate(specs, 1):
        doc = str(spec.get("doc", "postmortems/a.md"))
        state.documents[doc] = DocumentRecord(path=doc)
        tracker = str(spec.get("tracker", "github"))
        late = spec.get("days_late")
        state.items[f"item-{n:04d}"] = ItemRecord(
            doc=doc,
            title=str(spec.get("title", f"Item {n}")),
            issue=IssueRecord(
                tracker=tracker,
                key=f"#{n}",
                url=str(spec.get("url", f"https://github.com/acme/ops/issues/{n}")),
            ),
            status=Status(
                state=str(spec.get("state", "open")),
                assignee=spec.get("assignee"),  # type: ignore[arg-type]
                due=TODAY - timedelta(days=int(late)) if isinstance(late, int) else None,
                missing=bool(spec.get("missing", False)),
            ),
        )
    return status_rows(state, TODAY)


MIXED = [
    {"doc": "pm/a.md", "state": "closed", "assignee": "alice", "days_late": 5},
    {"doc": "pm/a.md", "state": "open", "assignee": "alice", "days_late": 3},
    {"doc": "pm/a.md", "state": "open", "assignee": None, "days_late": 40},
    {"doc": "pm/b.md", "state": "open", "assignee": "bob", "days_late": 200, "tracker": "jira"},
    {"doc": "pm/b.md", "state": "open", "assignee": "bob", "days_late": -4, "tracker": "jira"},
    {"doc": "pm/b.md", "state": "open", "days_late": 10, "missing": True},
]


def _testid(html: str, name: str) -> int:
    match = re.search(rf'data-testid="{name}">(\d+)<', html)
    assert match, name
    return int(match.group(1))


def test_summary_numbers_match_status_summary() -> None:
    rows = make_rows(MIXED)
    html = render_report(rows, [], TODAY)
    summary = status_summary(rows)
    assert summary == {"total": 6, "open": 5, "closed": 1, "overdue": 3, "missing": 1}
    for key in ("total", "open", "closed", "overdue", "missing"):
        assert _testid(html, key) == summary[key]


def test_rows_carry_data_attributes_for_filters() -> None:
    html = render_report(make_rows(MIXED), [], TODAY)
    assert html.count('<tr data-state="open"') == 5
    assert html.count('<tr data-state="closed"') == 1
    assert html.count('data-overdue="true"') == 3
    assert html.count('data-tracker="jira"') == 2
    assert html.count('data-doc="pm/b.md"') == 3
    assert html.count('data-owner="bob"') == 2
    assert '<option value="">unassigned</option>' in html


def test_overdue_grouped_by_owner_and_age() -> None:
    html = render_report(make_rows(MIXED), [], TODAY)
    owner = html[html.index('id="overdue-owner"') :]
    owner = owner[: owner.index("</svg>")]
    # alice 1 (3 days), unassigned 1 (40 days), bob 1 (200 days); the missing one is not overdue
    assert re.findall(r">([a-z]+)<title>", owner) == ["alice", "bob", "unassigned"]
    age = html[html.index('id="overdue-age"') :]
    age = age[: age.index("</svg>")]
    counts = [int(n) for n in re.findall(r'class="t num"[^>]*>(\d+)<', age)]
    assert counts == [1, 0, 1, 1]


@pytest.mark.parametrize(
    ("days", "bucket"),
    [(1, "1–7 days"), (7, "1–7 days"), (8, "8–30 days"), (30, "8–30 days"),
     (31, "31–90 days"), (90, "31–90 days"), (91, "over 90 days")],
)  # fmt: skip
def test_age_buckets(days: int, bucket: str) -> None:
    assert age_bucket(days) == bucket


def test_nothing_overdue_says_so() -> None:
    html = render_report(make_rows([{"state": "closed"}]), [], TODAY)
    assert 'data-testid="no-overdue"' in html


def test_text_from_documents_and_trackers_is_escaped() -> None:
    rows = make_rows(
        [
            {"doc": f"pm/{EVIL}.md", "title": EVIL, "assignee": EVIL, "tracker": EVIL},
            {"url": 'https://x.test/"><script>alert(1)</script>'},
        ]
    )
    html = render_report(rows, [], TODAY, title=EVIL, doc_titles={f"pm/{EVIL}.md": EVIL})
    assert "<script>alert" not in html
    assert html.count("<script>") == 1  # the page's own filter script, nothing else
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html


def test_only_http_links_are_clickable() -> None:
    rows = make_rows([{"url": "javascript:alert(1)"}])
    html = render_report(rows, [], TODAY)
    assert "javascript:" not in html
    assert safe_url("JAVASCRIPT:alert(1)") is None
    assert safe_url("https://x.test/1") == "https://x.test/1"


def test_links_to_issue_and_postmortem_line() -> None:
    rows = make_rows([{"doc": "./pm/a b.md"}])
    html = render_report(rows, [], TODAY, base_url="https://github.com/o/r/blob/main/",
                         lines={"item-0001": 42})  # fmt: skip
    assert 'href="https://github.com/acme/ops/issues/1"' in html
    assert 'href="https://github.com/o/r/blob/main/pm/a%20b.md#L42"' in html
    assert doc_link("pm/a.md", 7, None) == "pm/a.md#L7"
    assert doc_link("pm/a.md", None, None) == "pm/a.md"


def test_self_contained() -> None:
    html = render_report(make_rows(MIXED), [HistoryPoint(at=TODAY, open=5, closed=1, overdue=3)],
                         TODAY, base_url="https://github.com/o/r/blob/main")  # fmt: skip
    assert not re.search(r"\ssrc\s*=", html)  # no script, image or frame loaded from anywhere
    assert re.findall(r"<link[^>]*>", html) == ['<link rel="icon" href="data:,">']
    assert "@import" not in html and "url(http" not in html
    # Every absolute URL is a link people click: an issue or a postmortem line.
    outside_links = re.sub(r'<a href="https?://[^"]*">', "", html)
    assert "http://" not in outside_links and "https://" not in outside_links
    # The policy lets in exactly the page's own stylesheet and script.
    for source in (STYLE, SCRIPT):
        digest = base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in html
    assert "default-src 'none'" in html


def test_thousand_rows_stay_well_under_a_megabyte() -> None:
    specs: list[dict[str, object]] = [
        {
            "doc": f"postmortems/2024/incident-{n % 40:02d}-database-index.md",
            "title": f"Add monitoring for missing indexes on the orders table, part {n}",
            "assignee": f"engineer-{n % 25}",
            "state": "closed" if n % 3 else "open",
            "days_late": n % 150 - 20,
            "tracker": "github" if n % 2 else "jira",
        }
        for n in range(1000)
    ]
    history = [HistoryPoint(at=TODAY - timedelta(days=d), open=d, closed=1000 - d, overdue=d // 2)
               for d in range(365)]  # fmt: skip
    html = render_report(make_rows(specs), history, TODAY, lines={"item-0001": 3})
    assert len(html.encode("utf-8")) < 1_000_000


def test_trend_shows_a_single_point_as_such() -> None:
    one = trend_chart([HistoryPoint(at=TODAY, open=4, closed=2, overdue=1)])
    assert "<polyline" not in one and "<polygon" not in one
    assert one.count("<circle") == 2  # open and overdue, one dot each
    assert "One status run so far (2024-07-20)" in one
    many = trend_chart(
        [
            HistoryPoint(at=TODAY - timedelta(days=1), open=5, closed=1, overdue=0),
            HistoryPoint(at=TODAY, open=4, closed=2, overdue=1),
        ]
    )
    assert many.count("<polyline") == 2
    assert "No history yet" in trend_chart([])


def test_pure_and_deterministic() -> None:
    rows = make_rows(MIXED)
    assert render_report(rows, [], TODAY) == render_report(rows, [], TODAY)


# --- written anywhere, from a workspace ----------------------------------------------


def test_postmortem_links_work_wherever_the_page_is_written_and_owners_show(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    settings = {"github": {"repo": "acme/ops", "api_url": fake_github.api_url,
                           "writes_per_minute": 0}}  # fmt: skip
    ws = make_workspace(tmp_path / "repo", {"GITHUB_TOKEN": fake_github.token}, **settings)
    ws.edit("web-stack-orders-index.md", "1. **Patch PostgreSQL Configuration:**",
            "1. **Patch PostgreSQL Configuration:** Owner: @dana")  # fmt: skip
    ws.push()
    for page in (tmp_path / "site" / "deep" / "report.html", ws.root / "report.html"):
        page.parent.mkdir(parents=True, exist_ok=True)
        report_command(ws.config(), [], page, refresh=False, today=TODAY)
        html = page.read_text()
        hrefs = re.findall(r'href="([^"#:]+\.md)(?:#L\d+)?"', html)
        assert len(hrefs) == 39
        assert all((page.parent / unquote(h)).is_file() for h in hrefs), hrefs[:3]
        assert "<td>dana</td>" in html and "<td>unassigned</td>" in html
