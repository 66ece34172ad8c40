"""Knowledge-base suggestions for a subject being typed (seeds 001, 003, 004), for any signed-in caller.

The API's `GET /v1/kb/suggestions` and the portal's new-ticket form ask the same store query, so a
customer sees the same articles wherever they type.
"""

from __future__ import annotations

from typing import Any

from services.context import Context
from store import kb

MIN_QUERY = 2


async def suggest(
    context: Context, q: str, product: str | None = None, lang: str | None = None, limit: int = 3
) -> list[dict[str, Any]]:
    """Best first: title, url, snippet (already HTML-escaped with <mark>), language, product, score."""
    if len(q.strip()) < MIN_QUERY:
        return []
    async with context.engine.connect() as conn:
        return await kb.suggest(conn, q.strip(), product=product or None, lang=lang, limit=limit)
