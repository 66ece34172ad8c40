"""Addresses of portal pages that are handed out of the app: in e-mails and in `make dev`'s banner."""

from __future__ import annotations

PORTAL = "/portal"
SIGN_IN = f"{PORTAL}/sign-in"
SIGN_IN_CONFIRM = f"{PORTAL}/sign-in/confirm"
STATIC = f"{PORTAL}/static"


def sign_in_url(public_base_url: str, token: str) -> str:
    """The link of a sign-in e-mail; it opens a confirmation page, since a GET never signs anyone in
    (mail scanners follow links, and would otherwise spend the single use)."""
    return f"{public_base_url.rstrip('/')}{SIGN_IN_CONFIRM}?token={token}"


def local_path(candidate: str | None, default: str = PORTAL) -> str:
    """`candidate` if it is a path inside the portal, else `default`: redirects never leave the site."""
    if not candidate or "//" in candidate or "\\" in candidate:
        return default
    inside = candidate == PORTAL or candidate.startswith((f"{PORTAL}/", f"{PORTAL}?"))
    return candidate if inside else default
