"""The `github:` section of the config."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pmsync.adapters.settings import env_name, server_url


class ProjectConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    owner: str
    number: int
    field: str = "Due"


class GitHubConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    repo: str | None = Field(default=None, pattern=r"^[\w.-]+/[\w.-]+$")
    api_url: str = "https://api.github.com"
    token_env: str = "GITHUB_TOKEN"
    due_dates: Literal["milestone", "project", "body"] = "milestone"
    project: ProjectConfig | None = None
    writes_per_minute: float = Field(default=80, ge=0)
    # Creates sent at a time. GitHub asks for serial writes (its secondary rate limit
    # punishes concurrent ones), so more than 1 is allowed only with pacing off.
    parallel_creates: int = Field(default=1, ge=1, le=8)

    _api_url = field_validator("api_url")(server_url)
    _token_env = field_validator("token_env")(env_name)

    @model_validator(mode="after")
    def _parallel_only_unpaced(self) -> GitHubConfig:
        if self.parallel_creates > 1 and self.writes_per_minute > 0:
            raise ValueError(
                "github.parallel_creates above 1 needs github.writes_per_minute: 0 "
                "(concurrent writes would defeat the pacing)"
            )
        return self
