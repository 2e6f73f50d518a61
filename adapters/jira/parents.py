"""Jira parents: a postmortem's parent issue is an Epic (`jira.parent_issue_type`) and
its items are children of it, named in the bulk create (no request more):

- Cloud: the `parent` field ({"key": ...}), for every issue type one level below.
- Data Center (Jira Software): the "Epic Link" custom field, and an Epic needs its
  "Epic Name"; both are found by their schema type in GET /field (once, when a parent is
  first involved). A server without them has no native children: the checklist alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pmsync.adapters.jira.values import summary_of
from pmsync.model import IssueDraft

EPIC_LINK = "com.pyxis.greenhopper.jira:gh-epic-link"
EPIC_NAME = "com.pyxis.greenhopper.jira:gh-epic-label"


@dataclass(frozen=True)
class EpicFields:
    """Data Center's Epic Link and Epic Name field ids (None: not on this server)."""

    link: str | None = None
    name: str | None = None


def epic_fields(fields: Any) -> EpicFields:
    """From GET /field's answer."""
    found: dict[str, str] = {}
    for entry in fields if isinstance(fields, list) else []:
        custom = (entry.get("schema") or {}).get("custom") if isinstance(entry, dict) else None
        if custom in (EPIC_LINK, EPIC_NAME):
            found[custom] = str(entry["id"])
    return EpicFields(found.get(EPIC_LINK), found.get(EPIC_NAME))


def parent_fields(
    draft: IssueDraft, parent_type: str, cloud: bool, epics: Callable[[], EpicFields]
) -> dict[str, Any]:
    """What a create adds for parents: the parent's issue type (and Epic Name), or the
    field naming an item's parent."""
    fields: dict[str, Any] = {}
    if draft.kind == "parent":
        fields["issuetype"] = {"name": parent_type}
        if not cloud and parent_type == "Epic" and (name := epics().name):
            fields[name] = summary_of(draft.title)
    if draft.parent is not None:
        fields.update(child_fields(draft.parent.key, cloud, epics))
    return fields


def child_fields(parent_key: str, cloud: bool, epics: Callable[[], EpicFields]) -> dict[str, Any]:
    """The field that puts an issue under `parent_key` (empty: no such field here)."""
    if cloud:
        return {"parent": {"key": parent_key}}
    link = epics().link
    return {link: parent_key} if link else {}
