"""The first question about an inbound mail: may it touch a ticket at all?

DESIGN.md: "Automatic mail never reopens or opens a ticket". An out-of-office reply to a resolved
ticket's notification must not reopen it, and another help desk's acknowledgement must not open a
ticket whose own acknowledgement would be acknowledged in turn. Such mail, and mail over its sender's
hourly limit, is accepted (a refusal would bounce, and bounces feed loops) and only logged: it is not
added to the ticket it names either, since an auto-reply carries nothing for the conversation. The
suspended-mail queue, when it exists, is where `rate_limited` mail should go instead of nowhere.
"""

from __future__ import annotations

from infra.log import get_logger
from integrations.mail.inbound_message import InboundMail
from integrations.mail.inbound_server import InboundDecision

log = get_logger(__name__)


def held_back(mail: InboundMail) -> InboundDecision | None:
    """The accepting answer for an automatic or rate-limited mail, or None if it may go on."""
    if mail.automatic is not None:
        reason = f"automatic message ({mail.automatic}); not added to any ticket"
    elif mail.rate_limited:
        reason = "too many messages from this sender this hour; held, not added to any ticket"
    else:
        return None
    log.info("inbound mail held back", sender=mail.sender, ticket_id=mail.ticket_id, reason=reason)
    return InboundDecision.accept(f"2.0.0 accepted: {reason}"[:400])
