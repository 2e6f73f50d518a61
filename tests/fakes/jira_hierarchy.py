"""Parents on the fake Jira, as each flavour has them:

- Cloud: a standard issue's `parent` field names an issue one level up (an Epic, with
  the default hierarchy), by `key` or `id`; anything else is refused with Jira's
  "Given parent work item does not belong to appropriate hierarchy."
- Data Center (Jira Software): `parent` is for sub-tasks only; an issue goes under an
  epic through the "Epic Link" custom field (the epic's key), and an Epic needs its
  "Epic Name" custom field. Both are listed by GET /field (`epic_fields` False: a
  server without Jira Software, which has neither).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.jira import FakeJira

EPIC_LINK = "customfield_10100"
EPIC_NAME = "customfield_10101"
HIERARCHY = "Given parent work item does not belong to appropriate hierarchy."


def fields_json(fake: FakeJira) -> list[dict[str, Any]]:
    """The custom fields GET /field adds on a Data Center server with Jira Software."""
    if fake.flavor != "datacenter" or not fake.epic_fields:
        return []
    kinds = {EPIC_LINK: ("Epic Link", "gh-epic-link"), EPIC_NAME: ("Epic Name", "gh-epic-label")}
    return [
        {"id": fid, "key": fid, "name": name, "custom": True, "navigable": True,
         "searchable": True, "clauseNames": [fid, name],
         "schema": {"type": "any", "custom": f"com.pyxis.greenhopper.jira:{kind}"}}
        for fid, (name, kind) in kinds.items()
    ]  # fmt: skip


def known(fake: FakeJira, name: str) -> bool:
    return name == "parent" or (name in (EPIC_LINK, EPIC_NAME) and bool(fields_json(fake)))


def problem(fake: FakeJira, name: str, value: Any) -> str | None:
    """Why a `parent` or Epic field value is refused (None: it is taken)."""
    if value is None:
        return None
    if name == "parent":
        if fake.flavor == "datacenter":
            return "Field 'parent' can be set on sub-tasks only: use the Epic Link field."
        ref = value.get("key") or value.get("id") if isinstance(value, dict) else None
        return _not_epic(fake, str(ref) if ref else "")
    if name == EPIC_LINK:
        return _not_epic(fake, value) if isinstance(value, str) else "Epic Link: a key"
    return None if isinstance(value, str) and value.strip() else "Epic Name is required."


def _not_epic(fake: FakeJira, key: str) -> str | None:
    found = fake._find(key)
    if found is None or found.fields.get("issuetype") != "Epic":
        return HIERARCHY if fake.flavor == "cloud" else f"Issue {key} is not an Epic."
    return None


def create_problems(fake: FakeJira, fields: dict[str, Any]) -> dict[str, str]:
    """An Epic created on Data Center (with Jira Software) without its Epic Name."""
    epic = fake._issuetype_name(fields.get("issuetype")) == "Epic"
    if epic and fields_json(fake) and not fields.get(EPIC_NAME):
        return {EPIC_NAME: "Epic Name is required."}
    return {}


def children_of(fake: FakeJira, parent_key: str) -> list[str]:
    """The keys of the issues under `parent_key`, in creation order."""
    parent = fake._find(parent_key)
    if parent is None:
        return []
    names = {parent.key, parent.id}
    found = []
    for issue in sorted(fake.store.values(), key=lambda i: int(i.id)):
        link = issue.fields.get("parent") or {}
        ref = link.get("key") or link.get("id") if isinstance(link, dict) else None
        if ref in names or issue.fields.get(EPIC_LINK) in names:
            found.append(issue.key)
    return found
