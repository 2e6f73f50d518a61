"""Checks the trackers' config models share: server URLs and the names of the
environment variables that hold credentials.

Both are places where a secret gets pasted by mistake (a token as `token_env`, a
password inside a URL) and then travels into messages, issue links and the state file.
The checks refuse such values with a message that never repeats them.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
# Prefixes of tokens people paste: GitHub (classic, fine-grained, app, OAuth), GitLab,
# Atlassian API tokens, Slack, OpenAI-style keys.
_TOKEN_PREFIX = re.compile(r"(gh[pousr]_|github_pat_|glpat-|ATATT|xox[abpr]-|sk-)", re.ASCII)


def looks_like_token(value: str) -> bool:
    """A value shaped like a credential rather than a variable name: a known token
    prefix, or a long run of mixed-case letters and digits (names are words)."""
    if _TOKEN_PREFIX.match(value):
        return True
    mixed = any(c.islower() for c in value) and any(c.isupper() for c in value)
    return len(value) >= 24 and mixed and any(c.isdigit() for c in value)


def env_name(value: str) -> str:
    """The name of an environment variable; a token pasted in its place is refused
    without being repeated."""
    if looks_like_token(value):
        raise ValueError(
            "this looks like a token, not the name of an environment variable: put the "
            "token in an environment variable and name that variable here (and revoke "
            "the token if this file was shared)"
        )
    if not _ENV_NAME.fullmatch(value):
        raise ValueError("expected the name of an environment variable, like GITHUB_TOKEN")
    return value


def server_url(value: str | None) -> str | None:
    """An http(s) URL with a host and a valid port, and no credentials in it."""
    if value is None:
        return None
    try:
        parts = urlsplit(value.strip())
        _ = parts.port  # raises for a port out of range or not a number
    except ValueError:
        raise ValueError("not a valid URL (expected https://host[:port][/path])") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("expected an http:// or https:// URL with a host name")
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            "the URL contains a user name or password: remove them (credentials come "
            "from environment variables only) and change that password if the file was shared"
        )
    return value.strip()
