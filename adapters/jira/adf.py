"""An item's Markdown as a Jira description: Atlassian Document Format for REST v3 (Cloud),
wiki markup for REST v2 (Data Center); plus pmsync's marker paragraph in both.

Raw HTML and anything resembling a mention become plain text: ADF only pings people
through `mention` nodes, which are never produced, and wiki markup is escaped.
"""

from __future__ import annotations

import re
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

Node = dict[str, Any]

MARKER_RE = re.compile(r"^pmsync item ([a-z0-9-]{1,64}) · rev ([0-9a-f]*)$")


def marker_text(item_id: str, content_hash: str) -> str:
    """The last paragraph of every description pmsync writes."""
    return f"pmsync item {item_id} · rev {content_hash}"


def _md() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable("strikethrough")


# --- ADF --------------------------------------------------------------------------------

_MARKS = {"strong": "strong", "em": "em", "s": "strike"}


def markdown_to_adf(markdown: str, marker: str | None = None) -> Node:
    """`{"type": "doc", "version": 1, "content": [...]}` for `markdown`, the marker text
    (if given) as its own last paragraph."""
    root: Node = {"type": "doc", "version": 1, "content": []}
    stack: list[Node] = [root]
    for token in _md().parse(markdown or ""):
        _block(token, stack)
    if marker:
        root["content"].append(_paragraph(marker))
    return root


def _paragraph(text: str) -> Node:
    return {"type": "paragraph", "content": [{"type": "text", "text": text}]}


def _open(stack: list[Node], node: Node) -> None:
    node.setdefault("content", [])
    stack[-1]["content"].append(node)
    stack.append(node)


def _block(token: Token, stack: list[Node]) -> None:
    kind = token.type
    if kind.endswith("_close"):
        if kind != "paragraph_close" or stack[-1]["type"] == "paragraph":
            stack.pop()
    elif kind == "paragraph_open":
        _open(stack, {"type": "paragraph"})
    elif kind == "heading_open":
        _open(stack, {"type": "heading", "attrs": {"level": int(token.tag[1])}})
    elif kind == "bullet_list_open":
        _open(stack, {"type": "bulletList"})
    elif kind == "ordered_list_open":
        _open(stack, {"type": "orderedList", "attrs": {"order": int(token.attrGet("start") or 1)}})
    elif kind == "list_item_open":
        _open(stack, {"type": "listItem"})
    elif kind == "blockquote_open":
        _open(stack, {"type": "blockquote"})
    elif kind == "inline":
        stack[-1]["content"].extend(_inline(token.children or []))
    elif kind in ("fence", "code_block"):
        code: Node = {"type": "codeBlock", "content": []}
        if token.info.strip():
            code["attrs"] = {"language": token.info.strip().split()[0]}
        if token.content.rstrip("\n"):
            code["content"] = [{"type": "text", "text": token.content.rstrip("\n")}]
        stack[-1]["content"].append(code)
    elif kind == "hr":
        stack[-1]["content"].append({"type": "rule"})
    elif kind == "html_block" and token.content.strip():
        stack[-1]["content"].append(_paragraph(token.content.strip()))
    _fix_empty_item(stack)


def _fix_empty_item(stack: list[Node]) -> None:
    """A list item must hold a block: `- ` alone gets an empty paragraph."""
    for node in stack[-1].get("content", []):
        if node["type"] == "listItem" and not node["content"] and node is not stack[-1]:
            node["content"].append({"type": "paragraph", "content": []})


def _inline(children: list[Token]) -> list[Node]:
    out: list[Node] = []
    marks: list[Node] = []
    for child in children:
        kind = child.type
        if kind in ("text", "html_inline"):
            _text(out, child.content, marks)
        elif kind == "code_inline":
            _text(out, child.content, [*marks, {"type": "code"}])
        elif kind in ("softbreak",):
            _text(out, " ", marks)
        elif kind == "hardbreak":
            out.append({"type": "hardBreak"})
        elif kind.endswith("_open") and kind[:-5] in _MARKS:
            marks.append({"type": _MARKS[kind[:-5]]})
        elif kind == "link_open":
            marks.append({"type": "link", "attrs": {"href": str(child.attrGet("href") or "")}})
        elif kind.endswith("_close") and marks:
            marks.pop()
        elif kind == "image":
            src = str(child.attrGet("src") or "")
            _text(out, child.content or src, [*marks, {"type": "link", "attrs": {"href": src}}])
    return out


def _text(out: list[Node], text: str, marks: list[Node]) -> None:
    if not text:
        return
    clean = [m for m in marks if m["type"] != "link" or m["attrs"]["href"]]
    if out and out[-1]["type"] == "text" and out[-1].get("marks", []) == clean:
        out[-1]["text"] += text
        return
    node: Node = {"type": "text", "text": text}
    if clean:
        node["marks"] = [dict(m) for m in clean]
    out.append(node)


