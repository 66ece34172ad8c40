"""Signing outgoing webhooks: `Escalator-Signature: t=<unix seconds>,v1=<hex>`.

The HMAC-SHA256 covers `"<t>." + body`, as Stripe's scheme does: the timestamp is signed too, so a
receiver can refuse old deliveries (replays) by checking `t` against its own clock within a tolerance.
`v1` names the scheme so that a second one can be added beside it during a key or algorithm change.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "Escalator-Signature"
EVENT_ID_HEADER = "Escalator-Event-Id"
EVENT_TYPE_HEADER = "Escalator-Event-Type"
DEFAULT_TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value for this body at this time."""
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def verify(
    secret: str, body: bytes, header: str | None, now: int, tolerance: int = DEFAULT_TOLERANCE_SECONDS
) -> bool:
    """What a receiver does: a valid v1 signature of this exact body, made within `tolerance` of `now`."""
    parsed = _parse(header)
    if parsed is None:
        return False
    timestamp, signatures = parsed
    if abs(now - timestamp) > tolerance:
        return False
    expected = _digest(secret, timestamp, body).encode()
    return any(hmac.compare_digest(expected, s.encode()) for s in signatures)


def _parse(header: str | None) -> tuple[int, list[str]] | None:
    if not header:
        return None
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value.lower())
    return (timestamp, signatures) if timestamp is not None and signatures else None


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    if not secret:
        raise ValueError("webhook secret must not be empty")
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
