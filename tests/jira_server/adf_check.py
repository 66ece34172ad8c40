"""Structural check of Atlassian Document Format, the way Jira v3 rejects non-ADF bodies.

Independent of the client's ADF builder on purpose: a shared bug would otherwise go unnoticed.
"""

from __future__ import annotations

from typing import Any

ADF_ERROR = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"

_BLOCK = {
    "paragraph", "heading", "blockquote", "bulletList", "orderedList", "listItem", "codeBlock", "panel",
    "rule", "table", "tableRow", "tableCell", "tableHeader", "mediaSingle", "mediaGroup", "media",
    "expand", "nestedExpand", "blockCard", "embedCard", "taskList", "taskItem", "decisionList",
    "decisionItem",
}  # fmt: skip
_INLINE = {"text", "hardBreak", "mention", "emoji", "date", "status", "inlineCard", "placeholder"}


def adf_problem(value: Any) -> str | None:
    """None if `value` is a well-formed ADF document, else a short reason."""
    if not isinstance(value, dict) or value.get("type") != "doc":
        return "root node must be {type: doc}"
    if value.get("version") != 1:
        return "doc.version must be 1"
    return _children_problem(value, "doc")


def _children_problem(node: dict[str, Any], where: str) -> str | None:
    content = node.get("content", [])
    if not isinstance(content, list):
        return f"{where}.content must be a list"
    for index, child in enumerate(content):
        problem = _node_problem(child, f"{where}.content[{index}]")
        if problem:
            return problem
    return None


def _node_problem(node: Any, where: str) -> str | None:
    if not isinstance(node, dict) or not isinstance(node.get("type"), str):
        return f"{where} must be a node object with a type"
    kind = node["type"]
    if kind not in _BLOCK | _INLINE:
        return f"{where}: unknown node type {kind!r}"
    if kind == "text":
        text = node.get("text")
        if not isinstance(text, str) or not text:
            return f"{where}: text nodes need a non-empty text"
        if not isinstance(node.get("marks", []), list):
            return f"{where}.marks must be a list"
    return _children_problem(node, where)
