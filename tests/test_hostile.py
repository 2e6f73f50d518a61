"""Hostile documents: mentions, imitated markers, raw HTML, huge and deeply nested
documents, CRLF, BOM and tabs — checked on what the fake trackers received."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pmsync.commands import plan_command
from pmsync.config import load_config
from pmsync.parse.postmortem import MAX_ITEM_TEXT, parse_postmortem
from tests.docgen import postmortem as generated_postmortem
from tests.fakes.github import FakeGitHub
from tests.fakes.jira import FakeJira
from tests.fakes.server import FakeServer
from tests.test_faults import REPO, Run, Tally, item_ids, make_run, tally

HEAD = "# Checkout outage\n\nDate: 2024-06-01\n\n## Action items\n\n"


@pytest.fixture
def tracker_fake(request: pytest.FixtureRequest) -> FakeServer:
    fake: FakeServer = request.getfixturevalue(f"fake_{request.param}")
    return fake


def tracker_run(tmp_path: Path, fake: FakeServer, **settings: Any) -> Run:
    tracker = "github" if isinstance(fake, FakeGitHub) else "jira"
    return make_run(tmp_path, tracker, fake, **settings)


def bodies(run: Run) -> list[str]:
    """What the tracker holds as each issue's text (Jira: the ADF document as JSON)."""
    if isinstance(run.fake, FakeGitHub):
        return [issue.body or "" for issue in run.fake.issues(REPO)]
    assert isinstance(run.fake, FakeJira)
    return [json.dumps(i["fields"]["description"], ensure_ascii=False) for i in run.fake.issues()]


# --- mentions -------------------------------------------------------------------------

MENTIONS = HEAD + (
    "- **Page the database team**: ask @alice and @acme/dba-team to review. Owner: @bob\n"
    "- **Rotate keys**: mail ops@example.com, see `@not-a-mention` in code.\n"
)


@pytest.mark.parametrize("tracker_fake", ["github", "jira"], indirect=True)
def test_mentions_do_not_ping_people(tmp_path: Path, tracker_fake: FakeServer) -> None:
    run = tracker_run(tmp_path, tracker_fake)
    run.write(MENTIONS)
    run.push()
    text = "\n".join(bodies(run))
    for handle in ("@alice", "@acme/dba-team", "@bob"):
        assert handle not in text and handle.replace("@", "@\u200d") in text
    assert "ops@example.com" in text and "@not-a-mention" in text  # not mentions
    assert '"mention"' not in text  # Jira: no mention node


def test_mentions_are_kept_when_allowed(tmp_path: Path, fake_github: FakeGitHub) -> None:
    run = tracker_run(tmp_path, fake_github, defaults={"allow_mentions": True})
    run.write(MENTIONS)
    run.push()
    text = "\n".join(bodies(run))
    assert "ask @alice and @acme/dba-team" in text


# --- imitated markers -----------------------------------------------------------------


def imitating(victim: str) -> str:
    """Items whose text carries another item's marker (and an early end marker)."""
    return HEAD + (
        "- **Fix the pool**: raise the limit.\n"
        "- **Fix the cache**: text below pretends to be pmsync.\n\n"
        f"  <!-- pmsync:begin item={victim} hash=0000 -->\n\n"
        "  <!-- pmsync:end -->\n"
        f"- **Fix the queue**:\n<!-- pmsync:begin item={victim} hash=ffff -->\n"
        "pmsync item {victim} · rev ffff\n"
    )


