"""Reading every page of a list the API answers as `{items, next_cursor}`."""

from __future__ import annotations

from typing import Any

import httpx


async def all_items(
    http: httpx.AsyncClient, path: str, headers: dict[str, str], params: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Follows `next_cursor` to the end: the session's database holds other tests' rows too."""
    items: list[dict[str, Any]] = []
    query: dict[str, Any] = {**(params or {}), "limit": 100}
    while True:
        response = await http.get(path, params=query, headers=headers)
        response.raise_for_status()
        page = response.json()
        items += page["items"]
        if not page["next_cursor"]:
            return items
        query["cursor"] = page["next_cursor"]
