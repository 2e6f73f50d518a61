"""Nobody gets pinged by a push: @mentions in the postmortem's title and items (after an
inline code span, inside `_…_` or `__…__`, `@org/team`) reach GitHub inert, and on Jira
Data Center a code block holding `{noformat}` cannot break out of pmsync's block and turn
`[~admin]` into a live mention. Read back from the fakes as the trackers store it."""

from __future__ import annotations

import re
from pathlib import Path

from tests.fakes.github import FakeGitHub
from tests.fakes.jira import FakeJira
from tests.workspace import Workspace, actions, make_workspace

POSTMORTEM = """# Checkout outage for @org/payments-team and @alice

Date: 2024-06-01

## Action items

- Run `deploy`@carol before the freeze
- Ask _@sre-team_ and __@bob__ to review the runbook
- Harden the parser against this input:

  ```
  {noformat}
  [~admin] please look
  {noformat}
  ```

- Quote `[~root]` and {code}[~mallory]{code} in the summary
"""

# GitHub links a mention when "@" follows the start or a character that is not a letter
# or digit, outside code spans and fenced blocks.
_LIVE_GITHUB = re.compile(r"(?<![A-Za-z0-9])@[A-Za-z0-9]")
_GITHUB_CODE = re.compile(r"(?ms)^```.*?^```|`[^`\n]+`")
# Jira wiki: a user mention is `[~name]` unless its bracket is escaped; nothing inside a
# {noformat} or {code} block is markup.
_LIVE_JIRA = re.compile(r"(?<!\\)\[~\w+")
_JIRA_CODE = re.compile(r"(?ms)^\{noformat\}$.*?^\{noformat\}$|^\{code(?::\w+)?\}$.*?^\{code\}$")


def workspace(root: Path, env: dict[str, str], **settings: object) -> Workspace:
    ws = make_workspace(root, env, **settings)
    for path in ws.postmortems.rglob("*.md"):
        path.unlink()
    ws.doc("outage.md").write_text(POSTMORTEM)
    return ws


def test_github_issue_bodies_ping_nobody(tmp_path: Path, fake_github: FakeGitHub) -> None:
    github = {"repo": "acme/ops", "api_url": fake_github.api_url, "writes_per_minute": 0}
    ws = workspace(tmp_path, {"GITHUB_TOKEN": fake_github.token}, github=github)
    assert actions(ws.push()) == {"create": 4}
    issues = fake_github.issues("acme/ops")
    for issue in issues:
        prose = _GITHUB_CODE.sub("", issue.body or "")
        assert not _LIVE_GITHUB.findall(prose), issue.body
        assert "Checkout outage for @\u200dorg/payments-team and @\u200dalice" in prose
    bodies = "\n".join(issue.body or "" for issue in issues)
    for name in ("carol", "sre-team", "bob"):
        assert f"@\u200d{name}" in bodies


def test_jira_wiki_code_cannot_break_out_into_a_mention(
    tmp_path: Path, fake_jira_dc: FakeJira
) -> None:
    settings = {"tracker": "jira", "jira": fake_jira_dc.config()}
    ws = workspace(tmp_path, fake_jira_dc.env(), **settings)
    assert actions(ws.push()) == {"create": 4}
    for issue in fake_jira_dc.issues():
        description = issue["fields"]["description"]
        outside = _JIRA_CODE.sub("", description)
        assert not _LIVE_JIRA.findall(outside), description
        assert description.rstrip().splitlines()[-1].startswith("pmsync item ")
    assert actions(ws.push()) == {"unchanged": 4}
