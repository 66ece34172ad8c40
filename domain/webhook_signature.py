"""HMAC-SHA256 signing of Jira admin webhooks: `X-Hub-Signature: sha256=<hex>` over the raw body.

Jira signs the exact bytes it sends, so verification must run on the body as received, before any
JSON parsing (re-serialising changes the bytes). Standard library only.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Hub-Signature"
_ALGORITHM = "sha256"


def sign(secret: str | bytes, raw_body: bytes) -> str:
    """The header value Jira would send for this body, e.g. for the local imitation and for tests."""
    return f"{_ALGORITHM}={_digest(secret, raw_body)}"


def verify(secret: str | bytes, raw_body: bytes, header: str | None) -> bool:
    """True only if `header` is a valid `sha256=<hex>` signature of `raw_body` under `secret`.

    Why so strict: anything else (missing header, another algorithm, bad hex) is an unsigned request.
    The comparison is constant-time so the signature cannot be guessed byte by byte.
    """
    expected = _digest(secret, raw_body)
    received = _parse(header)
    if received is None:
        return False
    return hmac.compare_digest(expected.encode("ascii"), received.encode("ascii"))


def _parse(header: str | None) -> str | None:
    if not header or "=" not in header:
        return None
    algorithm, _, hex_digest = header.strip().partition("=")
    hex_digest = hex_digest.strip().lower()
    if algorithm.strip().lower() != _ALGORITHM or len(hex_digest) != 64:
        return None
    try:
        bytes.fromhex(hex_digest)
    except ValueError:
        return None
    return hex_digest


def _digest(secret: str | bytes, raw_body: bytes) -> str:
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    if not key:
        raise ValueError("webhook secret must not be empty")
    return hmac.new(key, raw_body, hashlib.sha256).hexdigest()
