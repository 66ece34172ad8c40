"""Bodies of the suspended-mail endpoints (staff): the queue's rows, one message in full."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Status = Literal["waiting", "accepted", "rejected"]


class SuspendedMailOut(BaseModel):
    id: str
    received_at: datetime
    status: Status
    reason: str = Field(description="why it was held: unauthenticated, unknown_sender, automatic, …")
    detail: str
    sender: str = Field(description="the address in From, as the message claims it")
    sender_name: str
    subject: str
    claimed_ticket_id: int | None = Field(description="the ticket it names (reply token, [#id] or thread)")
    message_id: str | None
    recipients: list[str]
    raw_size: int
    raw_truncated: bool = Field(description="the stored raw copy was cut; accepting it drops its files")
    decided_by: str | None
    decided_at: datetime | None
    ticket_id: int | None = Field(description="where an accepted message went")


class SuspendedMailDetailOut(SuspendedMailOut):
    body: str = Field(description="the new text of the message, quoted history removed")
    raw: str = Field(description="the raw message as stored (bytes that are not UTF-8 replaced)")


class SuspendedMailPage(BaseModel):
    items: list[SuspendedMailOut]
    next_cursor: str | None = Field(description="pass as `cursor` to get the next page; null on the last")
