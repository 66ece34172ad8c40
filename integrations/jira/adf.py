"""Plain text ⇄ Atlassian Document Format (ADF), the JSON tree REST v3 wants for descriptions and comments.

Outbound we only need paragraphs (blank line = new paragraph, single newline = hard break) and an
optional link. Inbound comments may carry any node type, and webhook bodies are sometimes plain
strings (REST v2 representation), so `adf_to_text` walks any tree and accepts a string unchanged.
"""

from __future__ import annotations

import re
from typing import Any

AdfNode = dict[str, Any]

_INLINE = {"text", "hardBreak", "mention", "emoji", "date", "status", "inlineCard"}
_PARAGRAPH_SPLIT = re.compile(r"\n[ \t]*\n+")


def text_to_adf(text: str) -> AdfNode:
    """A `doc` with one paragraph per blank-line-separated block; why: v3 rejects plain strings."""
    normalized = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    blocks = [block.strip("\n") for block in _PARAGRAPH_SPLIT.split(normalized)]
    return adf_doc([paragraph(block) for block in blocks if block.strip()])


def adf_doc(blocks: list[AdfNode]) -> AdfNode:
    """The ADF root node (`version` 1 is the only version Jira accepts)."""
    return {"type": "doc", "version": 1, "content": blocks}


def paragraph(text: str) -> AdfNode:
    """One paragraph; single newlines become `hardBreak` nodes so line structure survives."""
    content: list[AdfNode] = []
    for index, line in enumerate(text.split("\n")):
        if index:
            content.append({"type": "hardBreak"})
        if line:
            content.append({"type": "text", "text": line})
    return {"type": "paragraph", "content": content}


def link_paragraph(label: str, url: str) -> AdfNode:
    """`label` followed by `url` as a clickable link, e.g. the escalation's address in a card."""
    return {
        "type": "paragraph",
        "content": [
            {"type": "text", "text": label},
            {"type": "text", "text": url, "marks": [{"type": "link", "attrs": {"href": url}}]},
        ],
    }


def is_adf_doc(value: object) -> bool:
    """Whether `value` has the root shape Jira requires (type doc, version 1, content list)."""
    return (
        isinstance(value, dict)
        and value.get("type") == "doc"
        and value.get("version") == 1
        and isinstance(value.get("content"), list)
    )


def adf_to_text(value: object) -> str:
    """Readable plain text from an ADF tree (or a v2 string), for inbound comments and descriptions."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict):
        return ""
    return _join(value.get("content") or []).strip()


def _join(nodes: list[Any]) -> str:
    """Inline children are concatenated; block children are separated by a blank line."""
    children = [node for node in nodes if isinstance(node, dict)]
    if all(node.get("type") in _INLINE for node in children):
        return "".join(_node_text(node) for node in children)
    return "\n\n".join(text for text in (_node_text(node) for node in children) if text)


def _node_text(node: AdfNode) -> str:
    kind = node.get("type")
    attrs = node.get("attrs") or {}
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    if kind in ("mention", "emoji", "date", "status"):
        return str(attrs.get("text") or attrs.get("shortName") or attrs.get("timestamp") or "")
    if kind in ("inlineCard", "blockCard", "embedCard"):
        return str(attrs.get("url", ""))
    if kind == "rule":
        return "---"
    if kind in ("bulletList", "orderedList"):
        return _list_text(node, numbered=kind == "orderedList")
    return _join(node.get("content") or [])


def _list_text(node: AdfNode, numbered: bool) -> str:
    items = [item for item in node.get("content") or [] if isinstance(item, dict)]
    lines = [_join(item.get("content") or []) for item in items]
    return "\n".join(f"{index}. {line}" if numbered else f"- {line}" for index, line in enumerate(lines, 1))
