"""The Linear tracker: issues in a team, created in batches through `issueBatchCreate`.

Identity lives in the line closing pmsync's block of the description, `pmsync item <id> ·
rev <hash>` (block.py), written in the same mutation that creates the issue: an issue
exists only with its identity, so a create whose answer is lost is found again by the next
listing of the team's issues carrying the tracking label `pmsync`. (An attachment with a
URL unique to the item would need a second mutation per issue after the create: a crash
between the two leaves an issue nobody can match, and every create would cost twice.)

pmsync owns only its block: the text people write around it is kept by every update. The
team's memo (adapters/edits.py) holds that text between runs, so an update needs no read
of the issue: one listing of the issues edited since the last push comes first.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar

from pmsync.adapters.base import Memo, chunks, wrap_block
from pmsync.adapters.edits import EditMemos
from pmsync.adapters.linear import queries as q
from pmsync.adapters.linear.block import render, split_outside
from pmsync.adapters.linear.values import (
    TEAM_KEY_RE,
    looks_like_email,
    priority_of,
    title_of,
    to_remote,
)
from pmsync.errors import AuthError, NotFound, RateLimited, TrackerError
from pmsync.model import Created, Failed, IssueDraft, IssueRef, RemoteIssue

if TYPE_CHECKING:
    from pmsync.adapters.linear import LinearConfig
    from pmsync.adapters.linear.client import LinearClient

TRACKING_LABEL = "pmsync"
# Ends prune's closing comment (Linear drops HTML comments, so it is visible, as on Jira):
# a re-run after a refused move finds it and does not comment again.
CLOSE_MARKER = "(closed by pmsync)"


class DraftRefused(Exception):
    """A draft that cannot be sent as it is (unknown user or label): fails alone."""


class LinearTracker:
    name: ClassVar[str] = "linear"
    max_batch: ClassVar[int] = 50  # issueBatchCreate takes at most 50 issues
    links_on_create: ClassVar[bool] = True  # parentId in the batch create

    def __init__(self, config: LinearConfig, client: LinearClient) -> None:
        self._config = config
        self._client = client
        self._teams: dict[str, q.Team] = {}
        self._labels: dict[str, dict[str, str]] = {}  # team id → folded name → label id
        self._users: dict[str, str | None] = {}  # folded email or id → user id (None: unknown)
        self._project: tuple[str | None] | None = None
        self._profiles: dict[str, str | None] = {}  # email or id → profile URL (None: unknown)
        self.edits = EditMemos(self._listing, split=split_outside)  # per team key

    # --- the memo the state keeps per team ----------------------------------------------
    def recall(self, container: str, memo: Memo) -> None:
        self.edits.recall(self._key(container), memo)

    def memo(self, container: str) -> Memo:
        return self.edits.dump(self._key(container))

    def settle(self, container: str, started: datetime) -> None:
        """A push that started at `started` ended: people's edits before it are known."""
        self.edits.settle(self._key(container), started)

    def _key(self, container: str) -> str:
        return container or self._config.team or ""

    # --- team, labels, people -------------------------------------------------------
    def whoami(self) -> str:
        """The name (and email) of the key's user: one request."""
        me = self._client.run("read the API key's user", q.VIEWER, {})["viewer"]
        return f"{me.get('name')} <{me.get('email')}>"

    @property
    def client(self) -> LinearClient:
        return self._client

    def team(self, key: str) -> q.Team:
        return self._team(key)

    def budget_left(self) -> tuple[int | None, int | None]:
        """Requests and complexity points left this hour, as the last answer said."""
        budget = self._client.budget
        return budget.requests_remaining, budget.points_remaining

    def _team(self, container: str) -> q.Team:
        key = container or self._config.team or ""
        if key not in self._teams:
            if not TEAM_KEY_RE.match(key):
                raise NotFound(f"{key!r} is not a Linear team key (e.g. OPS): set linear.team")
            found = q.team_of(self._client.run(f"read team {key}", q.TEAM, {"key": key}))
            if found is None:
                raise NotFound(
                    f"Linear team {key} does not exist or the API key cannot see it: set "
                    "linear.team (or linear_team in front matter) to a team's key"
                )
            self._teams[key] = found
        return self._teams[key]

    def _label_ids(self, team: q.Team, names: Sequence[str]) -> list[str]:
        known = self._team_labels(team)
        for name in names:
            if name.casefold() not in known:
                known[name.casefold()] = self._create_label(team, name)
        return [known[n.casefold()] for n in dict.fromkeys(names)]

    def _team_labels(self, team: q.Team) -> dict[str, str]:
        if team.id not in self._labels:
            found: dict[str, str] = {}
            for node in self._pages(f"read the labels of {team.key}", q.LABELS, {"team": team.id}):
                found.setdefault(str(node["name"]).casefold(), str(node["id"]))
            self._labels[team.id] = found
        return self._labels[team.id]

    def _create_label(self, team: q.Team, name: str) -> str:
        if not self._config.create_labels and name != TRACKING_LABEL:
            raise DraftRefused(
                f"label {name!r} does not exist in Linear team {team.key}: create it there, "
                "or set linear.create_labels: true"
            )
        label = {"input": {"name": name, "teamId": team.id}}
        data = self._client.run(f"create label {name!r}", q.LABEL_CREATE, label, mutation=True)
        return str(data["issueLabelCreate"]["issueLabel"]["id"])

    def _resolve_people(self, drafts: Sequence[IssueDraft]) -> None:
        """Look up, in one request, every assignee of `drafts` not seen yet."""
        wanted = {d.assignee for d in drafts if d.assignee} - set(self._users)
        if not wanted:
            return
        emails = sorted(v for v in wanted if looks_like_email(v))
        ids = sorted(wanted - set(emails))
        data = self._client.run("read users", q.USERS, {"emails": emails, "ids": ids})
        for node in data["users"]["nodes"]:
            if node.get("active", True):
                self._users[str(node["email"]).casefold()] = str(node["id"])
                self._users[str(node["id"]).casefold()] = str(node["id"])
        for value in wanted:
            self._users.setdefault(value.casefold(), None)

    def _user_id(self, value: str | None) -> str | None:
        if not value:
            return None
        found = self._users.get(value.casefold())
        if found is None:
            raise DraftRefused(
                f"assignee {value!r} is not an active Linear user: fix its `linear:` entry "
                "in people (an email or a Linear user id)"
            )
        return found

    def _project_id(self) -> str | None:
        if self._project is None:
            name = self._config.project
            found = None
            if name:
                nodes = self._client.run(f"read project {name!r}", q.PROJECT, {"name": name})
                found = next((str(p["id"]) for p in nodes["projects"]["nodes"]), None)
                if found is None:
                    raise NotFound(f"Linear project {name!r} not found: fix linear.project")
            self._project = (found,)
        return self._project[0]

    # --- reads ----------------------------------------------------------------------
    def list_managed(self, container: str, since: datetime | None = None) -> Iterator[RemoteIssue]:
        """pmsync's issues of the team, 250 a page, in order of creation: an issue edited
        while the pages are read keeps its place (ordered by `updatedAt`, newest first, it
        would jump to a page already read and be missed)."""
        return self._listing(self._key(container), since)

    def _listing(self, key: str, since: datetime | None) -> Iterator[RemoteIssue]:
        """The listing; the text people keep around each issue's block is noted."""
        team = self._team(key)
        flt: dict[str, Any] = {
            "team": {"id": {"eq": team.id}},
            "labels": {"name": {"eq": TRACKING_LABEL}},
        }
        if since is not None:
            moment = since if since.tzinfo else since.replace(tzinfo=timezone.utc)
            flt["updatedAt"] = {"gt": moment.isoformat()}
        seen: set[str] = set()
        for node in self._pages(f"list the issues of {team.key}", q.ISSUES, {"filter": flt}):
            if node["id"] not in seen:  # a page boundary that moved may show an issue twice
                seen.add(node["id"])
                yield self._remember(node)

    def _pages(self, what: str, query: str, variables: dict[str, Any]) -> Iterator[Any]:
        after: str | None = None
        while True:
            data = self._client.run(what, query, {**variables, "after": after})
            page = q.page_of(next(iter(data.values())))
            yield from page.nodes
            if page.next_cursor is None:
                return
            after = page.next_cursor

    def _remember(self, node: dict[str, Any]) -> RemoteIssue:
        """An issue just read: its text noted."""
        issue = to_remote(node)
        self.edits.of(team_of(issue.ref)).note(issue.ref.key, issue.body)
        return issue

    def _wrote(self, node: dict[str, Any], *, batched: bool = False) -> RemoteIssue:
        """An issue as Linear answered a write: its text noted, the write counted, its
        stamp taken as a bound of the clock skew."""
        issue = to_remote(node)
        memo = self.edits.of(team_of(issue.ref))
        memo.wrote(issue.ref.key, issue.body, issue.updated_at, batched=batched)
        return issue

    def get(self, ref: IssueRef) -> RemoteIssue | None:
        try:
            data = self._client.run(f"read {ref.key}", q.ISSUE, {"id": ref.id or ref.key})
        except NotFound:
            return None
        return self._remember(data["issue"])

    # --- writes ---------------------------------------------------------------------
    def create(self, drafts: Sequence[IssueDraft]) -> list[Created | Failed]:
        results: dict[int, Created | Failed] = {}
        ready: list[tuple[int, IssueDraft, dict[str, Any]]] = []
        self._resolve_people(drafts)
        for n, draft in enumerate(drafts):
            try:
                ready.append((n, draft, self._create_input(draft)))
            except DraftRefused as exc:
                results[n] = Failed(draft.item_id, str(exc))
        for batch in chunks(ready, self._config.batch_size):
            self._send(list(batch), results)
        return [results[n] for n in range(len(drafts))]

    def _create_input(self, draft: IssueDraft) -> dict[str, Any]:
        team = self._team(draft.container)
        fields: dict[str, Any] = {
            "teamId": team.id, "title": title_of(draft.title),
            "description": render(draft.body, draft.item_id, draft.content_hash),
            "priority": priority_of(draft.priority, self._config.priority_map),
            "labelIds": self._label_ids(team, [*draft.labels, TRACKING_LABEL]),
        }  # fmt: skip
        if draft.due:
            fields["dueDate"] = draft.due.isoformat()
        if draft.assignee:
            fields["assigneeId"] = self._user_id(draft.assignee)
        if self._project_id():
            fields["projectId"] = self._project_id()
        if draft.parent is not None:
            fields["parentId"] = draft.parent.id or draft.parent.key
        return fields

    def link_child(self, parent: IssueRef, child: IssueRef) -> bool:
        """`child` a sub-issue of `parent`: one issueUpdate setting its parentId."""
        variables = {"id": child.id or child.key, "input": {"parentId": parent.id or parent.key}}
        self._client.run(f"put {child.key} under {parent.key}", q.UPDATE, variables,
                         mutation=True)  # fmt: skip
        return True

    def _send(
        self, batch: list[tuple[int, IssueDraft, dict[str, Any]]], results: dict[int, Any]
    ) -> None:
        """One issueBatchCreate. Linear runs it as one transaction, so a refused batch
        created nothing: its halves are sent again until the refused item fails alone.
        A batch whose answer was lost is never sent again: the engine reconciles it."""
        inputs = {"input": {"issues": [fields for _, _, fields in batch]}}
        try:
            data = self._client.run(f"create {len(batch)} issues", q.BATCH_CREATE, inputs,
                                    mutation=True)  # fmt: skip
        except (AuthError, RateLimited):
            raise
        except TrackerError as exc:
            if exc.maybe_applied or exc.transient or len(batch) == 1:
                for n, draft, _ in batch:
                    results[n] = Failed(draft.item_id, str(exc), maybe_applied=exc.maybe_applied)
                return
            half = len(batch) // 2
            self._send(batch[:half], results)
            self._send(batch[half:], results)
            return
        nodes = data["issueBatchCreate"]["issues"]
        by_item = {r.item_id: r for r in (self._wrote(n, batched=True) for n in nodes)}
        for n, draft, _ in batch:
            made = by_item.get(draft.item_id)
            results[n] = (
                Created(draft.item_id, made)
                if made
                else Failed(draft.item_id, "Linear did not return the issue", maybe_applied=True)
            )

    def update(self, ref: IssueRef, draft: IssueDraft, fields: Collection[str]) -> RemoteIssue:
        """One issueUpdate with the changed fields. The description is pmsync's block with
        people's text around it, from the team's memo (after one listing of the issues
        edited since the last push), else from a read of the issue. Labels are added
        (`addedLabelIds`), never set: people's labels stay."""
        self._resolve_people([draft])
        try:
            payload = self._update_input(ref, draft, fields)
        except DraftRefused as exc:
            raise TrackerError(f"{ref.key}: {exc}") from None
        if not payload:
            found = self.get(ref)
            if found is None:
                raise NotFound(f"{ref.key} no longer exists in Linear or is not visible")
            return found
        variables = {"id": ref.id or ref.key, "input": payload}
        data = self._client.run(f"update {ref.key}", q.UPDATE, variables, mutation=True)
        return self._wrote(data["issueUpdate"]["issue"])

    def _outside(self, ref: IssueRef) -> tuple[str, str]:
        """People's text around the block of `ref`: what the memo knows after the listing
        of edits; with no memo recalled, read from the issue itself."""
        known = self.edits.around(team_of(ref), ref.key)
        if known is not None:
            return known
        if self.get(ref) is None:
            raise NotFound(f"{ref.key} no longer exists in Linear or is not visible")
        return self.edits.of(team_of(ref)).outside.get(ref.key, ("", ""))

    def _update_input(
        self, ref: IssueRef, draft: IssueDraft, fields: Collection[str]
    ) -> dict[str, Any]:
        team = self._team(draft.container)
        payload: dict[str, Any] = {}
        if "title" in fields:
            payload["title"] = title_of(draft.title)
        if "body" in fields:
            block = render(draft.body, draft.item_id, draft.content_hash)
            payload["description"] = wrap_block(self._outside(ref), block)
        if "labels" in fields:
            payload["addedLabelIds"] = self._label_ids(team, [*draft.labels, TRACKING_LABEL])
        if "assignee" in fields:
            payload["assigneeId"] = self._user_id(draft.assignee)
        if "due" in fields:
            payload["dueDate"] = draft.due.isoformat() if draft.due else None
        if "priority" in fields:
            payload["priority"] = priority_of(draft.priority, self._config.priority_map)
        return payload

    def comment(self, ref: IssueRef, text: str, mention: str | None) -> None:
        """A comment (`pmsync remind`). `mention` (an email or a user id, as an issue's
        assignee reads) is notified as Linear's editor does it: by the profile URL."""
        if mention:
            url = self._profile_url(mention)
            text = f"{url} {text}" if url else f"{mention}: {text}"
        note = {"issueId": ref.id or ref.key, "body": text}
        self._client.run(f"comment on {ref.key}", q.COMMENT, {"input": note}, mutation=True)

    def _profile_url(self, who: str) -> str | None:
        if who not in self._profiles:
            flt = {"email": {"eqIgnoreCase": who}} if looks_like_email(who) else {"id": {"eq": who}}
            data = self._client.run("read a user's profile", q.PROFILE, {"filter": flt})
            found = [u for u in data["users"]["nodes"] if u.get("active", True)]
            self._profiles[who] = str(found[0]["url"]) if found else None
        return self._profiles[who]

    def close(self, ref: IssueRef, comment: str) -> RemoteIssue:
        """Comment and move to the team's first `prune_state` state, in one request, after
        one read of the issue. The comment ends with CLOSE_MARKER: when the read finds it
        (the move was refused after it landed), only the move is sent. An issue already
        completed or canceled is left as it is."""
        current, commented = self._closing(ref)
        if current.state == "closed":
            return current
        ref = current.ref
        team = self._team(ref.key.split("-", 1)[0])
        state = team.first_state(self._config.prune_state)
        if state is None:
            raise TrackerError(f"Linear team {team.key} has no {self._config.prune_state} state")
        variables: dict[str, Any] = {"id": ref.id or ref.key, "input": {"stateId": state.id}}
        if not commented:
            body = f"{comment}\n\n{CLOSE_MARKER}"
            variables["comment"] = {"issueId": ref.id or ref.key, "body": body}
        document = q.UPDATE if commented else q.CLOSE
        data = self._client.run(f"close {ref.key}", document, variables, mutation=True)
        return self._wrote(data["issueUpdate"]["issue"])

    def complete(self, ref: IssueRef, comment: str) -> RemoteIssue:
        """Comment and move to the team's first completed state (a parent whose items
        are all closed; `close` is for work dropped)."""
        return self._move(ref, "completed", comment, "complete")

    def reopen(self, ref: IssueRef, comment: str) -> RemoteIssue:
        """Comment and move to the team's first unstarted state, in one request."""
        return self._move(ref, "unstarted", comment, "reopen")

    def _move(self, ref: IssueRef, kind: str, comment: str, verb: str) -> RemoteIssue:
        team = self._team(ref.key.split("-", 1)[0])
        state = team.first_state(kind)
        if state is None:
            raise TrackerError(f"Linear team {team.key} has no {kind} state")
        variables = {"id": ref.id or ref.key, "comment": {"issueId": ref.id or ref.key,
                     "body": comment}, "input": {"stateId": state.id}}  # fmt: skip
        data = self._client.run(f"{verb} {ref.key}", q.CLOSE, variables, mutation=True)
        return self._wrote(data["issueUpdate"]["issue"])

    def _closing(self, ref: IssueRef) -> tuple[RemoteIssue, bool]:
        """The issue as it is now, and whether pmsync's closing comment is on it."""
        variables = {"id": ref.id or ref.key, "marker": CLOSE_MARKER}
        try:
            node = self._client.run(f"read {ref.key}", q.CLOSING, variables)["issue"]
        except NotFound:
            raise NotFound(f"{ref.key} no longer exists in Linear or is not visible") from None
        return self._remember(node), bool(node["comments"]["nodes"])


def team_of(ref: IssueRef) -> str:
    """The team key of an issue's identifier (OPS in OPS-12)."""
    return ref.key.rsplit("-", 1)[0]
