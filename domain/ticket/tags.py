"""Ticket tags: free-form, like Zendesk's, so a macro or an agent may add any tag; only the syntax
is checked. A tag is one lowercase word (letters, digits, `-`, `_`, `.`, `:`), which keeps `tag=`
filters and search exact and stops "Billing", "billing " and "billing" from being three tags.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from domain.errors import InvalidCommand

TAG = re.compile(r"^[a-z0-9][a-z0-9_.:\-]{0,49}$")
MAX_TAGS = 30


def normal_tag(tag: str) -> str:
    """Lowercase and trimmed; the form stored and compared."""
    return tag.strip().lower()


def checked_tags(tags: Iterable[str], field: str = "tags") -> list[str]:
    """The tags in normal form, each once, in order; InvalidCommand naming the first bad one."""
    result: list[str] = []
    for raw in tags:
        tag = normal_tag(raw)
        if not TAG.match(tag):
            raise InvalidCommand(
                field, f"{raw!r} is not a tag: one word of a-z, 0-9, '-', '_', '.', ':' (at most 50)"
            )
        if tag not in result:
            result.append(tag)
    return result


def check_count(tags: list[str]) -> None:
    if len(tags) > MAX_TAGS:
        raise InvalidCommand("tags", f"at most {MAX_TAGS} tags on a ticket")
