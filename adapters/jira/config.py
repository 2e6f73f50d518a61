"""The `jira:` section of the config."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pmsync.adapters.settings import env_name, server_url


class JiraConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str | None = None
    project: str | None = None
    issue_type: str = "Task"
    parent_issue_type: str = "Epic"  # a postmortem's parent issue (defaults.parent)
    auth: Literal["basic", "bearer"] = "basic"
    email_env: str = "JIRA_EMAIL"
    token_env: str = "JIRA_API_TOKEN"
    priority_map: dict[str, str] = Field(
        default_factory=lambda: {
            "P0": "Highest",
            "P1": "High",
            "P2": "Medium",
            "P3": "Low",
            "P4": "Lowest",
            "high": "High",
            "medium": "Medium",
            "low": "Low",
        }
    )
    fields: dict[str, Any] = Field(default_factory=dict)
    done_transition: str = "Done"

    _url = field_validator("url")(server_url)
    _env_names = field_validator("email_env", "token_env")(env_name)