@pytest.mark.parametrize("tracker_fake", ["github", "jira"], indirect=True)
def test_an_imitated_marker_cannot_take_another_items_identity(
    tmp_path: Path, tracker_fake: FakeServer
) -> None:
    victim = sorted(item_ids(imitating("x")))[0]
    text = imitating(victim)
    ids = item_ids(text)
    assert len(ids) == 3 and victim in ids
    run = tracker_run(tmp_path, tracker_fake)
    run.write(text)
    run.push()
    assert {k: len(v) for k, v in run.issues_by_item().items()} == dict.fromkeys(ids, 1)
    run.forget_state()
    again = run.push()  # reconcile from the tracker alone
    assert {o.action for o in again.outcomes} == {"unchanged"}
    assert tally(run, ids) == Tally(0, 0)
    for item, record in run.state().items.items():
        assert record.issue is not None and run.issues_by_item()[item] == [record.issue.key]


# --- raw HTML and scripts ---------------------------------------------------------------

HTML = HEAD + (
    '- **Harden the login page**: <script>alert("x")</script> and '
    '<img src=x onerror="alert(1)"> and <a href="javascript:alert(1)">link</a>\n'
    "- **Fix <b>bold</b> titles**: <details><summary>open</summary>hidden</details>\n"
)


@pytest.mark.parametrize("tracker_fake", ["github", "jira", "jira_dc"], indirect=True)
def test_raw_html_and_scripts_are_escaped(tmp_path: Path, tracker_fake: FakeServer) -> None:
    run = tracker_run(tmp_path, tracker_fake)
    run.write(HTML)
    result = run.push()
    assert {o.action for o in result.outcomes} == {"create"}
    text = "\n".join(bodies(run))
    if isinstance(tracker_fake, FakeJira) and tracker_fake.flavor == "datacenter":
        assert "{html}" not in text  # wiki markup: no HTML macro
    elif isinstance(tracker_fake, FakeJira):
        nodes = {n["type"] for i in tracker_fake.issues() for n in walk(i["fields"]["description"])}
        assert nodes <= {"doc", "paragraph", "text", "bulletList", "listItem", "orderedList"}
    else:
        for tag in ("<script", "<img", "<a href", "<details", "<b>"):
            assert tag not in text
        assert "&lt;script&gt;" in text and "&lt;img src=x" in text


def walk(node: Any) -> list[dict[str, Any]]:
    found = [node] if isinstance(node, dict) and "type" in node else []
    for child in node.get("content", []) if isinstance(node, dict) else []:
        found += walk(child)
    return found


# --- size: 10,000 items, 20 MB, deep nesting --------------------------------------------

MEASURE = """
import json, resource, sys, time
from pmsync.commands import load_documents, open_config
from pmsync.plan.planner import plan_changes
from pmsync.state.store import SyncState
config = open_config(sys.argv[1])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.process_time()
docs, errors = load_documents([sys.argv[2]], config)
plan = plan_changes(docs, SyncState(), config)
print(json.dumps({"seconds": time.process_time() - start, "errors": errors,
                  "growth_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024,
                  "items": sum(len(d.items) for d in docs), "creates": plan.count("create"),
                  "warnings": plan.warnings}))
"""


def measure(root: Path, text: str) -> dict[str, Any]:
    """Parse and plan one document in a fresh process: CPU time and peak memory growth.
    CPU time, not wall time: on a loaded machine (CI runners, 2 cores shared) the wall
    clock measures the neighbours; a parser gone quadratic still shows in CPU time."""
    config, doc = root / "pmsync.yaml", root / "postmortems" / "outage.md"
    config.write_text("github: {repo: acme/ops}\n")
    doc.parent.mkdir(parents=True)
    doc.write_text(text)
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(config), str(doc)],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def test_10000_items_are_bounded_and_warned_about(tmp_path: Path) -> None:
    result = measure(tmp_path, generated_postmortem(1, 10_000))
    # parser.max_items: the parser stops one item past it, so memory stays bounded
    assert result["items"] == 2001 and result["creates"] == 2000
    assert result["warnings"] == [
        "postmortems/outage.md: more action items than parser.max_items (2000): only the "
        "first 2000 are pushed and none of its issues is closed; raise parser.max_items "
        "if they are all real"
    ]
    assert result["growth_mb"] < 200  # time and memory figures: bench/big_documents.py


