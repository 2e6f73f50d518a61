"""Shared fixtures. Each tracker's fakes keep to their own delimited block."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.github import FakeGitHub

# ==== fake GitHub (tests/fakes/github.py) ============================================
# `github_server`: one fake per test module (start-up is cheap, the spec is parsed once
# per process). `fake_github`: the same server, reset to an empty acme/ops before each
# test. `github_enterprise`: a fake serving GitHub Enterprise Server paths (/api/v3).
# Every test that touches either server fails if a request or response broke the
# OpenAPI description.


@pytest.fixture(scope="module")
def github_server() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        yield fake


@pytest.fixture
def fake_github(github_server: FakeGitHub) -> FakeGitHub:
    github_server.reset()
    return github_server


@pytest.fixture(scope="module")
def github_enterprise_server() -> Iterator[FakeGitHub]:
    with FakeGitHub(prefix="/api/v3") as fake:
        yield fake


@pytest.fixture
def github_enterprise(github_enterprise_server: FakeGitHub) -> FakeGitHub:
    github_enterprise_server.reset()
    return github_enterprise_server


@pytest.fixture(autouse=True)
def _github_openapi_clean(request: pytest.FixtureRequest) -> Iterator[None]:
    """Teardown check: no request or response of this test broke the description."""
    yield
    for name in ("github_server", "github_enterprise_server"):
        if name in request.fixturenames:
            fake: FakeGitHub = request.getfixturevalue(name)
            errors, fake.validation_errors[:] = list(fake.validation_errors), []
            assert errors == [], "OpenAPI validation failed:\n" + "\n".join(errors)


# ==== end of fake GitHub ==============================================================


# ==== Jira fixtures (tests/fakes/jira.py) =============================================
# `jira_server` / `jira_dc_server`: one fake Jira Cloud / Data Center per test module.
# `fake_jira` / `fake_jira_dc`: the same servers, emptied (project OPS, no issues, no
# faults, empty log) before each test. `fake.env()` and `fake.config()` give the
# environment and the `jira:` config section that point pmsync at a fake. Teardown
# fails the test if a request or response broke the Jira OpenAPI description.

from tests.fakes.jira import FakeJira  # noqa: E402


@pytest.fixture(scope="module")
def jira_server() -> Iterator[FakeJira]:
    with FakeJira() as fake:
        yield fake


@pytest.fixture
def fake_jira(jira_server: FakeJira) -> FakeJira:
    jira_server.reset()
    return jira_server


@pytest.fixture(scope="module")
def jira_dc_server() -> Iterator[FakeJira]:
    with FakeJira(flavor="datacenter") as fake:
        yield fake


@pytest.fixture
def fake_jira_dc(jira_dc_server: FakeJira) -> FakeJira:
    jira_dc_server.reset()
    return jira_dc_server


@pytest.fixture(autouse=True)
def _jira_openapi_clean(request: pytest.FixtureRequest) -> Iterator[None]:
    """Teardown check: no request or response of this test broke the description (the
    Data Center fake has none to break, but its handler crashes are recorded too)."""
    yield
    for name in ("jira_server", "jira_dc_server"):
        if name in request.fixturenames:
            fake: FakeJira = request.getfixturevalue(name)
            errors, fake.validation_errors[:] = list(fake.validation_errors), []
            assert errors == [], "Jira fake: validation failed:\n" + "\n".join(errors)


# ==== end of Jira fixtures ============================================================


# ==== Linear fixtures (tests/fakes/linear.py) =========================================
# `linear_server`: one fake Linear per test module; `fake_linear`: the same server reset
# (team OPS, two users, no issues, no faults, empty log) before each test. Teardown
# fails the test if a query broke Linear's schema or the fake could not answer in it.

from tests.fakes.linear import FakeLinear  # noqa: E402


@pytest.fixture(scope="module")
def linear_server() -> Iterator[FakeLinear]:
    with FakeLinear() as fake:
        yield fake


@pytest.fixture
def fake_linear(linear_server: FakeLinear) -> Iterator[FakeLinear]:
    linear_server.reset()
    yield linear_server
    errors, linear_server.validation_errors[:] = list(linear_server.validation_errors), []
    assert errors == [], "Linear fake: validation failed:\n" + "\n".join(errors)


# ==== end of Linear fixtures ==========================================================


# ==== GitLab fixtures (tests/fakes/gitlab.py) ===========================================
# `gitlab_server`: one fake GitLab per test module. `fake_gitlab`: the same server, reset
# (project acme/platform/ops with Developer access, no issues, no faults, empty log)
# before each test. Teardown fails the test if a request or response broke the
# description (tests/fakes/gitlab-issues.openapi.json) or a handler crashed.

from tests.fakes.gitlab import FakeGitLab  # noqa: E402


@pytest.fixture(scope="module")
def gitlab_server() -> Iterator[FakeGitLab]:
    with FakeGitLab() as fake:
        yield fake


@pytest.fixture
def fake_gitlab(gitlab_server: FakeGitLab) -> FakeGitLab:
    gitlab_server.reset()
    return gitlab_server


@pytest.fixture(autouse=True)
def _gitlab_openapi_clean(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "gitlab_server" in request.fixturenames:
        fake: FakeGitLab = request.getfixturevalue("gitlab_server")
        errors, fake.validation_errors[:] = list(fake.validation_errors), []
        assert errors == [], "GitLab fake: validation failed:\n" + "\n".join(errors)


# ==== end of GitLab fixtures ============================================================
