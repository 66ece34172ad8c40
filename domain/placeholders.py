"""Placeholders in admin-written text (`Hello {{requester.name}}`): a small, strict renderer.

Why not a template engine: a macro's text only ever needs a named value put in its place. Names are
looked up in a fixed vocabulary, never evaluated, so an admin's text cannot call anything or reach
an attribute; an unknown name is refused when the macro is defined, and a missing value when it is
rendered (strict), rather than sending a customer a reply with a hole in it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from domain.errors import InvalidCommand

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
KNOWN = frozenset(
    {
        "requester.name",
        "requester.email",
        "ticket.id",
        "ticket.subject",
        "ticket.status",
        "ticket.severity",
        "ticket.product",
        "agent.name",
        "agent.email",
        "group.name",
    }
)


def placeholders(text: str, field: str = "reply") -> list[str]:
    """The names the text uses, in order; InvalidCommand for an unknown name or a stray brace pair."""
    names = [m.group(1) for m in PLACEHOLDER.finditer(text)]
    for name in names:
        if name not in KNOWN:
            known = ", ".join("{{" + k + "}}" for k in sorted(KNOWN))
            raise InvalidCommand(field, f"unknown placeholder {{{{{name}}}}}; known: {known}")
    rest = PLACEHOLDER.sub("", text)
    if "{{" in rest or "}}" in rest:
        raise InvalidCommand(field, "unbalanced '{{' or '}}'")
    return names


def render(text: str, values: Mapping[str, str], field: str = "reply") -> str:
    """The text with each placeholder replaced by its value; a name without a value is refused."""
    missing = [name for name in placeholders(text, field) if name not in values]
    if missing:
        raise InvalidCommand(field, f"no value for {{{{{missing[0]}}}}}")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)