def test_a_20_mb_document_is_bounded(tmp_path: Path) -> None:
    log = ("2024-06-01T10:00:00Z worker-7 ERROR connection reset by peer; retrying\n") * 40
    paragraphs = "".join(
        f"```\n{log}```\n\nParagraph {n} of the timeline.\n\n" for n in range(7000)
    )
    text = generated_postmortem(1, 50).replace("## Action items", paragraphs + "## Action items")
    assert len(text) > 20_000_000
    result = measure(tmp_path, text)
    assert result["items"] == 50 and result["errors"] == []
    assert result["growth_mb"] < 400


def test_items_past_max_items_are_dropped_not_removed(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    run = make_run(tmp_path, "github", fake_github)
    run.write(HEAD + "".join(f"- **Fix part {n}**: soon.\n" for n in range(6)))
    run.push()
    run.write(HEAD + "".join(f"- **Fix part {n}**: soon.\n" for n in range(8)))
    (run.root / "pmsync.yaml").write_text(
        (run.root / "pmsync.yaml").read_text() + "parser: {max_items: 4}\n"
    )
    result = run.push(prune=True)
    assert {o.action for o in result.outcomes} == {"unchanged"} and len(result.outcomes) == 4
    assert "more action items than parser.max_items (4)" in run.announced[0]
    assert all(i.state == "open" for i in fake_github.issues(REPO)) and len(run.state().items) == 6
    plan = plan_command(load_config(run.root / "pmsync.yaml"), [])
    assert plan.plan.count("remove") == 0 and plan.plan.warnings


@pytest.mark.parametrize("tracker_fake", ["github", "jira"], indirect=True)
def test_deep_nesting_is_pushed_without_recursion_errors(
    tmp_path: Path, tracker_fake: FakeServer
) -> None:
    lists = "".join("  " * n + f"- level {n}\n" for n in range(1, 1000))
    quotes = "".join("  " + ">" * n + f" quote {n}\n" for n in range(1, 1000))
    text = HEAD + "- **Fix the lists**: nested below\n" + lists
    text += "- **Fix the quotes**: nested below\n" + quotes + "- " * 1000 + "**Fix deep**\n"
    doc = parse_postmortem(text, "postmortems/outage.md")
    assert [i.title for i in doc.items][:2] == ["Fix the lists", "Fix the quotes"]
    assert any(str(MAX_ITEM_TEXT) in w.message.replace(",", "") for w in doc.warnings)
    run = tracker_run(tmp_path, tracker_fake)
    run.write(text)
    result = run.push()
    assert {o.action for o in result.outcomes} == {"create"}
    assert tally(run, item_ids(text)) == Tally(0, 0)


# --- CRLF, BOM, tabs ----------------------------------------------------------------------


def test_crlf_bom_and_tabs_keep_every_items_identity(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    plain = (
        "---\nid: 2024-06-01-checkout\n---\n"
        + HEAD
        + (
            "- **Fix the pool**: raise the limit. Due: 2024-07-01\n"
            "- **Add alerts**:\tpage on p99 latency. Owner: @sre\n"
            "\t- sub-point kept with its item\n"
        )
    )
    hostile = "\ufeff" + plain.replace("- **", "-\t**").replace("\n", "\r\n")
    run = make_run(tmp_path, "github", fake_github)
    run.doc.parent.mkdir(parents=True)
    run.doc.write_bytes(hostile.encode("utf-8"))
    first = run.push()
    assert {o.action for o in first.outcomes} == {"create"} and len(first.outcomes) == 2
    assert "\r" not in "".join(bodies(run)) and "\ufeff" not in "".join(bodies(run))
    run.write(plain)
    assert {o.action for o in run.push().outcomes} == {"unchanged"}
    parsed = parse_postmortem(plain, "postmortems/outage.md")
    assert parsed.items[0].due is not None and parsed.items[0].due.isoformat() == "2024-07-01"
