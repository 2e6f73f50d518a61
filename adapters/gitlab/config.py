"""The `gitlab:` section of the config file."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PROJECT_PATH = r"^[\w.-]+(/[\w.-]+)+$"  # group/subgroup/project


class GitLabConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = "https://gitlab.com"  # a self-managed instance: its URL
    project: str | None = Field(
        default=None,
        pattern=PROJECT_PATH,
        description="the project's path as GROUP/PROJECT (subgroups too), e.g. acme/platform/ops",
    )
    token_env: str = "GITLAB_TOKEN"
    # Priority as a label; `{priority}` is the item's priority ("P1"). A scoped label
    # (`scope::value`) holds one value at a time. "" sets no priority label.
    priority_label: str = "priority::{priority}"
    confidential: bool = False  # every issue confidential (e.g. security postmortems)
    # GitLab limits issue creation per user (GitLab.com and self-managed default: 300 a
    # minute); creates are paced below that. 0: no pacing.
    creates_per_minute: float = Field(default=240, ge=0)
    # A postmortem's parent (`defaults.parent`): "epic", a group epic holding its items
    # (GitLab Premium/Ultimate, project in a group); "issue", a parent issue with related
    # links; "auto", an epic when the project's group offers epics, else a parent issue.
    parent_kind: Literal["auto", "epic", "issue"] = "auto"
