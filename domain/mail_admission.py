"""Who may write by e-mail: take a message as its sender's, or hold it in the suspended-mail queue.

A message is its sender's reply only when it was sent to the reply address we made for that sender
on that ticket (domain/reply_address.py), or when a relay we trust vouches for the `From` with a
DMARC pass (then its `[#id]` / In-Reply-To claim is followed, within what the sender may see, or it
opens a ticket). Everything else waits for an agent, with the reason: nothing is lost, and nothing is
bounced in a way that would tell a stranger which addresses or tickets exist. Automatic mail
(bounces, auto-replies) never opens or reopens a ticket by itself: it is held too.

Pure: the caller looks the sender up and checks the tokens, then asks `admit`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SuspendReason(StrEnum):
    AUTOMATIC = "automatic"
    SENDER_PROBLEM = "sender_problem"
    SENDER_OVER_LIMIT = "sender_over_limit"
    UNKNOWN_SENDER = "unknown_sender"
    NOT_A_CUSTOMER = "not_a_customer"
    UNAUTHENTICATED = "unauthenticated"
    REFUSED = "refused"  # authenticated, but the ticket refused it (closed, not visible, bad file)


@dataclass(frozen=True)
class Evidence:
    """What is known of one message when deciding; `token_ticket_id` is a token verified for the sender."""

    automatic: bool = False
    sender_problem: str | None = None
    over_limit: bool = False
    sender_known: bool = False
    sender_is_customer: bool = False
    token_ticket_id: int | None = None
    dmarc_pass: bool = False
    claimed_ticket_id: int | None = None


@dataclass(frozen=True)
class Admission:
    """Take it (`ticket_id` None: a new ticket) or suspend it (`reason`, and `detail` for the agent)."""

    ticket_id: int | None = None
    reason: SuspendReason | None = None
    detail: str = ""

    @property
    def suspended(self) -> bool:
        return self.reason is not None


def admit(evidence: Evidence) -> Admission:
    """The first reason to hold the message wins; else the authenticated way in says which ticket."""
    held = _hold(evidence)
    if held is not None:
        return held
    if evidence.token_ticket_id is not None:
        return Admission(ticket_id=evidence.token_ticket_id)
    if evidence.dmarc_pass:
        return Admission(ticket_id=evidence.claimed_ticket_id)
    return Admission(reason=SuspendReason.UNAUTHENTICATED, detail="no reply token and no trusted DMARC pass")


def _hold(evidence: Evidence) -> Admission | None:
    if evidence.automatic:
        return Admission(reason=SuspendReason.AUTOMATIC, detail="automatic message (bounce or auto-reply)")
    if evidence.sender_problem:
        return Admission(reason=SuspendReason.SENDER_PROBLEM, detail=evidence.sender_problem)
    if evidence.over_limit:
        return Admission(reason=SuspendReason.SENDER_OVER_LIMIT, detail="too many messages from this sender")
    if not evidence.sender_known:
        return Admission(reason=SuspendReason.UNKNOWN_SENDER, detail="no user has this address")
    if not evidence.sender_is_customer:
        return Admission(reason=SuspendReason.NOT_A_CUSTOMER, detail="staff answer through the desk")
    return None
