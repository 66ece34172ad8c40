"""Two Escalator-like help desks on 127.0.0.1 that acknowledge every ticket opened by mail.

Each desk is a real inbound server whose callback opens a "ticket" and sends an acknowledgement
through integrations.mail.smtp.send to the other desk's server. Sends happen inside the callback,
so when the first mail's SMTP reply arrives, the whole chain it caused has finished: the counts
below are final, not sampled.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage

import aiosmtplib

from integrations.mail.inbound_gate import held_back
from integrations.mail.inbound_message import InboundMail
from integrations.mail.inbound_server import InboundDecision, InboundServer, InboundSettings
from integrations.mail.smtp import AUTO_REPLIED, MailSettings, OutgoingMail, send

SAFETY_CAP = 12  # a loop that no marker or limit stops is cut here, so the test ends either way


@dataclass
class HelpDesk:
    """`gate`: honours automatic markers and the sender limit; `marks`: its acknowledgements carry them."""

    domain: str
    gate: bool = True
    marks: bool = True
    opened: list[InboundMail] = field(default_factory=list)
    held: list[InboundMail] = field(default_factory=list)
    peer_port: int = 0
    acks: int = 0

    @property
    def address(self) -> str:
        return f"support@{self.domain}"

    async def __call__(self, mail: InboundMail) -> InboundDecision:
        decision = held_back(mail) if self.gate else None
        if decision is not None:
            self.held.append(mail)
            return decision
        self.opened.append(mail)
        if self.acks < SAFETY_CAP:
            self.acks += 1
            await send(self._acknowledgement(mail), self._outgoing())
        return InboundDecision.accept(f"2.0.0 ticket #{len(self.opened)} opened")

    def _acknowledgement(self, mail: InboundMail) -> OutgoingMail:
        headers = {"Auto-Submitted": AUTO_REPLIED} if self.marks else {"Auto-Submitted": "no", "X-Loop": ""}
        subject = f"[#{len(self.opened)}] Received: {mail.subject}"
        return OutgoingMail(to=[mail.sender], subject=subject, body="We got your message.", headers=headers)

    def _outgoing(self) -> MailSettings:
        return MailSettings(
            smtp_port=self.peer_port, mail_from=self.address, mail_domain=self.domain, smtp_timeout_seconds=30
        )


@asynccontextmanager
async def desks(first: HelpDesk, second: HelpDesk, sender_limit: int = 20) -> AsyncIterator[int]:
    """Both desks listening, each sending to the other; yields the first desk's port."""
    async with AsyncExitStack() as stack:
        servers = [
            await stack.enter_async_context(
                InboundServer(
                    desk,
                    InboundSettings(
                        smtp_inbound_port=0, mail_domain=desk.domain, smtp_inbound_sender_limit=sender_limit
                    ),
                )
            )
            for desk in (first, second)
        ]
        first.peer_port, second.peer_port = servers[1].port, servers[0].port
        yield servers[0].port


async def _write_to(port: int, sender: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "support@a.example", "Printer offline"
    message.set_content("It stopped this morning.")
    await aiosmtplib.send(message, hostname="127.0.0.1", port=port, timeout=120)


async def test_two_escalators_stop_after_one_acknowledgement() -> None:
    first, second = HelpDesk("a.example"), HelpDesk("b.example")
    async with desks(first, second) as port:
        await _write_to(port, second.address)
    assert (len(first.opened), first.acks) == (1, 1)
    assert (len(second.opened), second.acks) == (0, 0)
    [held] = second.held
    assert held.automatic == "Auto-Submitted: auto-replied" and held.sender == first.address


async def test_a_desk_that_strips_every_marker_is_stopped_by_the_sender_limit() -> None:
    ours, naive = HelpDesk("a.example"), HelpDesk("b.example", gate=False, marks=False)
    async with desks(ours, naive, sender_limit=3) as port:
        await _write_to(port, naive.address)
    assert (len(ours.opened), ours.acks) == (3, 3)
    assert naive.acks == 3
    [held] = ours.held
    assert held.rate_limited and held.automatic is None


async def test_without_markers_and_gate_the_desks_loop_until_cut() -> None:
    """The control: what both fixes prevent. Two naive desks only stop at the test's safety cap."""
    first = HelpDesk("a.example", gate=False, marks=False)
    second = HelpDesk("b.example", gate=False, marks=False)
    async with desks(first, second) as port:
        await _write_to(port, second.address)
    assert first.acks == SAFETY_CAP and second.acks == SAFETY_CAP
