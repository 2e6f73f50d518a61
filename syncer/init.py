"""`pmsync init`: write a commented `pmsync.yaml` for this repository.

Reads the git remote to propose the tracker and the repository or project (each
adapter recognises its own remotes through `init_settings(host, path)`), finds the
postmortems (Markdown files with an action-item section) to propose the glob, writes the
config, `.pmsync/.gitignore` and the config's JSON Schema (for editors). Never
overwrites a config without `force`. Plain functions; prompting belongs to the CLI.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pmsync.adapters import TRACKERS, tracker_spec
from pmsync.config import load_config
from pmsync.errors import InputError, PmsyncError
from pmsync.parse.files import SUFFIXES, read_source
from pmsync.parse.postmortem import parse_postmortem

CONFIG_NAME = "pmsync.yaml"
SKIPPED_DIRS = {"node_modules", "venv", "site-packages", "vendor", "dist", "build"}
MAX_FILES = 5000  # a monorepo's Markdown beyond this is not searched
SCHEMA_FILE = ".pmsync/config.schema.json"

# git@host:path, ssh://[user@]host[:port]/path, https://[user@]host[:port]/path. An
# HTTPS port is the web server's (kept: host:8443); an SSH port is not (dropped).
_SCP_LIKE = re.compile(r"^(?:[\w.-]+@)?(?P<host>[\w.-]+):(?!//)(?P<path>.+?)(?:\.git)?/?$")
_URL = re.compile(
    r"^(?P<scheme>ssh|https?|git)://(?:[^@/]+@)?(?P<host>[\w.-]+)(?P<port>:\d+)?"
    r"/(?P<path>.+?)(?:\.git)?/?$"
)

_CREDENTIALS = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*://)[^@/]+@", re.IGNORECASE)


@dataclass(frozen=True)
class Proposal:
    tracker: str
    section: dict[str, Any]
    postmortems: tuple[str, ...]  # glob patterns
    remote: str | None  # the origin URL as git gives it
    recognised: bool  # the remote names a tracker pmsync knows
    found: int  # postmortems with action items under the glob


def parse_remote(url: str) -> tuple[str, str] | None:
    """(host, path) of a git remote URL in its SSH or HTTPS forms; None otherwise."""
    url = url.strip()
    match = _URL.match(url) or _SCP_LIKE.match(url)
    if match is None or "/" not in match["path"]:
        return None
    path = match["path"].strip("/")
    if path.startswith("scm/") or path.startswith("~"):
        return None  # Bitbucket Server and user paths: no tracker pmsync knows
    fields = match.groupdict()
    web_port = fields["port"] or "" if str(fields.get("scheme")).startswith("http") else ""
    return match["host"] + web_port, path


def origin_url(root: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", "remote", "get-url", "origin"],
            cwd=root, capture_output=True, text=True, timeout=10, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    url = done.stdout.strip() if done.returncode == 0 else ""
    # A CI clone's remote carries a token (https://oauth2:glpat-…@host/…): never keep it,
    # the config that names the remote is committed.
    return _CREDENTIALS.sub(r"\g<scheme>", url) or None


def from_remote(remote: str | None) -> tuple[str, dict[str, Any]] | None:
    """The first tracker whose adapter recognises the remote, with its settings."""
    parsed = parse_remote(remote) if remote else None
    if parsed is None:
        return None
    for name in TRACKERS:
        settings = _init_settings(name, *parsed)
        if settings is not None:
            return name, settings
    return None


def placeholders(tracker: str, container: str | None) -> dict[str, Any]:
    settings = _init_settings(tracker, None, container)
    if settings is None:
        raise InputError(f"--tracker {tracker}: pmsync cannot propose its settings")
    return settings


def _init_settings(name: str, host: str | None, path: str | None) -> dict[str, Any] | None:
    hook = tracker_spec(name).init_settings
    return hook(host, path) if hook is not None else None


def find_postmortems(root: Path) -> list[Path]:
    """Markdown files under `root` in which the parser finds action items."""
    found = []
    for path in _markdown_files(root):
        try:
            doc = parse_postmortem(read_source(str(path)).text, str(path))
        except PmsyncError:
            continue
        if doc.items:
            found.append(path.relative_to(root))
    return found


def _markdown_files(root: Path) -> Iterator[Path]:
    count = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS)
        for name in sorted(files):
            if Path(name).suffix.lower() in SUFFIXES:
                count += 1
                if count > MAX_FILES:
                    return
                yield Path(folder) / name


def glob_for(paths: list[Path]) -> tuple[str, ...]:
    """The narrowest `folder/**/*.md` holding every postmortem found: one pattern per
    kind of file found (Markdown, HTML exports)."""
    if not paths:
        return ("postmortems/**/*.md",)
    parents = [p.parent.parts for p in paths]
    common: list[str] = []
    for parts in zip(*parents, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    suffixes = sorted({p.suffix.lower() for p in paths})
    return tuple("/".join([*common, "**", f"*{suffix}"]) for suffix in suffixes)


def propose(
    root: Path, *, tracker: str | None, container: str | None, postmortems: str | None
) -> Proposal:
    """What to write: flags win over what the remote and the files suggest."""
    remote = origin_url(root)
    seen = from_remote(remote)
    if tracker is not None and tracker not in TRACKERS:
        raise InputError(f"--tracker {tracker}: expected one of {', '.join(TRACKERS)}")
    recognised = seen is not None and tracker in (None, seen[0])
    name = seen[0] if seen is not None and recognised else tracker or next(iter(TRACKERS))
    section = dict(seen[1]) if seen is not None and recognised else placeholders(name, None)
    if container is not None:
        section |= placeholders(name, container)
    found = find_postmortems(root) if postmortems is None else []
    pattern = (postmortems,) if postmortems else glob_for(found)
    return Proposal(name, section, pattern, remote, recognised, len(found))


# --- writing ----------------------------------------------------------------------------


def render_config(proposal: Proposal) -> str:
    """The commented config text (validated by `write_config` before it is written)."""
    section = yaml.safe_dump({proposal.tracker: proposal.section}, sort_keys=False)
    if proposal.recognised:
        where = f"# Proposed from the git remote {proposal.remote}."
    elif proposal.remote:
        where = (f"# The git remote {proposal.remote} names no tracker pmsync knows: "
                 "FILL IN the settings below.")  # fmt: skip
    else:
        where = "# No git remote was found: FILL IN the settings below."
    return f"""# yaml-language-server: $schema={SCHEMA_FILE}
