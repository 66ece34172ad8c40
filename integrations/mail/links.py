"""The signed one-click links e-mails carry: `{PUBLIC_BASE_URL}/portal/links/{token}`.

Each link is signed for the one reader whose mail carries it, one ticket and one purpose
(domain/signed_links.py). The portal serves the path: opening it shows a confirmation page and never
changes anything (mail scanners open links too); the confirming click does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.signed_links import LinkClaims, LinkPurpose, link_expiry, sign_link

LINKS_PATH = "/portal/links"


@dataclass(frozen=True)
class LinkMaker:
    """Signs links with the server's key; `now` fixes every link of one mail to the same expiry."""

    base_url: str
    key: bytes
    now: datetime

    def url(self, recipient_id: str, ticket_id: int, purpose: LinkPurpose) -> str:
        claims = LinkClaims(recipient_id, ticket_id, purpose, link_expiry(self.now))
        return f"{self.base_url.rstrip('/')}{LINKS_PATH}/{sign_link(self.key, claims)}"
