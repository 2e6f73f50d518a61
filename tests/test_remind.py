"""`pmsync remind` against a local webhook receiver (real HTTP on 127.0.0.1) and the
fake trackers: each webhook format, the once-per-N-days rule, a failing webhook, the
dry run, and comments on overdue issues."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pmsync.cli import app
from pmsync.errors import DeliveryError
from pmsync.report.remind import RemindResult, remind_command
from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab
from tests.fakes.jira import FakeJira
from tests.fakes.linear import FakeLinear
from tests.fakes.webhook import WebhookReceiver
from tests.workspace import Workspace, make_workspace

DAY = date(2024, 7, 10)  # the examples' items fall due in June and July 2024
runner = CliRunner()


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


def pushed(tmp_path: Path, fake: FakeGitHub, hook: WebhookReceiver, **remind: Any) -> Workspace:
    env = {"GITHUB_TOKEN": fake.token, "PMSYNC_WEBHOOK_URL": hook.url}
    github = {"repo": "acme/ops", "api_url": fake.api_url, "writes_per_minute": 0}
    ws = make_workspace(tmp_path, env, github=github, remind=remind)
    assert not any(o.action == "fail" for o in ws.push().outcomes)
    return ws


def remind(ws: Workspace, today: date = DAY, **options: Any) -> RemindResult:
    args = {"refresh": False, "dry_run": False} | options
    return remind_command(ws.config(), today=today, env=ws.env, sleep=lambda s: None, **args)


def test_slack_digest_grouped_by_owner_with_links(
    tmp_path: Path, fake_github: FakeGitHub, webhook: WebhookReceiver
) -> None:
    ws = pushed(tmp_path, fake_github, webhook)
    result = remind(ws)
    (posted,) = webhook.posts
    assert result.delivered and posted == result.payload
    assert posted["text"].startswith("Postmortem action items: ")
    sections = [b["text"]["text"] for b in posted["blocks"] if b["type"] == "section"]
    assert sections and sections[0].startswith("*")  # the first owner's name
    assert "overdue by" in sections[0] and "<http://" in sections[0]
    items = result.digest.items
    assert items and all(i.due <= date(2024, 7, 17) for i in items)
    assert ws.state().reminded[items[0].item_id].digest == DAY


@pytest.mark.parametrize("fmt", ["teams", "mattermost", "json"])
def test_other_formats(
    tmp_path: Path, fake_github: FakeGitHub, webhook: WebhookReceiver, fmt: str
) -> None:
    ws = pushed(tmp_path, fake_github, webhook, format=fmt)
    result = remind(ws)
    (posted,) = webhook.posts
    count = len(result.digest.items)
    if fmt == "teams":
        card = posted["attachments"][0]["content"]
        assert card["type"] == "AdaptiveCard" and "](http" in card["body"][0]["text"]
    elif fmt == "mattermost":
        assert posted["text"].count("\n- [") == count
    else:
        listed = [i for o in posted["owners"] for d in o["postmortems"] for i in d["items"]]
        assert len(listed) == count and posted["today"] == DAY.isoformat()
        assert sum(posted["summary"].values()) == count


def test_once_every_n_days(
    tmp_path: Path, fake_github: FakeGitHub, webhook: WebhookReceiver
) -> None:
    ws = pushed(tmp_path, fake_github, webhook, every_days=3)
    first = len(remind(ws).digest.items)
    again = remind(ws)
    assert not again.digest.items and not again.delivered and len(webhook.posts) == 1
    assert not remind(ws, date(2024, 7, 12)).digest.items  # two days later: still quiet
    later = remind(ws, date(2024, 7, 13))
    assert len(later.digest.items) >= first and len(webhook.posts) == 2


def test_failing_webhook_records_nothing(
    tmp_path: Path, fake_github: FakeGitHub, webhook: WebhookReceiver
) -> None:
    ws = pushed(tmp_path, fake_github, webhook)
    webhook.status = 500
    with pytest.raises(DeliveryError, match=r"PMSYNC_WEBHOOK_URL answered HTTP 500"):
        remind(ws)
    assert ws.state().reminded == {}
    webhook.status = 200
    assert remind(ws).delivered  # the next run sends what failed


def test_cli_failure_is_one_line_exit_1_and_never_shows_the_url(
    tmp_path: Path, fake_github: FakeGitHub, webhook: WebhookReceiver
) -> None:
    ws = pushed(tmp_path, fake_github, webhook)
    config = str(ws.root / "pmsync.yaml")
    args = ["remind", "-c", config, "--no-refresh", "--today", "2024-07-10"]
    webhook.status = 404
    bad = runner.invoke(app, args, env=ws.env)
    assert bad.exit_code == 1 and bad.stderr.count("\n") == 1, bad.stderr
    assert "HTTP 404" in bad.stderr and webhook.url not in bad.stdout + bad.stderr
    refused = {**ws.env, "PMSYNC_WEBHOOK_URL": "http://127.0.0.1:9/hooks/secret-part"}
    down = runner.invoke(app, args, env=refused)
    assert down.exit_code == 1 and "did not answer" in down.stderr
    assert "secret-part" not in down.stdout + down.stderr
    unset = runner.invoke(app, args, env={"GITHUB_TOKEN": fake_github.token})
    assert unset.exit_code == 2 and "$PMSYNC_WEBHOOK_URL" in unset.stderr


def test_dry_run_prints_and_sends_nothing(
    tmp_path: Path, fake_github: FakeGitHub, webhook: WebhookReceiver
) -> None:
    ws = pushed(tmp_path, fake_github, webhook, comment=True)
    config = str(ws.root / "pmsync.yaml")
    before = fake_github.count()
    args = ["remind", "-c", config, "--dry-run", "--no-refresh", "--today", "2024-07-10"]
    done = runner.invoke(app, args, env={})
    assert done.exit_code == 0, done.stderr
    payload = json.loads(done.stdout.split("\nwould comment")[0])
    assert payload["blocks"] and "would comment" in done.stdout
    assert webhook.posts == [] and fake_github.count() == before
    assert ws.state().reminded == {}


def test_refresh_skips_closed_issues(
    tmp_path: Path, fake_github: FakeGitHub, webhook: WebhookReceiver
) -> None:
    ws = pushed(tmp_path, fake_github, webhook)
    stale = {i.key for i in remind(ws, dry_run=True).digest.items}
    number = min(int(k.split("#")[1]) for k in stale)
    fake_github.close_issue("acme/ops", number)
    fresh = {i.key for i in remind(ws, refresh=True).digest.items}
    assert fresh == stale - {f"acme/ops#{number}"}


def test_comments_on_overdue_issues_once(
    tmp_path: Path, fake_github: FakeGitHub, webhook: WebhookReceiver
) -> None:
    ws = pushed(tmp_path, fake_github, webhook, comment=True, webhook_env=None)
    fake_github.edit_issue("acme/ops", 1, assignees=["alice-gh"])
    result = remind(ws, refresh=True)
    assert webhook.posts == [] and not result.delivered
    overdue = [i for i in result.digest.items if i.overdue_days > 0]
    assert len(result.comments) == len(overdue) > 0
    comments = fake_github.repo("acme/ops").issues[1].comments
    assert len(comments) == 1 and "overdue by" in comments[0].body
    assert "@\u200dalice-gh" in comments[0].body  # allow_mentions is false: no ping
    assert remind(ws, refresh=True).comments == []  # same day: nothing twice
    assert len(fake_github.repo("acme/ops").issues[1].comments) == 1


def test_jira_comment_mentions_the_assignee(
    tmp_path: Path, fake_jira: FakeJira, webhook: WebhookReceiver
) -> None:
    env = {**fake_jira.env(), "PMSYNC_WEBHOOK_URL": webhook.url}
    ws = make_workspace(
        tmp_path, env, tracker="jira", jira=fake_jira.config(),
        remind={"comment": True}, defaults={"allow_mentions": True},
    )  # fmt: skip
    ws.push()
    key = fake_jira.issues()[0]["key"]
    fake_jira.edit(key, assignee="acc-1")
    result = remind(ws, refresh=True)
    assert result.delivered and any(line.startswith(key) for line in result.comments)
    (comment,) = fake_jira.comments(key)
    nodes = json.dumps(comment["body"])
    assert '"type": "mention"' in nodes and "acc-1" in nodes


def test_gitlab_comment_mentions_the_assignee(
    tmp_path: Path, fake_gitlab: FakeGitLab, webhook: WebhookReceiver
) -> None:
    env = {**fake_gitlab.env(), "PMSYNC_WEBHOOK_URL": webhook.url}
    ws = make_workspace(
        tmp_path, env, tracker="gitlab", gitlab=fake_gitlab.config(creates_per_minute=0),
        remind={"comment": True}, defaults={"allow_mentions": True},
    )  # fmt: skip
    ws.push()
    fake_gitlab.add_user("carol")
    issue = fake_gitlab.issues()[0]
    fake_gitlab.edit_issue(issue.iid, assignees=["carol"])
    result = remind(ws, refresh=True)
    key = f"{fake_gitlab.initial_projects[0]}#{issue.iid}"
    assert result.errors == [] and any(line.startswith(key) for line in result.comments)
    (note,) = fake_gitlab.issue(issue.iid).notes
    assert note.body.startswith("@carol This postmortem action item is overdue by")
    assert remind(ws, refresh=True).comments == []  # same day: nothing twice
    assert len(fake_gitlab.issue(issue.iid).notes) == 1


def linear_pushed(
    tmp_path: Path, fake: FakeLinear, hook: WebhookReceiver, mentions: bool
) -> Workspace:
    env = {**fake.env(), "PMSYNC_WEBHOOK_URL": hook.url}
    ws = make_workspace(
        tmp_path, env, tracker="linear", linear=fake.config(),
        remind={"comment": True}, defaults={"allow_mentions": mentions},
    )  # fmt: skip
    assert not any(o.action == "fail" for o in ws.push().outcomes)
    return ws


def test_linear_comment_mentions_the_assignee_by_profile_url(
    tmp_path: Path, fake_linear: FakeLinear, webhook: WebhookReceiver
) -> None:
    ws = linear_pushed(tmp_path, fake_linear, webhook, mentions=True)
    kim = fake_linear.add_user("Kim Poe", "kim@example.com")
    key = fake_linear.issues()[0]["identifier"]
    fake_linear.edit(key, assignee_id=kim.id)
    result = remind(ws, refresh=True)
    assert result.errors == [] and any(line.startswith(key) for line in result.comments)
    (comment,) = fake_linear.issues()[0]["comments"]
    assert comment.startswith(f"https://linear.app/acme/profiles/{kim.id} This postmortem")
    assert sum(len(i["comments"]) for i in fake_linear.issues()) == len(result.comments)
    assert remind(ws, refresh=True).comments == []  # same day: nothing twice
    assert fake_linear.validation_errors == []


def test_linear_comment_without_mentions_names_the_assignee_inertly(
    tmp_path: Path, fake_linear: FakeLinear, webhook: WebhookReceiver
) -> None:
    ws = linear_pushed(tmp_path, fake_linear, webhook, mentions=False)
    key = fake_linear.issues()[0]["identifier"]
    fake_linear.edit(key, assignee_id=fake_linear.viewer_id)
    fake_linear.reset_log()
    assert remind(ws, refresh=True).errors == []
    (comment,) = fake_linear.issues()[0]["comments"]
    assert comment.startswith("@\u200dpat@example.com: This postmortem action item is overdue")
    assert "/profiles/" not in comment and fake_linear.count_op("users") == 0


def test_unassigned_items_are_grouped_under_the_postmortem_owner(
    tmp_path: Path, fake_github: FakeGitHub, webhook: WebhookReceiver
) -> None:
    env = {"GITHUB_TOKEN": fake_github.token, "PMSYNC_WEBHOOK_URL": webhook.url}
    github = {"repo": "acme/ops", "api_url": fake_github.api_url, "writes_per_minute": 0}
    ws = make_workspace(tmp_path, env, github=github, remind={"format": "json"})
    ws.edit("web-stack-orders-index.md", "Engineer Training", "Engineer Training (@bob)")
    ws.push()
    remind(ws, date(2030, 1, 1))
    (posted,) = webhook.posts
    groups = {o["owner"]: [i["title"] for d in o["postmortems"] for i in d["items"]]
              for o in posted["owners"]}  # fmt: skip
    (title,) = groups["bob"]
    assert title.startswith("Engineer Training") and title not in groups["unassigned"]


def test_slack_message_holds_what_fits_and_records_only_that() -> None:
    from pmsync.report.remind_format import Digest, DueItem, fit_slack, slack_payload

    def item(n: int) -> DueItem:
        return DueItem(f"i{n}", "A long title " * 8, f"owner{n % 60}", "pm/x.md", None,
                       f"acme/ops#{n}", f"https://github.com/acme/ops/issues/{n}",
                       date(2024, 7, 1), 9)  # fmt: skip

    digest = Digest(DAY, [item(n) for n in range(1500)])
    kept = fit_slack(digest)
    payload = slack_payload(kept)
    sections = [b for b in payload["blocks"] if b["type"] == "section"]
    assert len(payload["blocks"]) <= 50 and all(len(s["text"]["text"]) <= 3000 for s in sections)
    lines = [line for s in sections for line in s["text"]["text"].splitlines()]
    shown = sum(line.startswith("• ") for line in lines)
    assert 0 < shown == len(kept.items) < 1500  # the rest waits for the next run