# pmsync configuration, written by `pmsync init`. Every setting: `pmsync config example`.
# Tokens are never written here: only the names of the environment variables holding them.

# Postmortems to sync (glob patterns relative to this file; ** recurses).
postmortems: {json.dumps(list(proposal.postmortems))}

# Where the issues go. A postmortem's front matter `tracker:` overrides it.
tracker: {proposal.tracker}
{where}
{section}
# Reminders (`pmsync remind`): a digest of overdue items to the chat webhook whose URL is
# in $PMSYNC_WEBHOOK_URL. Formats: slack, teams, mattermost, json.
# remind: {{format: slack, due_soon_days: 7, comment: false, every_days: 7}}
"""


GITIGNORE = """# pmsync: commit state.json (the record of what was pushed); these are per-run files.
*.lock
*.tmp
*.bak
"""


def write_config(root: Path, proposal: Proposal, *, force: bool) -> list[Path]:
    """Write pmsync.yaml, .pmsync/.gitignore and the schema; the paths written."""
    from pmsync.schema import schema_text

    target = root / CONFIG_NAME
    if target.exists() and not force:
        raise InputError(f"{target}: already exists; pass --force to replace it")
    text = render_config(proposal)
    scratch = root / ".pmsync" / "pmsync.yaml.new"
    scratch.parent.mkdir(parents=True, exist_ok=True)
    scratch.write_text(text, encoding="utf-8")
    try:
        load_config(scratch)  # a proposal that does not validate is a bug: never write it
    finally:
        scratch.unlink()
    target.write_text(text, encoding="utf-8")
    written = [target]
    for path, content in ((root / ".pmsync" / ".gitignore", GITIGNORE),
                          (root / SCHEMA_FILE, schema_text())):  # fmt: skip
        if force or not path.exists():
            path.write_text(content, encoding="utf-8")
            written.append(path)
    return written
