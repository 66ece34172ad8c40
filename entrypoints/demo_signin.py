"""Sign-in links for the demo users, printed by `make dev` only (the app never shows a link anywhere).

Each link is an ordinary one-time sign-in token (15 minutes, single use); once they are spent or
stale, the sign-in page mails a new one to .data/mail/.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from entrypoints.demo_seed import DEMO_USERS
from store.signin_tokens import issue_signin_token, recipient_for_email
from web.links import sign_in_url
from web.settings import WebSettings


async def demo_signin_links(engine: AsyncEngine, public_base_url: str) -> dict[str, str]:
    """role → a fresh sign-in link for that demo user (users missing from the database are skipped)."""
    ttl = WebSettings().signin_link_ttl
    links: dict[str, str] = {}
    async with engine.begin() as conn:
        for role, _name, email, _org, _locale in DEMO_USERS:
            recipient = await recipient_for_email(conn, email)
            if recipient is not None:
                token = await issue_signin_token(conn, recipient.user_id, datetime.now(UTC), ttl)
                links[role] = sign_in_url(public_base_url, token)
    return links
