"""Signed one-click links for e-mails that ask the customer something (survey, verification, view).

A link works without signing in, so it must say by itself whom it is for, which ticket, what it may
do and until when: an HMAC-SHA256 over exactly those four claims, with a key only the server knows.
One link, one purpose: a "survey yes" link cannot be replayed as "verification fixed". The token
never grants a state change by being opened (mail scanners prefetch links): the page it leads to
asks for one confirming click, and single use is tracked where the answer is recorded.

Pure: the key and `now` are passed in, so the workflow-free domain tests cover it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

DEFAULT_LIFETIME = timedelta(days=30)


class LinkPurpose(StrEnum):
    VIEW = "view"
    SURVEY_YES = "survey_yes"
    SURVEY_NO = "survey_no"
    VERIFY_FIXED = "verify_fixed"
    VERIFY_NOT_FIXED = "verify_not_fixed"


@dataclass(frozen=True)
class LinkClaims:
    """What a link says: for whom, which ticket, what for, until when."""

    recipient_id: str
    ticket_id: int
    purpose: LinkPurpose
    expires_at: datetime


class LinkRejected(Exception):
    """The token was not made by us, or was altered: nothing in it can be trusted."""


class LinkExpired(Exception):
    """A genuine link whose time is up; the claims are kept so the page can offer a sign-in link."""

    def __init__(self, claims: LinkClaims) -> None:
        super().__init__(f"the link expired at {claims.expires_at.isoformat()}")
        self.claims = claims


def sign_link(key: bytes, claims: LinkClaims) -> str:
    """`<payload>.<mac>`, both base64url without padding: short enough for a URL path segment."""
    payload = _b64(_canonical(claims))
    return f"{payload}.{_b64(_mac(key, payload))}"


def read_link(key: bytes, token: str, now: datetime) -> LinkClaims:
    """The claims of a genuine, unexpired token; `LinkRejected` or `LinkExpired` otherwise."""
    payload, _, mac = token.partition(".")
    if not payload or not mac or not hmac.compare_digest(_b64(_mac(key, payload)), mac):
        raise LinkRejected("not a link this server signed")
    claims = _claims(payload)
    if now >= claims.expires_at:
        raise LinkExpired(claims)
    return claims


def link_expiry(now: datetime, lifetime: timedelta = DEFAULT_LIFETIME) -> datetime:
    """Whole seconds, so that what is signed and what is read back are the same instant."""
    return (now + lifetime).replace(microsecond=0)


def _canonical(claims: LinkClaims) -> bytes:
    fields = {
        "r": claims.recipient_id,
        "t": claims.ticket_id,
        "p": claims.purpose.value,
        "e": int(claims.expires_at.timestamp()),
    }
    return json.dumps(fields, separators=(",", ":"), sort_keys=True).encode()


def _claims(payload: str) -> LinkClaims:
    try:
        fields = json.loads(_unb64(payload))
        return LinkClaims(
            recipient_id=str(fields["r"]),
            ticket_id=int(fields["t"]),
            purpose=LinkPurpose(fields["p"]),
            expires_at=datetime.fromtimestamp(int(fields["e"]), UTC),
        )
    except (ValueError, KeyError, TypeError) as exc:  # signed by us but unreadable: a key reused elsewhere
        raise LinkRejected("the link's contents are not ours") from exc


def _mac(key: bytes, payload: str) -> bytes:
    return hmac.new(key, payload.encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
