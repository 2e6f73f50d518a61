"""`pmsync init` and `pmsync doctor` for Linear: placeholders for a new config; the key,
its user's workspace role, the team and what that user may do in it, and the hour's
rate-limit headroom.

Three requests: the key's user (and role), the team, and that user's membership of the
team with the team's settings and its tracking label. Linear exposes no scopes of a
personal key; what it does expose decides two things pmsync meets: issues made by a
non-member of a team that triages land in Triage, and the tracking label (with
`create_labels`, every label) needs a user allowed to manage the team's labels.
No retries: a doctor reports what it sees. The key is never printed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pmsync.adapters.base import Diagnosis, RetryPolicy
from pmsync.adapters.linear import queries as q
from pmsync.errors import AuthError, ConfigError, NotFound, TrackerError

if TYPE_CHECKING:
    from pmsync.adapters.linear.client import LinearClient
    from pmsync.adapters.linear.config import LinearConfig

MEMBERS_FIX = "add the key's user to team {key} (Linear → Settings → Teams → Members)"


@dataclass(frozen=True)
class Viewer:
    """The key's user: `role` is owner, admin, guest or member of the workspace."""

    id: str
    name: str
    email: str
    role: str


@dataclass(frozen=True)
class Access:
    """The key's user in a team: `role` owner, member or None (not a member)."""

    role: str | None
    triage: bool
    label_role: str  # the least team role that may manage the team's labels
    has_label: bool  # the tracking label exists (in the team or the workspace)


def init_settings(host: str | None, path: str | None) -> dict[str, Any] | None:
    """The `linear:` section `pmsync init` proposes: a placeholder team (a git remote
    never names a Linear team), or `path` when given."""
    if host is not None:
        return None
    return {"team": path or "KEY"}


def diagnose(config: LinearConfig, env: Mapping[str, str], policy: RetryPolicy) -> list[Diagnosis]:
    from pmsync.adapters.linear import connect

    try:
        tracker = connect(config, env, dataclasses.replace(policy, attempts=1))
    except ConfigError as exc:
        return [Diagnosis(False, f"Linear API key: {exc}", f"export ${config.token_env}")]
    found = [Diagnosis(True, f"Linear API key: ${config.token_env} is set")]
    guest = False
    try:
        me = viewer(tracker.client)
        guest = me.role == "guest"
        found.append(Diagnosis(True, f"Linear API key: accepted ({me.name} <{me.email}>, "
                                     f"workspace {me.role})"))  # fmt: skip
        if not config.team:
            return [*found, Diagnosis(False, "linear.team is not set", "set linear.team: KEY")]
        team = tracker.team(config.team)
        found.append(Diagnosis(True, f"Linear team {team.key} ({team.name}): visible"))
        found.extend(_permissions(config, team, me, access(tracker.client, team, me)))
        found.append(_headroom(tracker.budget_left()))
    except AuthError:
        fix = f"put a personal API key (Linear → Settings → API) in ${config.token_env}"
        found.append(Diagnosis(False, "Linear API key: rejected", fix))
    except NotFound as exc:
        fix = "check linear.team (the key in OPS-123)"
        guest_fix = f"; a guest sees only its teams: {MEMBERS_FIX.format(key=config.team)}"
        found.append(Diagnosis(False, str(exc), fix + (guest_fix if guest else "")))
    except TrackerError as exc:
        found.append(Diagnosis(False, f"Linear API: {exc}", "check linear.url and the network"))
    return found


def viewer(client: LinearClient) -> Viewer:
    me = client.run("read the API key's user", q.VIEWER, {})["viewer"]
    role = next((r for r in ("owner", "admin", "guest") if me.get(r)), "member")
    return Viewer(str(me["id"]), str(me.get("name")), str(me.get("email")), role)


def access(client: LinearClient, team: q.Team, me: Viewer) -> Access:
    from pmsync.adapters.linear.tracker import TRACKING_LABEL

    variables = {"team": team.id, "teamId": team.id, "me": me.id, "label": TRACKING_LABEL}
    data = client.run(f"read the key's access to team {team.key}", q.ACCESS, variables)
    membership = data["team"].get("membership")
    settings = data["team"].get("securitySettings") or {}
    return Access(
        role=("owner" if membership.get("owner") else "member") if membership else None,
        triage=bool(data["team"].get("triageEnabled")),
        label_role=str(settings.get("labelManagement") or "member"),
        has_label=bool(data["issueLabels"]["nodes"]),
    )


def _permissions(config: LinearConfig, team: q.Team, me: Viewer, found: Access) -> list[Diagnosis]:
    return [_membership(team, found), _labels(config, team, me, found)]


def _membership(team: q.Team, found: Access) -> Diagnosis:
    if found.role:
        return Diagnosis(True, f"Linear team {team.key}: the key's user is a team {found.role}")
    if found.triage:
        what = (f"Linear team {team.key}: the key's user is not a member and the team triages "
                "non-members' issues: every issue pmsync creates lands in Triage")  # fmt: skip
        return Diagnosis(False, what, MEMBERS_FIX.format(key=team.key))
    return Diagnosis(True, f"Linear team {team.key}: the key's user is not a member "
                           "(a public team: it may create issues)")  # fmt: skip


def _labels(config: LinearConfig, team: q.Team, me: Viewer, found: Access) -> Diagnosis:
    """Workspace owners and admins manage every label; in a team, its members or only
    its owners, as the team's `labelManagement` says."""
    ranks = {"member": 1, "owner": 2}
    allowed = me.role in ("owner", "admin") or (
        found.role is not None and ranks[found.role] >= ranks.get(found.label_role, 2)
    )
    if allowed:
        return Diagnosis(True, f"Linear labels: the key's user may create labels in {team.key}")
    who = f"team {found.label_role}s"
    fix = f"make the key's user one of the {who} of {team.key}, or a workspace admin"
    if not found.has_label:
        what = (f"Linear labels: `pmsync` does not exist in {team.key} and only {who} "
                "may create it")  # fmt: skip
        return Diagnosis(False, what, f"create the label pmsync in team {team.key}, or {fix}")
    if config.create_labels:
        what = f"Linear labels: linear.create_labels is on but only {who} may create labels"
        return Diagnosis(False, what, f"set linear.create_labels: false, or {fix}")
    return Diagnosis(True, f"Linear labels: `pmsync` exists in {team.key}")


def _headroom(left: tuple[int | None, int | None]) -> Diagnosis:
    requests, points = left
    if requests is None:
        return Diagnosis(True, "Linear rate limit: not reported")
    low = requests < 100 or (points is not None and points < 10_000)
    text = f"Linear rate limit: {requests} requests and {points} complexity points left this hour"
    return Diagnosis(not low, text, "wait for the hourly budget to refill" if low else "")
