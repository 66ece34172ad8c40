"""Stable, readable operationIds: `<tag>_<route name>`, e.g. `tickets_list`, `escalations_move_stage`.

Why: FastAPI's default (`list_all_v1_tickets_get`) changes whenever a function or a path is renamed
and reads badly in generated clients. The tag names the entity, the route's `name` the action; a
test (tests/api/test_api_style.py) checks every id is unique and snake case, so a new route either
gets a good name or fails there.
"""

from __future__ import annotations

import re

from fastapi.routing import APIRoute


def _snake(text: str) -> str:
    return re.sub(r"[^a-z]+", "_", text.lower()).strip("_")


def operation_id(route: APIRoute) -> str:
    """The first tag (the entity) and the route's name (the action), in snake case."""
    tag = str(route.tags[0]) if route.tags else "api"
    return f"{_snake(tag)}_{_snake(route.name)}"
