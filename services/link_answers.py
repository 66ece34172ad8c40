"""One-click answers from e-mail: open a signed link, then record its answer once, as its recipient.

A link (domain/signed_links.py) names its recipient, ticket and purpose. Opening it only reads:
the claims, whether the recipient still sees the ticket (404 otherwise, as for any reader), and
whether the link was already used. Answering records through the same command path as the API
(`services.commands.act`, `services.escalations.verify`) with a principal for the recipient, and
spends the link in the same database transaction: the used-link row is inserted first (a second,
racing click waits on its primary key, then finds it taken) and rolled back if the answer fails,
so a refused or timed-out answer leaves the link usable. The workflow update's id comes from the
link as well, so even a commit lost after the update cannot record the answer twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.signed_links import LinkClaims, LinkExpired, LinkPurpose, LinkRejected, read_link
from domain.ticket.commands import Feedback
from infra.settings import Settings, link_key
from services import escalations
from services.commands import TicketRef, act, actor_of, request_key, visible
from services.context import Context, TemporalProvider
from services.problems import Problem, not_found
from store.identities import Principal, principal_for_user
from store.used_links import link_hash, link_used, spend_link
from workflows.ticket import TicketWorkflow

MAX_COMMENT = 4000
SURVEY = {LinkPurpose.SURVEY_YES: True, LinkPurpose.SURVEY_NO: False}
VERIFICATION = {LinkPurpose.VERIFY_FIXED: True, LinkPurpose.VERIFY_NOT_FIXED: False}


@dataclass(frozen=True)
class OpenedLink:
    """A genuine link with what its page needs: claims, the ticket as its recipient sees it, state."""

    claims: LinkClaims
    context: Context  # the recipient's: whatever the link does, it does as them
    ticket: dict[str, Any]
    expired: bool
    used: bool

    @property
    def usable(self) -> bool:
        return not self.expired and not self.used


class LinkUnusable(Exception):
    """The link was genuine but is spent or out of time; the page offers a sign-in link instead."""

    def __init__(self, opened: OpenedLink) -> None:
        super().__init__("used" if opened.used else "expired")
        self.opened = opened


@dataclass(frozen=True)
class LinkResources:
    """What a transport hands in: nobody is signed in, the link says for whom the context is made."""

    engine: AsyncEngine
    settings: Settings
    temporal: TemporalProvider

    def context(self, principal: Principal) -> Context:
        return Context(principal, self.engine, self.settings, self.temporal)


async def open_link(resources: LinkResources, token: str, now: datetime) -> OpenedLink:
    """Read the link without changing anything; 404 Problem for a forged link or an unseen ticket."""
    try:
        claims, expired = read_link(link_key(resources.settings), token, now), False
    except LinkExpired as exc:
        claims, expired = exc.claims, True
    except LinkRejected as exc:
        raise not_found("link") from exc
    async with resources.engine.connect() as conn:
        recipient = await principal_for_user(conn, claims.recipient_id)
        used = await link_used(conn, token)
    if recipient is None:
        raise not_found("link")
    context = resources.context(recipient)
    ticket = await visible(context, TicketRef(claims.ticket_id))
    return OpenedLink(claims, context, ticket, expired, used)


async def answer_link(resources: LinkResources, token: str, comment: str | None, now: datetime) -> OpenedLink:
    """Record the link's answer as its recipient and spend the link, both or neither."""
    opened = await open_link(resources, token, now)
    if opened.claims.purpose is LinkPurpose.VIEW:
        raise Problem(400, "this link only opens the ticket; it answers nothing")
    if not opened.usable:
        raise LinkUnusable(opened)
    text = (comment or "").strip()[:MAX_COMMENT] or None
    claims = opened.claims
    async with opened.context.engine.begin() as conn:
        if not await spend_link(conn, token, claims.recipient_id, claims.ticket_id, claims.purpose.value):
            raise LinkUnusable(OpenedLink(claims, opened.context, opened.ticket, False, True))
        await _record(opened, text, f"link:{link_hash(token)[:32]}")
    return opened


async def _record(opened: OpenedLink, comment: str | None, key: str) -> dict[str, Any]:
    """The answer through the usual command path, with the link as its idempotency key."""
    context, purpose = opened.context, opened.claims.purpose
    if purpose in SURVEY:
        principal = context.principal
        command = Feedback(actor_of(principal), SURVEY[purpose], comment, request_key(principal, key))
        return await act(context, TicketRef(opened.claims.ticket_id), TicketWorkflow.feedback, command)
    escalation = opened.ticket.get("escalation") or {}
    if not escalation.get("id"):
        raise Problem(409, "this ticket has no escalation waiting for your check")
    return await escalations.verify(context, str(escalation["id"]), VERIFICATION[purpose], comment, key)
