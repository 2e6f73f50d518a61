"""Document keys, item ids and content hashes: stable under cosmetic edits."""

from __future__ import annotations

import re
from datetime import date

from pmsync.identity import content_hash, document_key, item_id, normalize_text, slug


def test_normalize_text_strips_markup_and_punctuation() -> None:
    assert normalize_text("  **Patch**  _Nginx_ `server`!  ") == "patch nginx server"
    assert normalize_text("- [x] See [the docs](http://x.io/a).") == "see the docs"
    assert normalize_text("Café, ÉTÉ") == "café été"


def test_document_key_prefers_front_matter_id_then_title_and_date() -> None:
    assert document_key({"id": "PM 42"}, "T", None, "x.md") == "pm-42"
    assert document_key({}, "Web Outage!", date(2024, 6, 1), "a/b.md") == "web-outage-2024-06-01"
    assert document_key({}, "Web Outage", None, "a/b.md") == "web-outage"
    assert document_key({}, None, date(2024, 6, 1), "a/Some File.md") == "some-file"
    assert document_key({}, "!!!", None, "///") == "postmortem"


def test_document_key_does_not_depend_on_path_when_titled() -> None:
    keys = {document_key({}, "DB down", None, p) for p in ("a.md", "x/y/z.md", "q/DB.md")}
    assert len(keys) == 1


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
