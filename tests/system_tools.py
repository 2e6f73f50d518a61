"""Tests that drive a system tool (Chromium, actionlint) the test extra cannot install.

On a developer's machine a missing tool skips the test with one line saying how to
install it, so the README's test command passes as written. `.ci/run` sets
PMSYNC_REQUIRE_SYSTEM_TOOLS=1 and installs the tools: there a missing tool fails the run,
so a broken dashboard or workflow can never pass CI by being skipped.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

REQUIRE = "PMSYNC_REQUIRE_SYSTEM_TOOLS"


def missing_tool(message: str) -> NoReturn:
    """Skip (locally) or fail (in CI) because a system tool is not installed."""
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(f"{message} (set {REQUIRE}=1 to make this a failure)")
