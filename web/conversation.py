"""A ticket's public conversation, as the ticket page shows it: one entry per message, oldest first.

Built from the timeline the caller's scope returned (internal notes are never in it for customers);
a message that says it is internal is skipped here too, so a projection mistake cannot show one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MESSAGE_EVENTS = ("ticket_created", "reply_added")


@dataclass(frozen=True)
class Message:
    """One public message: who wrote it, when, the text, its files and a chat transcript if any."""

    author_id: str
    author: str  # "customer" | "agent"
    at: Any
    body: str
    files: list[dict[str, Any]] = field(default_factory=list)
    transcript: list[dict[str, Any]] = field(default_factory=list)


def conversation(timeline: list[dict[str, Any]], files: list[dict[str, Any]]) -> list[Message]:
    """The messages of `timeline`, each with the metadata of the files it cites (that the caller sees)."""
    by_id = {str(f["id"]): f for f in files}
    messages = []
    for event in timeline:
        data = event.get("data") or {}
        if event["type"] not in MESSAGE_EVENTS or data.get("internal"):
            continue
        created = event["type"] == "ticket_created"
        messages.append(
            Message(
                author_id=str(event.get("actor_id") or ""),
                author="customer" if created else str(data.get("author", "agent")),
                at=event["at"],
                body=str(data.get("description" if created else "body") or ""),
                files=[by_id[str(i)] for i in data.get("attachments", []) if str(i) in by_id],
                transcript=list(data.get("transcript", [])),
            )
        )
    return messages
