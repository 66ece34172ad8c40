"""Per-ticket, per-recipient reply addresses: what authenticates a reply by e-mail.

The `From` of a message is whatever its sender typed, and a `[#1000]` subject tag or an In-Reply-To
is public (ticket numbers are sequential), so neither proves who wrote. Every mail we send to a
participant therefore carries a `Reply-To` of its own, `support+t1000.<mac>@<mail domain>`, where the
MAC is an HMAC-SHA256 over (ticket id, recipient's user id) with the server's key. A reply sent to
that address from that recipient's mailbox is theirs; the address alone, from another mailbox, is
not (the MAC is checked against the sender's user id, so a forwarded or leaked address only works
for the one person it was made for).

Pure and stdlib only: the key is passed in (LINK_SIGNING_KEY; a label inside the MAC keeps these
tokens apart from the one-click links signed with the same key).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass

MAC_LENGTH = 16  # base32 characters: 80 bits, short enough to survive every mail client's address field
_LABEL = b"escalator reply-address v1"
_TOKEN = re.compile(
    r"^(?P<local>[A-Za-z0-9._-]+)\+t(?P<ticket>\d{1,18})\.(?P<mac>[A-Za-z2-7]{"
    + str(MAC_LENGTH)
    + r"})@(?P<domain>[^@\s]+)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ReplyToken:
    """What an address claims: a ticket, and a MAC still to be checked against the sender's user id."""

    ticket_id: int
    mac: str
    domain: str


def reply_mac(key: bytes, ticket_id: int, user_id: str) -> str:
    """The lowercase base32 MAC of (ticket, recipient); lowercase because relays may fold case."""
    message = b"\x00".join([_LABEL, str(ticket_id).encode(), user_id.encode()])
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:MAC_LENGTH].lower()


def reply_address(key: bytes, ticket_id: int, user_id: str, mailbox: str) -> str:
    """`support+t1000.<mac>@domain` from our own mailbox `support@domain` (plus-addressing)."""
    local, _, domain = mailbox.rpartition("@")
    if not local or not domain or "+" in local:
        raise ValueError(f"not a plain mailbox to add a reply token to: {mailbox!r}")
    return f"{local}+t{ticket_id}.{reply_mac(key, ticket_id, user_id)}@{domain}"


def parse_reply_address(address: str, domain: str | None = None) -> ReplyToken | None:
    """The token an address carries, or None; with `domain`, only addresses at our mail domain."""
    found = _TOKEN.match(address.strip().strip("<>"))
    if found is None:
        return None
    if domain is not None and found.group("domain").lower() != domain.lower():
        return None
    return ReplyToken(int(found.group("ticket")), found.group("mac").lower(), found.group("domain").lower())


def verify_reply_token(key: bytes, token: ReplyToken, user_id: str) -> bool:
    """True when the token was made for this user on its ticket (constant-time comparison)."""
    return hmac.compare_digest(token.mac, reply_mac(key, token.ticket_id, user_id))


def ticket_replied_to(
    key: bytes, addresses: Iterable[str], user_id: str, domain: str | None = None
) -> int | None:
    """The ticket of the first address among `addresses` whose token is this user's; None if none is."""
    for address in addresses:
        token = parse_reply_address(address, domain)
        if token is not None and verify_reply_token(key, token, user_id):
            return token.ticket_id
    return None
