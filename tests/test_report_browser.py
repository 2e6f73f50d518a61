"""The HTML report in a real browser: headless Chromium opens the page from disk.

Needs Debian's `chromium` and `chromium-driver` (`.ci/install-browser` installs them) and
the `selenium` package (the `test` extra). Where they are missing the test is skipped
with one line saying what to install, or fails under PMSYNC_REQUIRE_SYSTEM_TOOLS=1,
which `.ci/run` sets: CI never passes a broken dashboard by skipping it.
$PMSYNC_CHROMIUM and $PMSYNC_CHROMEDRIVER point it at another build of both.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from pmsync.report.html import render_report
from pmsync.report.status import status_json
from pmsync.state.store import (
    DocumentRecord,
    HistoryPoint,
    IssueRecord,
    ItemRecord,
    Pushed,
    Status,
    SyncState,
)
from pmsync.status.refresh import StatusRow, status_rows
from tests.system_tools import missing_tool

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "postmortems"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TODAY = date(2024, 7, 20)
OWNERS = ("alice", "bob", None, "carol")
# Days before TODAY each item is due (negative: not yet due), cycled over the items so
# every age bucket of the overdue chart gets something.
DUE_OFFSETS = (3, 12, 45, 120, -10, 20)
HOSTILE = "<img src=x onerror=\"console.error('xss')\"> escaped?"

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # CI runs as root, where the sandbox refuses to start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1200,900",
)
INSTALL_HINT = (
    "run `.ci/install-browser` as root (apt-get install chromium chromium-driver) and "
    "`pip install '.[test]'` (selenium)"
)


# --- the example state ----------------------------------------------------------------


def _example_doc(path: Path) -> tuple[str, str, list[tuple[str, str, int | None]]]:
    """(document key, title, [(item id, title, line)]) for one example postmortem: from
    the real parser when it is there, else three fixed items so the page is still checked."""
    rel = str(path.relative_to(ROOT))
    try:
        from pmsync.parse.postmortem import parse_postmortem
    except ImportError:
        items = [(f"{path.stem}-{n}", f"{path.stem} task {n}", None) for n in (1, 2, 3)]
        return path.stem, path.stem.replace("-", " "), items
    doc = parse_postmortem(path.read_text(encoding="utf-8"), rel)
    assert doc.items, f"{rel}: the parser found no items"
    return doc.key, doc.title or rel, [(i.id, i.title, i.line) for i in doc.items]


def example_state() -> tuple[SyncState, dict[str, int]]:
    """The five examples tracked: alternately on GitHub and Jira, every third item
    closed, due dates spread so that some open items are overdue by 3 to 120 days."""
    state = SyncState()
    lines: dict[str, int] = {}
    n = 0
    for d, path in enumerate(sorted(EXAMPLES.glob("*.md"))):
        key, doc_title, items = _example_doc(path)
        state.documents[key] = DocumentRecord(path=str(path.relative_to(ROOT)), title=doc_title)
        tracker = "github" if d % 2 == 0 else "jira"
        for item_id, title, line in items:
            n += 1
            issue_key = f"#{n}" if tracker == "github" else f"OPS-{n}"
            url = (
                f"https://github.com/acme/ops/issues/{n}"
                if tracker == "github"
                else f"https://acme.atlassian.net/browse/OPS-{n}"
            )
            due = TODAY - timedelta(days=DUE_OFFSETS[n % len(DUE_OFFSETS)])
            state.items[item_id] = ItemRecord(
                doc=key,
                title=HOSTILE if n == 2 else title,
                issue=IssueRecord(tracker=tracker, key=issue_key, url=url),
                pushed=Pushed(due=due),
                status=Status(
                    state="closed" if n % 3 == 0 else "open",
                    assignee=OWNERS[n % len(OWNERS)],
                    due=due,
                ),
            )
            if line:
                lines[item_id] = line
    return state, lines


def _history(rows: list[StatusRow]) -> list[HistoryPoint]:
    # A month of nightly runs ending with today's counts: open work slowly burning down.
    open_now = sum(1 for r in rows if r.state == "open")
    overdue_now = sum(1 for r in rows if r.overdue)
    total = len(rows)
    points = []
    for back in range(30, -1, -3):
        opened = min(total, open_now + back // 4)
        points.append(
            HistoryPoint(
                at=TODAY - timedelta(days=back),
                open=opened,
                closed=total - opened,
                overdue=max(0, overdue_now - back // 6),
            )
        )
    return points


# --- the browser ----------------------------------------------------------------------


def _find(name: str, override: str) -> str:
    """The executable: from `$override` when set (another browser build, another OS),
    else on PATH or in /usr/bin (Debian's packages)."""
    given = os.environ.get(override)
    found = given or shutil.which(name) or f"/usr/bin/{name}"
    if not (os.path.isfile(found) and os.access(found, os.X_OK)):
        where = f"${override}={given}" if given else f"{name} on PATH or in /usr/bin"
        missing_tool(f"browser test: {where} not found; {INSTALL_HINT}")
    return found


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    chromium = _find("chromium", "PMSYNC_CHROMIUM")
    chromedriver = _find("chromedriver", "PMSYNC_CHROMEDRIVER")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing_tool(f"selenium is not installed; {INSTALL_HINT}")
    options = webdriver.ChromeOptions()
    # Both paths given: Selenium Manager (which would download a driver) never runs.
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[StatusRow]]:
    state, lines = example_state()
    rows = status_rows(state, TODAY)
    html = render_report(
        rows,
        _history(rows),
        TODAY,
        base_url="https://github.com/acme/ops/blob/main",
        lines=lines,
        doc_titles={d.path: d.title or d.path for d in state.documents.values()},
    )
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(html, encoding="utf-8")
    return path, rows


def _severe(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def _visible_rows(driver: Any) -> int:
    return sum(
        1 for tr in driver.find_elements("css selector", "#items tbody tr") if tr.is_displayed()
    )


def _screenshot(driver: Any, target: Path, scheme: str) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
    )
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1200, int(height) + 120)
    target.parent.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(target)), f"could not save {target}"


def test_report_in_chromium(browser: Any, page: tuple[Path, list[StatusRow]]) -> None:
    path, rows = page
    browser.get(path.as_uri())
    summary = status_json(rows)["summary"]
    assert summary["overdue"] and summary["closed"] and summary["open"]

    shown = {
        key: int(browser.find_element("css selector", f'[data-testid="{key}"]').text)
        for key in ("total", "open", "closed", "overdue")
    }
    assert shown == {key: summary[key] for key in shown}
    assert browser.find_element("css selector", '[data-testid="visible-count"]').text == str(
        summary["total"]
    )
    assert HOSTILE in browser.find_element("id", "items").text  # shown as text, not markup

    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("css selector", '[data-testid="filter-state"]')).select_by_value(
        "closed"
    )
    assert _visible_rows(browser) == summary["closed"]
    Select(browser.find_element("css selector", '[data-testid="filter-state"]')).select_by_value(
        "open"
    )
    browser.find_element("css selector", '[data-testid="filter-overdue"]').click()
    assert _visible_rows(browser) == summary["overdue"]
    count = browser.find_element("css selector", '[data-testid="visible-count"]').text
    assert count == str(summary["overdue"])
    browser.find_element("css selector", 'button[type="reset"]').click()
    assert _visible_rows(browser) == summary["total"]

    _screenshot(browser, ARTIFACTS / "report-dark.png", "dark")
    _screenshot(browser, ARTIFACTS / "report.png", "light")
    assert _severe(browser) == []
