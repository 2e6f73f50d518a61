"""The command line: output shapes, exit codes, and one-line errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pmsync import __version__, errors
from pmsync.cli import app, exit_code
from tests.fakes.github import FakeGitHub
from tests.fakes.server import Status
from tests.workspace import EXAMPLES, make_workspace

runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=env or {}, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def one_line_error(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def test_version_and_help() -> None:
    assert run("--version")[:2] == (0, f"pmsync {__version__}\n")
    code, out, _ = run("--help")
    assert code == 0 and "push" in out and "status" in out


def test_parse_json_shape() -> None:
    code, out, _ = run("parse", "--json", str(EXAMPLES))
    assert code == 0
    documents = json.loads(out)["documents"]
    assert len(documents) == 5 and sum(len(d["items"]) for d in documents) == 39
    item = documents[0]["items"][0]
    assert set(item) >= {
        "id",
        "title",
        "body",
        "section",
        "due",
        "owner",
        "priority",
        "done",
        "links",
        "line",
    }


def test_parse_missing_and_binary_files_fail_alone(tmp_path: Path) -> None:
    binary = tmp_path / "image.md"
    binary.write_bytes(b"\x89PNG\x00\x00\x01")
    good = EXAMPLES / "web-stack-orders-index.md"
    code, out, err = run("parse", "--json", str(tmp_path / "missing.md"), str(binary), str(good))
    assert code == 2
    assert len(json.loads(out)["documents"]) == 1
    assert "missing.md: no such file" in err and "image.md: binary file" in err


def test_parse_non_utf8_is_read_with_a_warning(tmp_path: Path) -> None:
    doc = tmp_path / "latin1.md"
    doc.write_bytes("# Panne\n\n## Tasks\n- Réparer le caché\n".encode("latin-1"))
    code, out, _ = run("parse", "--json", str(doc))
    (parsed,) = json.loads(out)["documents"]
    assert code == 0 and len(parsed["items"]) == 1
    assert "UTF-8" in parsed["warnings"][0]["message"]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("github: [\n", "pmsync.yaml:2"),
        ("github:\n  repo: acme/ops\n  tokn: x\n", "pmsync.yaml:3: unknown setting 'github.tokn'"),
        ("defaults:\n  due_days: soon\n", "pmsync.yaml:2: setting 'defaults.due_days'"),
    ],
)
def test_bad_config_is_one_line_naming_file_and_line(
    tmp_path: Path, config: str, expected: str
) -> None:
    path = tmp_path / "pmsync.yaml"
    path.write_text(config)
    code, _, err = run("plan", "--config", str(path), str(EXAMPLES))
    assert code == 2 and expected in one_line_error(err)


def test_missing_token_names_the_variable(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, {}, github={"repo": "acme/ops", "api_url": "http://127.0.0.1:9"})
    code, _, err = run("push", "--config", str(ws.root / "pmsync.yaml"))
    assert code == 2 and "GITHUB_TOKEN" in one_line_error(err)
    assert not ws.state_file().exists() or ws.state().items == {}


def test_corrupt_state_is_one_line_and_kept(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, {}, github={"repo": "acme/ops"})
    ws.state_file().parent.mkdir(parents=True)
    ws.state_file().write_text('{"items": {"x": ')
    code, _, err = run("plan", "--config", str(ws.root / "pmsync.yaml"))
    line = one_line_error(err)
    assert code == 2 and str(ws.state_file()) in line and "rebuild" in line
    assert ws.state_file().read_text() == '{"items": {"x": '


def test_nonsense_today_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run("status", "--no-refresh", "--today", "31/02/2024")
    assert code == 2 and "--today 31/02/2024" in one_line_error(err)


def test_plan_markdown_says_tracker_was_not_consulted() -> None:
    code, out, _ = run("plan", "--format", "markdown", str(EXAMPLES))
    assert code == 0 and out.startswith("### pmsync plan: 39 create")
    assert "not consulted" in out


def test_push_json_then_status_fail_on_overdue(tmp_path: Path, fake_github: FakeGitHub) -> None:
    settings = {"repo": "acme/ops", "api_url": fake_github.api_url, "writes_per_minute": 0}
    ws = make_workspace(tmp_path, {}, github=settings)
    env = {"GITHUB_TOKEN": fake_github.token}
    config = str(ws.root / "pmsync.yaml")
    code, out, _ = run("push", "--json", "--config", config, env=env)
    data = json.loads(out)
    assert code == 0 and data["summary"]["created"] == 39 and data["summary"]["failed"] == 0
    created = data["items"][0]
    assert created["action"] == "create" and created["issue"]["key"].startswith("acme/ops#")
    assert run("push", "--config", config, env=env)[0] == 0
    code, out, _ = run(
        "status",
        "--json",
        "--fail-on-overdue",
        "--today",
        "2030-01-01",
        "--config",
        config,
        env=env,
    )
    status = json.loads(out)
    assert code == 3 and status["summary"]["overdue"] == 39
    code, out, _ = run(
        "status",
        "--format",
        "csv",
        "--no-refresh",
        "--today",
        "2024-06-02",
        "--config",
        config,
        env=env,
    )
    assert code == 0 and out.splitlines()[0].startswith("postmortem,item,id")


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.ConfigError("x"), 2),
        (errors.IdentityUnclear("x"), 2),
        (errors.ContainerError("x"), 2),
        (errors.StateLocked("x"), 2),
        (errors.AuthError("x"), 1),
        (errors.TrackerUnavailable("x"), 1),
        (errors.NotAttempted("x"), 1),
        (errors.DeliveryError("x"), 1),
    ],
)
def test_the_exit_code_follows_the_error_class(error: errors.PmsyncError, code: int) -> None:
    assert exit_code(error) == code


def test_a_tracker_down_is_exit_1_in_push_and_status_alike(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    settings = {"repo": "acme/ops", "api_url": fake_github.api_url, "writes_per_minute": 0}
    ws = make_workspace(tmp_path, {}, github=settings)
    env = {"GITHUB_TOKEN": fake_github.token}
    config = str(ws.root / "pmsync.yaml")
    assert run("push", "--config", config, env=env)[0] == 0
    new = "# Probe outage\n\nDate: 2024-07-01\n\n## Action items\n\n- Add a probe\n"
    (ws.postmortems / "2024-07-01-probe.md").write_text(new)
    fake_github.inject("POST", r"^/repos/acme/ops/issues$", Status(503), times=None)
    code, out, _ = run("push", "--json", "--config", config, env=env)
    assert code == 1 and json.loads(out)["summary"]["failed"] >= 1
    fake_github.inject("GET", r"^/repos/acme/ops/issues\?", Status(404), times=None)
    code, _, err = run("status", "--fail-on-overdue", "--today", "2030-01-01",
                       "--config", config, env=env)  # fmt: skip
    assert code == 1 and "status not refreshed" in err  # a failure outranks overdue news
