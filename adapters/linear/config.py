"""The `linear:` section of the config."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pmsync.adapters.settings import env_name, server_url

_TEAM_KEY = re.compile(r"[A-Z][A-Z0-9_]{0,9}")


def team_key(value: str | None) -> str | None:
    if value is not None and not _TEAM_KEY.fullmatch(value):
        raise ValueError("expected a Linear team's key, like OPS (as in OPS-123)")
    return value


class LinearConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    team: str | None = None  # the team's key, e.g. OPS
    token_env: str = "LINEAR_API_KEY"
    url: str = "https://api.linear.app/graphql"
    workspace: str | None = None  # the workspace's URL key, for links to OPS-123 refs
    project: str | None = None  # a project's name: every issue is added to it
    create_labels: bool = True  # false: a label missing in the team fails the item
    prune_state: Literal["canceled", "completed"] = "canceled"
    batch_size: int = Field(default=50, ge=1, le=50)
    priority_map: dict[str, int] = Field(
        default_factory=lambda: dict(P0=1, P1=2, P2=3, P3=4, P4=4, high=2, medium=3, low=4)
    )

    _url = field_validator("url")(server_url)
    _env_names = field_validator("token_env")(env_name)
    _team = field_validator("team")(team_key)
