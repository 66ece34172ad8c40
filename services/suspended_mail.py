"""The suspended-mail queue (Zendesk's "suspended tickets"): inbound mail held for an agent.

Inbound mail that nothing authenticates (no reply token of its sender, no trusted DMARC pass), that
is automatic, or that its ticket refused, is held here instead of being bounced: a bounce would tell
a stranger which addresses are registered and which tickets exist. Staff list and read it; an agent
accepts a message (it becomes the ticket or reply it would have been, as the sender's user, through
`services.mail_intake`, the path inbound mail uses) or rejects it. Customers never see the queue.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.actors import CUSTOMER_ROLES, STAFF_ROLES, Role
from domain.attachment_types import AttachmentRejected
from infra.settings import Settings
from integrations.mail.inbound_server import InboundMail, parse_inbound
from services.context import Context
from services.mail_intake import take_mail
from services.problems import Problem, forbidden, not_found
from services.ticket_cursor import bad_cursor
from store import suspended_mail as store
from store.identities import principal_for_email

DECIDERS = frozenset({Role.AGENT, Role.ADMIN})
MAX_BODY_CHARS = 64 * 1024


@dataclass(frozen=True)
class SuspendedPage:
    """Held messages newest first, and the cursor of the next page (None on the last)."""

    items: list[dict[str, Any]]
    next_cursor: str | None


async def hold(
    engine: AsyncEngine, settings: Settings, mail: InboundMail, reason: str, detail: str, claimed: int | None
) -> str:
    """Keep the message for an agent (raw bytes cut to SUSPENDED_MAIL_MAX_BYTES); its row's id."""
    held = store.HeldMail(
        received_at=mail.received_at,
        reason=reason,
        detail=detail[:500],
        mail_from=mail.mail_from,
        recipients=list(mail.recipients),
        sender=mail.sender,
        sender_name=mail.sender_name[:200],
        subject=mail.subject[:500],
        claimed_ticket_id=claimed,
        message_id=mail.message_id,
        body=(mail.body or mail.full_text)[:MAX_BODY_CHARS],
        raw=mail.raw[: settings.suspended_mail_max_bytes],
        raw_size=len(mail.raw),
    )
    async with engine.begin() as conn:
        return await store.hold(conn, held)


def _staff(context: Context, roles: frozenset[Role] = STAFF_ROLES) -> None:
    if context.principal.role not in roles:
        raise forbidden("the suspended-mail queue is for support staff")


async def list_suspended(
    context: Context, status: str = store.WAITING, cursor: str | None = None, limit: int = 50
) -> SuspendedPage:
    _staff(context)
    after = _decode(cursor)
    async with context.engine.connect() as conn:
        rows = await store.list_held(conn, context.scope, status, after, limit + 1)
    more = len(rows) > limit
    items = rows[:limit]
    return SuspendedPage(items, _encode(items[-1]) if more else None)


async def get_suspended(context: Context, mail_id: str) -> dict[str, Any]:
    _staff(context)
    async with context.engine.connect() as conn:
        row = await store.get_held(conn, context.scope, mail_id)
    if row is None:
        raise not_found("suspended mail")
    return row


async def reject(context: Context, mail_id: str) -> dict[str, Any]:
    """Drop the message for good (it stays listed as rejected); rejecting twice is the same answer."""
    _staff(context, DECIDERS)
    row = await get_suspended(context, mail_id)
    if row["status"] == store.REJECTED:
        return row
    if row["status"] == store.ACCEPTED:
        raise Problem(409, "the message was accepted already", type_="/problems/conflict")
    async with context.engine.begin() as conn:
        decided = await store.decide(conn, mail_id, store.REJECTED, context.principal.user_id)
    return decided or await reject(context, mail_id)


async def accept(context: Context, mail_id: str) -> dict[str, Any]:
    """Take the message as its sender's reply (or new ticket); accepting twice changes nothing more."""
    _staff(context, DECIDERS)
    row = await get_suspended(context, mail_id)
    if row["status"] == store.ACCEPTED:
        return row
    if row["status"] == store.REJECTED:
        raise Problem(409, "the message was rejected already", type_="/problems/conflict")
    ticket_id = await _deliver(context, row)
    async with context.engine.begin() as conn:
        decided = await store.decide(conn, mail_id, store.ACCEPTED, context.principal.user_id, ticket_id)
    return decided or await accept(context, mail_id)


async def _deliver(context: Context, row: dict[str, Any]) -> int:
    """As the sender's user, through the inbound path; the key makes a repeated accept a no-op."""
    async with context.engine.connect() as conn:
        sender = await principal_for_email(conn, row["sender"])
    if sender is None or sender.role not in CUSTOMER_ROLES:
        raise Problem(422, f"{row['sender']!r} is not a customer's address: register it first")
    as_sender = Context(sender, context.engine, context.settings, context.temporal)
    claimed = row["claimed_ticket_id"]
    try:
        return await take_mail(as_sender, _mail_of(row), claimed, f"suspended:{row['id']}")
    except AttachmentRejected as exc:
        raise Problem(422, f"attachment refused: {exc.reason}") from exc
    except Problem as exc:
        if exc.status >= 500:
            raise
        where = f"ticket #{claimed}" if claimed else "a new ticket"
        raise Problem(exc.status if exc.status == 409 else 422, f"{where} refuses it: {exc.detail}") from exc


def _mail_of(row: dict[str, Any]) -> InboundMail:
    """The message parsed again from its raw bytes; a cut copy gives its stored text, without files."""
    if not row["raw_truncated"]:
        return parse_inbound(row["raw"], row["mail_from"], list(row["recipients"]), domain="")
    return InboundMail(
        mail_from=row["mail_from"],
        recipients=list(row["recipients"]),
        sender=row["sender"],
        sender_name=row["sender_name"],
        subject=row["subject"],
        ticket_id=row["claimed_ticket_id"],
        body=row["body"],
        full_text=row["body"],
        message_id=row["message_id"],
        in_reply_to=None,
        references=[],
    )


def _encode(row: dict[str, Any]) -> str:
    plain = f"{row['received_at'].isoformat()}|{row['id']}"
    return base64.urlsafe_b64encode(plain.encode()).decode().rstrip("=")


def _decode(cursor: str | None) -> store.Position | None:
    """Where the page continues; 400 for anything this service did not hand out."""
    if cursor is None:
        return None
    try:
        at, mail_id = base64.urlsafe_b64decode(cursor.encode() + b"==").decode().split("|")
        received_at = datetime.fromisoformat(at)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise bad_cursor() from exc
    if received_at.tzinfo is None:
        raise bad_cursor()
    return store.Position(received_at, mail_id)
