"""Plain text ⇄ Atlassian Document Format."""

from __future__ import annotations

from integrations.jira.adf import adf_doc, adf_to_text, is_adf_doc, link_paragraph, paragraph, text_to_adf


def test_text_becomes_paragraphs_with_hard_breaks():
    doc = text_to_adf("First line\nsecond line\n\n\nNext paragraph\n")
    assert doc == {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "First line"}, {"type": "hardBreak"},
                                              {"type": "text", "text": "second line"}]},
            {"type": "paragraph", "content": [{"type": "text", "text": "Next paragraph"}]},
        ],
    }  # fmt: skip
    assert is_adf_doc(doc)


def test_round_trip_keeps_the_text():
    text = "Customer says exports fail.\nSince Monday.\n\nSteps:\nopen report"
    assert adf_to_text(text_to_adf(text)) == text
    assert adf_to_text(text_to_adf(text.replace("\n", "\r\n"))) == text


def test_empty_text_is_an_empty_document_without_empty_text_nodes():
    assert text_to_adf("  \n\n ") == adf_doc([])
    assert paragraph("a\n\nb")["content"] == [
        {"type": "text", "text": "a"}, {"type": "hardBreak"}, {"type": "hardBreak"}, {"type": "text", "text": "b"}
    ]  # fmt: skip


def test_link_paragraph_marks_the_url():
    node = link_paragraph("Escalation: ", "http://127.0.0.1/e/CP-1")
    assert node["content"][1]["marks"] == [{"type": "link", "attrs": {"href": "http://127.0.0.1/e/CP-1"}}]
    assert adf_to_text(adf_doc([node])) == "Escalation: http://127.0.0.1/e/CP-1"


def test_inbound_comments_with_rich_nodes_flatten_to_text():
    doc = {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Fix"}]},
            {"type": "paragraph", "content": [
                {"type": "mention", "attrs": {"id": "1", "text": "@Dana"}},
                {"type": "text", "text": " deployed ", "marks": [{"type": "strong"}]},
                {"type": "inlineCard", "attrs": {"url": "https://ci/42"}},
            ]},
            {"type": "orderedList", "content": [
                {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "a"}]}]},
                {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "b"}]}]},
            ]},
            {"type": "codeBlock", "content": [{"type": "text", "text": "x = 1"}]},
        ],
    }  # fmt: skip
    assert adf_to_text(doc) == "Fix\n\n@Dana deployed https://ci/42\n\n1. a\n2. b\n\nx = 1"


def test_v2_string_bodies_and_junk_are_tolerated():
    assert adf_to_text("Added a comment with [~user]") == "Added a comment with [~user]"
    assert adf_to_text(None) == ""
    assert adf_to_text(42) == ""
    assert not is_adf_doc({"type": "doc", "content": []})
