"""The demo knowledge base (infra/demo_kb.json) for `make dev`: a few articles in pt, en and es."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from store.kb import upsert_articles

DEMO_KB = Path(__file__).with_name("demo_kb.json")


def demo_articles() -> list[dict[str, Any]]:
    articles: list[dict[str, Any]] = json.loads(DEMO_KB.read_text(encoding="utf-8"))
    return articles


async def load_demo_kb(engine: AsyncEngine) -> int:
    """Idempotent (upsert by url): returns how many articles were created or changed, 0 on a rerun.

    Articles an admin added stay; a demo article edited in the API is reset to the file's text.
    """
    async with engine.begin() as conn:
        counts = await upsert_articles(conn, demo_articles())
    return counts.created + counts.updated
