"""`pmsync remind`: a digest of overdue and due-soon items to a chat webhook, and
optionally a comment on each overdue issue mentioning its assignee.

Each item is named at most once every `remind.every_days` in a digest, and commented on
at most once every `remind.every_days`; both dates are recorded in the state only after
the message was accepted, so a failed delivery is retried by the next run and a re-run
the same day sends nothing. Closed and missing issues are never reminded of.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pmsync.adapters.base import Commenting
from pmsync.commands import TrackerConnector, item_lines, require_config_or_state
from pmsync.config import Config
from pmsync.errors import ConfigError, DeliveryError, TrackerError
from pmsync.plan.drafts import neutralize_mentions
from pmsync.report.remind_format import FITS, PAYLOADS, Digest, DueItem, when
from pmsync.state.store import Reminded, SyncState, load_state, locked, save_state
from pmsync.status.refresh import StatusRow, refresh_status, status_rows

Post = Callable[[str, Any], None]  # (url, JSON body) → raises DeliveryError
TIMEOUT = 10.0


@dataclass
class RemindResult:
    digest: Digest
    payload: dict[str, Any] | None  # what was (or, with dry_run, would be) posted
    comments: list[str] = field(default_factory=list)  # "KEY: text" per comment
    errors: list[str] = field(default_factory=list)  # trackers not refreshed, comments failed
    delivered: bool = False  # the webhook accepted the digest


def remind_command(
    config: Config,
    *,
    refresh: bool,
    today: date,
    dry_run: bool,
    env: Mapping[str, str] = os.environ,
    post: Post | None = None,
    announce: Callable[[str], None] = lambda message: None,
    sleep: Callable[[float], None] = time.sleep,
) -> RemindResult:
    require_config_or_state(config)
    url = None if dry_run else webhook_url(config, env)
    path = config.state_path()
    with locked(path, config.limits.lock_timeout, announce):
        state = load_state(path)
        connect = TrackerConnector(config, env, announce, sleep)
        errors = [str(e) for e in refresh_status(state, connect)] if refresh else []
        lines, owners = item_lines(config, [], state)  # one read of the postmortems
        rows = sorted(
            status_rows(state, today),
            key=lambda r: (r.doc, lines.get(r.item_id, 1 << 30), r.item_id),
        )  # in the order the postmortems list them
        result = RemindResult(digest_of(rows, state, config, today, owners), None, errors=errors)
        try:
            deliver(result, url, config, dry_run, post or post_json(config))
            if config.remind.comment:
                comment_overdue(result, rows, state, config, connect, dry_run)
        finally:
            if not dry_run:
                record_digest(state, result, today)
                save_state(state, path)
    return result


def webhook_url(config: Config, env: Mapping[str, str]) -> str | None:
    name = config.remind.webhook_env
    if name is None:
        return None
    url = env.get(name, "").strip()
    if not url:
        raise ConfigError(
            f"no webhook URL: set the environment variable ${name} (remind.webhook_env) to "
            "the incoming webhook URL, or set remind.webhook_env: null to only comment"
        )
    return url


def digest_of(
    rows: list[StatusRow],
    state: SyncState,
    config: Config,
    today: date,
    owners: Mapping[str, str] | None = None,
) -> Digest:
    """The open items overdue or due within `due_soon_days`, not named in a digest in
    the last `every_days`. `owners`: the owner each postmortem names, by item id."""
    items = [
        due_item(row, config, today, (owners or {}).get(row.item_id))
        for row in rows
        if is_due(row, config, today) and recent(state, row.item_id, "digest", today, config)
    ]
    return Digest(today, items, config.defaults.allow_mentions)


def is_due(row: StatusRow, config: Config, today: date) -> bool:
    if row.state == "closed" or row.missing or row.due is None or row.record.issue is None:
        return False
    return (row.due - today).days <= config.remind.due_soon_days


def recent(state: SyncState, item_id: str, kind: str, today: date, config: Config) -> bool:
    """True when the item may be reminded of (`kind`: digest or comment) today."""
    last: date | None = getattr(state.reminded.get(item_id), kind, None)
    return last is None or (today - last).days >= config.remind.every_days


def due_item(row: StatusRow, config: Config, today: date, owner: str | None = None) -> DueItem:
    """The item as a digest shows it; its owner is the issue's assignee, else the owner
    the postmortem names, else the account pmsync assigned."""
    issue = row.record.issue
    assert issue is not None and row.due is not None  # is_due() checked both
    pushed = row.record.pushed.assignee if row.record.pushed else None
    base = config.links.base_url
    doc_url = f"{base.rstrip('/')}/{row.doc.removeprefix('./')}" if base else None
    return DueItem(
        item_id=row.item_id, title=row.title, owner=row.assignee or owner or pushed or "unassigned",
        doc=row.doc, doc_url=doc_url, key=issue.key, url=issue.url, due=row.due,
        overdue_days=(today - row.due).days,
    )  # fmt: skip


def deliver(
    result: RemindResult, url: str | None, config: Config, dry_run: bool, post: Post
) -> None:
    if not result.digest.items or (url is None and not dry_run):
        return
    fit = FITS.get(config.remind.format)
    if fit is not None:  # what does not fit in one message waits for the next run
        result.digest = fit(result.digest)
    result.payload = PAYLOADS[config.remind.format](result.digest)
    if not dry_run and url is not None:
        post(url, result.payload)
        result.delivered = True


def record_digest(state: SyncState, result: RemindResult, today: date) -> None:
    """Only what was delivered: a digest not posted (no webhook, a failure) records nothing."""
    if not result.delivered:
        return
    for item in result.digest.items:
        state.reminded.setdefault(item.item_id, Reminded()).digest = today


def post_json(config: Config) -> Post:
    name = config.remind.webhook_env or "the webhook"

    def post(url: str, payload: Any) -> None:
        import httpx

        try:
            resp = httpx.post(url, json=payload, timeout=TIMEOUT)
        except httpx.HTTPError as exc:
            raise DeliveryError(
                f"webhook in ${name} did not answer ({type(exc).__name__}); nothing recorded"
            ) from None
        if resp.status_code >= 300:
            raise DeliveryError(
                f"webhook in ${name} answered HTTP {resp.status_code}; nothing recorded as sent"
            )

    return post


def comment_overdue(
    result: RemindResult,
    rows: list[StatusRow],
    state: SyncState,
    config: Config,
    connect: TrackerConnector,
    dry_run: bool,
) -> None:
    """A comment on each overdue open issue, at most once every `every_days`."""
    for row in rows:
        if not (row.overdue and row.record.issue and is_due(row, config, result.digest.today)):
            continue
        if not recent(state, row.item_id, "comment", result.digest.today, config):
            continue
        try:
            text = _comment_one(row, config, connect, dry_run, result.digest.today)
        except TrackerError as exc:
            result.errors.append(f"{row.record.issue.key}: reminder comment not posted: {exc}")
            continue
        result.comments.append(f"{row.record.issue.key}: {text}")
        if not dry_run:
            state.reminded.setdefault(row.item_id, Reminded()).comment = result.digest.today


def _comment_one(
    row: StatusRow, config: Config, connect: TrackerConnector, dry_run: bool, today: date
) -> str:
    issue = row.record.issue
    assert issue is not None and row.due is not None
    item = due_item(row, config, today)
    text = f"This postmortem action item is {when(item)} (due {row.due.isoformat()})."
    mention = row.assignee if config.defaults.allow_mentions else None
    if row.assignee and mention is None:
        text = f"{neutralize_mentions('@' + row.assignee)}: {text}"
    if dry_run:
        return (f"@{mention} " if mention else "") + text
    tracker = connect(issue.tracker)
    if not isinstance(tracker, Commenting):
        raise TrackerError(f"{issue.tracker} issues cannot be commented on by pmsync")
    tracker.comment(issue.ref(), text, mention)
    return text


def payload_text(payload: dict[str, Any]) -> str:
    return json.dumps(payload, indent=2, ensure_ascii=False)
