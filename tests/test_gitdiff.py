"""`changed_since`: the Markdown files a range of commits added, modified or renamed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pmsync.errors import InputError
from pmsync.gitdiff import changed_since


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def write(repo: Path, name: str, text: str = "# x\n") -> None:
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """postmortems/{old,edited,moved,deleted}.md and notes/readme.md, committed as `base`."""
    git(tmp_path, "init", "-q", "-b", "main")
    for name in ("old", "edited", "moved", "deleted"):
        write(tmp_path, f"postmortems/{name}.md", f"# {name}\n\nA postmortem long enough.\n")
    write(tmp_path, "notes/readme.md")
    commit(tmp_path, "base")
    git(tmp_path, "tag", "base")
    return tmp_path


def change_everything(repo: Path) -> None:
    write(repo, "postmortems/edited.md", "# edited\n\nA postmortem long enough, now edited.\n")
    write(repo, "postmortems/2024/new.md")
    write(repo, "postmortems/new.txt", "not Markdown")
    write(repo, "notes/other.md")
    git(repo, "mv", "postmortems/moved.md", "postmortems/renamed.md")
    git(repo, "rm", "-q", "postmortems/deleted.md")
    commit(repo, "change")


def test_added_modified_and_renamed_markdown_under_the_paths(repo: Path) -> None:
    change_everything(repo)
    assert changed_since("base", ["postmortems"], cwd=repo) == [
        "postmortems/2024/new.md",
        "postmortems/edited.md",
        "postmortems/renamed.md",
    ]


def test_several_paths_and_single_files(repo: Path) -> None:
    change_everything(repo)
    found = changed_since("base", ["notes", "postmortems/edited.md", "postmortems/old.md"], repo)
    assert found == ["notes/other.md", "postmortems/edited.md"]


def test_no_paths_means_the_whole_repository(repo: Path) -> None:
    change_everything(repo)
    assert "notes/other.md" in changed_since("base", [], cwd=repo)


def test_any_revision_syntax_and_nothing_changed(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    assert changed_since(base, ["postmortems"], cwd=repo) == []
    change_everything(repo)
    assert len(changed_since("HEAD~1", ["postmortems"], cwd=repo)) == 3


def test_uncommitted_changes_are_not_counted(repo: Path) -> None:
    write(repo, "postmortems/edited.md", "# edited in the work tree only\n")
    write(repo, "postmortems/untracked.md")
    assert changed_since("base", ["postmortems"], cwd=repo) == []


def test_paths_are_relative_to_cwd_in_a_subfolder(repo: Path) -> None:
    change_everything(repo)
    found = changed_since("base", ["."], cwd=repo / "postmortems")
    assert found == ["2024/new.md", "edited.md", "renamed.md"]


def test_unusual_file_names_come_back_verbatim(repo: Path) -> None:
    write(repo, 'postmortems/café, "quoted".md')
    commit(repo, "unicode")
    assert changed_since("base", ["postmortems"], cwd=repo) == ['postmortems/café, "quoted".md']


@pytest.mark.parametrize("ref", ["no-such-branch", "0" * 40, "HEAD~5"])
def test_an_unknown_revision_names_it(repo: Path, ref: str) -> None:
    with pytest.raises(InputError, match=f"^--changed-since {ref}: unknown git revision") as info:
        changed_since(ref, ["postmortems"], cwd=repo)
    assert "\n" not in str(info.value)


def test_a_ref_that_looks_like_an_option_is_refused(repo: Path) -> None:
    with pytest.raises(InputError, match="not a git revision"):
        changed_since("--output=/tmp/x", ["postmortems"], cwd=repo)


def test_outside_a_repository(tmp_path: Path) -> None:
    with pytest.raises(
        InputError, match=r"^--changed-since main: .* is not inside a git repository"
    ):
        changed_since("main", [], cwd=tmp_path)
