"""Text PostgreSQL can store: no U+0000, which neither `text` nor `jsonb` accepts.

The API refuses NUL in request bodies (api/strict_body.py), but text also arrives from JIRA
webhooks, inbound e-mail and older workflow histories. A projection that fails on one character
would retry forever and freeze its ticket's timeline, so what is written is made storable here.
"""

from __future__ import annotations

from typing import Any

NUL = "\x00"
REPLACEMENT = "\ufffd"  # what Unicode prescribes for a character that cannot be represented


def storable(value: Any) -> Any:
    """The value with every NUL in its strings (and dict keys) replaced by U+FFFD."""
    if isinstance(value, str):
        return value.replace(NUL, REPLACEMENT) if NUL in value else value
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [storable(item) for item in value]
    return value