def adf_paragraphs(doc: Any) -> list[str]:
    """The plain text of each top-level paragraph of an ADF document."""
    if not isinstance(doc, dict):
        return []
    texts = []
    for node in doc.get("content") or []:
        if isinstance(node, dict) and node.get("type") == "paragraph":
            parts = node.get("content") or []
            texts.append("".join(str(p.get("text", "")) for p in parts if isinstance(p, dict)))
    return texts


def read_marker(description: Any) -> tuple[str, str] | None:
    """(item id, content hash) from the last paragraph pmsync wrote, in ADF or wiki text."""
    if isinstance(description, str):
        lines = [ln for ln in description.replace("\r\n", "\n").split("\n") if ln.strip()]
        last = lines[-1].strip() if lines else ""
    else:
        paragraphs = adf_paragraphs(description)
        last = paragraphs[-1].strip() if paragraphs else ""
    match = MARKER_RE.match(last)
    return (match.group(1), match.group(2)) if match else None


# --- wiki markup (REST v2) ----------------------------------------------------------------

_WIKI_SPECIAL = re.compile(r"([\\*_{}\[\]|^~+!])")
_MACRO = re.compile(r"\{(?=(?:noformat|code)\b)", re.IGNORECASE)
_WIKI_MARKS = {"strong": "*", "em": "_", "s": "-"}


def markdown_to_wiki(markdown: str, marker: str | None = None) -> str:
    """Jira wiki markup for `markdown`, the marker text (if given) as its last line."""
    blocks: list[str] = []
    lists: list[str] = []  # "*" or "#" per open list level
    quote: list[str] | None = None
    for token in _md().parse(markdown or ""):
        target = quote if quote is not None else blocks
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            lists.append("*" if kind.startswith("bullet") else "#")
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "blockquote_open":
            quote = []
        elif kind == "blockquote_close":
            blocks.append("{quote}\n" + "\n\n".join(quote or []) + "\n{quote}")
            quote = None
        elif kind == "inline":
            text = _wiki_inline(token.children or [])
            target.append("".join(lists) + " " + text if lists else text)
        elif kind in ("fence", "code_block"):
            lang = token.info.strip().split()[0] if token.info.strip() else ""
            body = _inert_macros(token.content.rstrip("\n"))
            target.append(
                f"{{code:{lang}}}\n{body}\n{{code}}"
                if lang
                else f"{{noformat}}\n{body}\n{{noformat}}"
            )
        elif kind == "hr":
            target.append("----")
        elif kind == "html_block" and token.content.strip():
            target.append(_wiki_escape(token.content.strip()))
    text = _join_wiki(blocks)
    return f"{text}\n\n{marker}" if marker else text


def _join_wiki(blocks: list[str]) -> str:
    """List lines follow each other; other blocks are separated by a blank line."""
    out = ""
    for block in blocks:
        is_item = bool(re.match(r"^[*#]+ ", block))
        prev_item = bool(re.match(r"^[*#]+ ", out.rsplit("\n", 1)[-1])) if out else False
        sep = "" if not out else "\n" if is_item and prev_item else "\n\n"
        out += sep + block
    return out


def _inert_macros(code: str) -> str:
    """Code shown verbatim: a `{noformat}` or `{code}` inside would end pmsync's block
    early and let the rest (`[~admin]`, a fake marker) render as live markup."""
    return _MACRO.sub("{\u200b", code)


def _wiki_escape(text: str) -> str:
    escaped = _WIKI_SPECIAL.sub(r"\\\1", text)
    return re.sub(r"(^|\s)([-#])", r"\1\\\2", escaped)


def _wiki_inline(children: list[Token]) -> str:
    out: list[str] = []
    links: list[str] = []
    for child in children:
        kind = child.type
        if kind in ("text", "html_inline"):
            out.append(_wiki_escape(child.content))
        elif kind == "code_inline":
            out.append("{{" + _wiki_escape(child.content) + "}}")
        elif kind == "softbreak":
            out.append(" ")
        elif kind == "hardbreak":
            out.append("\\\\ ")
        elif kind.endswith(("_open", "_close")) and kind.rsplit("_", 1)[0] in _WIKI_MARKS:
            out.append(_WIKI_MARKS[kind.rsplit("_", 1)[0]])
        elif kind == "link_open":
            links.append(str(child.attrGet("href") or ""))
            out.append("[")
        elif kind == "link_close" and links:
            out.append(f"|{links.pop()}]")
        elif kind == "image":
            out.append(f"[{_wiki_escape(child.content)}|{child.attrGet('src')}]")
    return "".join(out)
