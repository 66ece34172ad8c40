"""The macro renderer: names from a fixed vocabulary, strict, and never evaluated."""

from __future__ import annotations

import pytest

from domain.errors import InvalidCommand
from domain.placeholders import placeholders, render

VALUES = {"requester.name": "Carla", "ticket.id": "1000", "agent.name": "Ana"}


def test_renders_known_names_with_or_without_spaces() -> None:
    text = "Olá {{requester.name}}, ticket #{{ ticket.id }}. — {{agent.name}}"
    assert render(text, VALUES) == "Olá Carla, ticket #1000. — Ana"


@pytest.mark.parametrize(
    "text",
    ["{{requester.password}}", "{{ ticket.__class__ }}", "{{ 7*7 }}", "{{requester.name|upper}}", "{{}}"],
)
def test_an_unknown_placeholder_is_refused_with_the_field(text: str) -> None:
    with pytest.raises(InvalidCommand) as refused:
        placeholders(text)
    assert refused.value.field == "reply" and "unknown placeholder" in refused.value.reason


@pytest.mark.parametrize("text", ["Hi {{requester.name}", "{{ {{ticket.id}} }}", "a }} b"])
def test_stray_braces_are_refused(text: str) -> None:
    with pytest.raises(InvalidCommand):
        placeholders(text)


def test_a_value_is_text_it_is_not_rendered_again() -> None:
    assert render("{{requester.name}}", {"requester.name": "{{ticket.id}}"}) == "{{ticket.id}}"


def test_a_known_name_without_a_value_is_refused_not_left_blank() -> None:
    with pytest.raises(InvalidCommand, match=r"ticket\.subject"):
        render("About {{ticket.subject}}", VALUES)
