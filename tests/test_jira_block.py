"""pmsync's delimited block in a Jira description: people's text around it survives every
update, in ADF (Cloud) and wiki markup (Data Center); an edited block is never deleted."""

from __future__ import annotations

from typing import Any

import pytest

from pmsync.adapters.jira.adf import markdown_to_adf, markdown_to_wiki, plain_text
from pmsync.adapters.jira.block import adf_description, block_marker, wiki_description
from tests.fakes.jira import adf_problems


def para(text: str) -> dict[str, Any]:
    return {"type": "paragraph", "content": [{"type": "text", "text": text}]}


def texts(doc: dict[str, Any]) -> list[str]:
    return [plain_text(node) for node in doc["content"]]


def test_adf_text_around_the_block_survives_updates() -> None:
    first, intact = adf_description(None, markdown_to_adf("Add the index", "pmsync item a · rev 1"))
    assert intact and adf_problems(first) == []
    first["content"] = [para("Context from on-call"), *first["content"], para("Runbook: x")]
    second, intact = adf_description(first, markdown_to_adf("Add it now", "pmsync item a · rev 2"))
    assert intact and adf_problems(second) == []
    assert texts(second)[0] == "Context from on-call" and texts(second)[-1] == "Runbook: x"
    assert texts(second)[2:4] == ["Add it now", "pmsync item a · rev 2"]
    assert block_marker(second) == "pmsync item a · rev 2"


def test_adf_an_edited_block_is_kept_not_deleted() -> None:
    first, _ = adf_description(None, markdown_to_adf("Add the index", "pmsync item a · rev 1"))
    first["content"][1] = para("Add the index (Bob: on replicas too)")
    second, intact = adf_description(first, markdown_to_adf("Add it", "pmsync item a · rev 2"))
    assert not intact
    assert "Add the index (Bob: on replicas too)" in texts(second)
    assert texts(second).count("pmsync item a · rev 1") == 0  # no stale marker left
    assert block_marker(second) == "pmsync item a · rev 2"


def test_adf_a_description_without_a_block_is_all_peoples() -> None:
    current = {"type": "doc", "version": 1, "content": [para("Written in Jira")]}
    merged, _ = adf_description(current, markdown_to_adf("Add it", "pmsync item a · rev 2"))
    assert texts(merged)[0] == "Written in Jira" and texts(merged)[-1] == "pmsync item a · rev 2"


@pytest.mark.parametrize("around", [("", ""), ("Before\n", "\nAfter"), ("Before\n\n", "\n\nAfter")])
def test_wiki_text_around_the_block_survives_updates(around: tuple[str, str]) -> None:
    first, _ = wiki_description(None, markdown_to_wiki("Add *the* index", "pmsync item a · rev 1"))
    edited = around[0] + first + around[1]
    second, intact = wiki_description(edited, markdown_to_wiki("Add it", "pmsync item a · rev 2"))
    assert intact and "Add it" in second and "index" not in second
    assert second.startswith(around[0].strip()) and second.endswith(around[1].strip())
    assert block_marker(second) == "pmsync item a · rev 2"
    third, intact = wiki_description(second, markdown_to_wiki("Add it", "pmsync item a · rev 2"))
    assert intact and third == second  # stable: an unchanged item writes the same text


def test_wiki_an_edited_block_is_kept() -> None:
    first, _ = wiki_description(None, markdown_to_wiki("Add the index", "pmsync item a · rev 1"))
    edited = first.replace("Add the index", "Add the index, and a replica")
    second, intact = wiki_description(edited, markdown_to_wiki("Add it", "pmsync item a · rev 2"))
    assert not intact and "Add the index, and a replica" in second
    assert "rev 1" not in second and block_marker(second) == "pmsync item a · rev 2"
