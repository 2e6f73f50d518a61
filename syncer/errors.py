"""The exception hierarchy. Only the CLI turns these into messages and exit codes; the
exit code follows the class, the same in every command (`pmsync.cli.EXIT_CODES`).

    PmsyncError
    ├─ UserError            one line, no traceback, exit 2
    │  ├─ ConfigError       bad config file, unknown key, missing token variable
    │  ├─ InputError        missing or unreadable postmortem, bad argument
    │  │  └─ IdentityUnclear  a postmortem pmsync cannot pair with the one it replaced
    │  ├─ FrontMatterError  the front matter of a postmortem is wrong
    │  └─ ContainerError    the tracker refuses the repository or project itself (missing,
    │                       no access, bad token, wrong URL): stop at once, not per item
    ├─ DeliveryError        a webhook refused or did not answer: exit 1
    ├─ StateError           exit 2
    │  ├─ StateLocked       another run holds the state file lock
    │  └─ StateCorrupt      the state file does not parse; the last good copy is kept
    └─ TrackerError         raised by adapters; library exceptions never leave an adapter.
       │                    Exit 1: an item's write failed (the others are applied and
       │                    recorded), or a tracker could not be read (push, status)
       ├─ AuthError         401/403 that is not a rate limit
       ├─ NotFound          the issue, repo or project does not exist or is not visible
       ├─ RateLimited       a wait past the configured ceiling
       ├─ TrackerUnavailable  5xx or network failure after bounded retries
       └─ NotAttempted      an item not tried: an earlier error stopped its group's run

A push reports each item's failure as the TrackerError that caused it (`Outcome.failure`);
a status, each container it could not read (`StatusResult.failures`).

Every message must be safe to print: no token, ever (adapters build messages from
status codes and names, never from request headers).
"""

from __future__ import annotations


class PmsyncError(Exception):
    """Base of everything pmsync raises on purpose."""


class UserError(PmsyncError):
    """A problem the user fixes by changing input: printed as one line, exit 2."""


class ConfigError(UserError):
    """The config file, or a setting in it, is wrong."""


class InputError(UserError):
    """A postmortem path or a command-line argument is wrong."""


class DeliveryError(PmsyncError):
    """A message (a `remind` digest) could not be delivered; the message names the
    environment variable holding the webhook URL, never the URL."""


class IdentityUnclear(InputError):
    """A new postmortem appeared while a tracked one's file is gone, and pmsync cannot
    tell whether it is that one renamed: nothing is pushed (`--force-new` creates)."""


class FrontMatterError(UserError):
    """A postmortem's front matter is wrong (unknown key, bad value, unclosed block)."""


class ContainerError(UserError):
    """The repository or project cannot be used at all: nothing per item would succeed."""


class StateError(PmsyncError):
    """The state file cannot be used."""


class StateLocked(StateError):
    """Another pmsync run holds the lock on the state file."""


class StateCorrupt(StateError):
    """The state file does not parse."""


class TrackerError(PmsyncError):
    """A tracker call failed.

    `transient`: worth retrying (5xx, connection failure, rate limit).
    `retry_after`: seconds the tracker asked us to wait, when it said.
    `maybe_applied`: a write may have landed (lost response): never re-send it blindly.
    """

    def __init__(
        self,
        message: str,
        *,
        transient: bool = False,
        retry_after: float | None = None,
        maybe_applied: bool = False,
    ) -> None:
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after
        self.maybe_applied = maybe_applied

    def about(self, context: str) -> TrackerError:
        """The same error (class and flags) with `context` before its message."""
        return type(self)(
            f"{context}{self}",
            transient=self.transient,
            retry_after=self.retry_after,
            maybe_applied=self.maybe_applied,
        )


class AuthError(TrackerError):
    """Credentials are missing, wrong, or lack a permission."""


class NotFound(TrackerError):
    """The repository, project or issue is not there, or not visible."""


class RateLimited(TrackerError):
    """The tracker asked us to wait longer than the configured ceiling."""


class TrackerUnavailable(TrackerError):
    """5xx answers or network failures outlasted the retries."""


class NotAttempted(TrackerError):
    """An item not tried: an earlier error stopped its group's run (nothing would succeed)."""
