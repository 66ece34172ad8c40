"""The sign-in e-mail: issue a one-time token for an address and mail its link.

Sent straight over SMTP (integrations/mail/smtp.send), not through the notification outbox: the
outbox holds what a ticket event owes (rows keyed by ticket, event and kind, composed later from
the ticket), while a sign-in link belongs to no ticket, would have to sit in the outbox in clear
text, and is worth nothing after 15 minutes; if the mail server is away, the person just asks again.

It runs after the response has gone (a background task), so "Send sign-in link" answers the same,
in the same time, whether or not the address belongs to anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from infra.log import get_logger
from integrations.mail.smtp import AUTOMATIC_HEADERS, MailError, MailSettings, OutgoingMail, send
from store.signin_tokens import (
    SigninRecipient,
    issue_signin_token,
    recent_token_count,
    recipient_for_email,
)
from web.i18n import EN, N_, supported_locale, translate
from web.links import sign_in_url
from web.settings import WebSettings

log = get_logger(__name__)

SUBJECT = N_("Your Escalator sign-in link")
BODY = N_(
    "Hello {name},\n\n"
    "Open this link to sign in to Escalator:\n\n{link}\n\n"
    "It works once and only for the next {minutes} minutes.\n"
    "If you did not ask to sign in, ignore this message: nobody can sign in without the link.\n"
)


@dataclass(frozen=True)
class SigninMailer:
    """Everything a background task needs, so it outlives the request that scheduled it."""

    engine: AsyncEngine
    mail: MailSettings
    web: WebSettings
    public_base_url: str

    async def send_link(self, email: str) -> None:
        """Mail a fresh link to `email` if it is a user's and they have not asked too often; never raises."""
        try:
            recipient, token = await self._issue(email)
            if recipient is None or token is None:
                return
            await send(signin_mail(recipient, sign_in_url(self.public_base_url, token), self.web), self.mail)
            log.info("sign-in link sent", user_id=recipient.user_id)
        except MailError as exc:
            log.warning("sign-in link not sent: mail server", error=str(exc))
        except Exception as exc:  # a background task has nobody to report to but the log
            log.error("sign-in link not sent", error=repr(exc))

    async def _issue(self, email: str) -> tuple[SigninRecipient | None, str | None]:
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            recipient = await recipient_for_email(conn, email)
            if recipient is None:
                return None, None
            window_start = now - self.web.signin_link_ttl
            if (
                await recent_token_count(conn, recipient.user_id, window_start)
                >= self.web.signin_links_per_window
            ):
                log.warning("sign-in link not sent: too many asked", user_id=recipient.user_id)
                return recipient, None
            return recipient, await issue_signin_token(conn, recipient.user_id, now, self.web.signin_link_ttl)


def signin_mail(recipient: SigninRecipient, link: str, web: WebSettings) -> OutgoingMail:
    """The message, in the recipient's language."""
    locale = supported_locale(recipient.locale) or EN
    body = translate(locale, BODY).format(name=recipient.name, link=link, minutes=web.signin_link_minutes)
    return OutgoingMail(
        to=[recipient.email], subject=translate(locale, SUBJECT), body=body, headers=dict(AUTOMATIC_HEADERS)
    )
