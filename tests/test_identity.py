"""Document keys, item ids and content hashes: stable under cosmetic edits."""

from __future__ import annotations

import re
from datetime import date

from pmsync.plan.identity import (
    content_hash,
    document_key,
    explicit_id,
    item_id,
    normalize_text,
    slug,
)


def test_normalize_text_strips_markup_and_punctuation() -> None:
    assert normalize_text("  **Patch**  _Nginx_ `server`!  ") == "patch nginx server"
    assert normalize_text("- [x] See [the docs](http://x.io/a).") == "see the docs"
    assert normalize_text("Café, ÉTÉ") == "café été"


def test_document_key_is_the_explicit_id_else_derived_from_the_path() -> None:
    assert document_key({"id": "PM 42"}, "x.md") == "pm-42"
    key = document_key({}, "postmortems/Some File.md")
    assert re.fullmatch(r"some-file-[0-9a-f]{8}", key)
    assert document_key({}, "a/README.md") != document_key({}, "b/README.md")
    assert re.fullmatch(r"postmortem-[0-9a-f]{8}", document_key({}, "!!!.md"))


def test_ids_in_any_script_are_non_empty_and_distinct() -> None:
    first, second = explicit_id({"id": "инцидент"}), explicit_id({"id": "障害"})
    assert first and second and first != second
    assert document_key({}, "постмортем.md") != document_key({}, "障害.md")


def test_item_ids_use_the_whole_name() -> None:
    opening = "Add an alert on the replication lag of the orders database cluster " * 2
    assert item_id("k", opening + "east", 1) != item_id("k", opening + "west", 1)


def test_slug_is_label_safe_and_short() -> None:
    value = slug("Ünïcode — and a very long title " * 5)
    assert re.fullmatch(r"[a-z0-9-]+", value) and len(value) <= 60


def test_item_id_shape_and_occurrences() -> None:
    first, second = item_id("k", "Fix it", 1), item_id("k", "Fix it", 2)
    assert re.fullmatch(r"[0-9a-f]{12}", first)
    assert second == f"{first}-2" and len(second) <= 24
    assert item_id("k", "**Fix** it!", 1) == first
    assert item_id("other", "Fix it", 1) != first


def test_content_hash_ignores_cosmetics_and_write_back() -> None:
    base = content_hash("Fix it", "Fix it now.\n- detail", None, "ann", "P1")
    assert len(base) == 16
    assert content_hash("**Fix** it", "[ ] Fix  it now\n- detail", None, "ann", "p1") == base
    written = "Fix it now. ([acme/ops#12](https://github.com/acme/ops/issues/12))\n- detail"
    assert content_hash("Fix it", written, None, "ann", "P1") == base
    jira = "Fix it now. ([OPS-12](https://x.atlassian.net/browse/OPS-12))\n- detail"
    assert content_hash("Fix it", jira, None, "ann", "P1") == base


def test_content_hash_changes_with_meaning() -> None:
    base = content_hash("Fix it", "Fix it now", None, None, None)
    assert content_hash("Fix it", "Fix it later", None, None, None) != base
    assert content_hash("Fix it", "Fix it now", date(2024, 1, 1), None, None) != base
    assert content_hash("Fix it", "Fix it now", None, "bob", None) != base
    assert content_hash("Fix it", "Fix it now", None, None, "P2") != base
