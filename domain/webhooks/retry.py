"""When a failed delivery is tried again, and when an endpoint that keeps failing is switched off.

Pure functions of the attempt count and instants, so the deliverer's behaviour over a day of
failures can be tested by passing a clock rather than waiting a day.
"""

from __future__ import annotations

from datetime import datetime, timedelta

FIRST_DELAY = timedelta(seconds=10)
MAX_DELAY = timedelta(hours=1)
DISABLE_AFTER = timedelta(days=1)


def next_attempt(attempts: int, now: datetime) -> datetime:
    """Exponential backoff: 10 s, 20 s, 40 s … capped at an hour (`attempts` counts failures so far)."""
    exponent = min(max(attempts - 1, 0), 20)
    return now + min(MAX_DELAY, FIRST_DELAY * (2**exponent))


def should_disable(failing_since: datetime | None, now: datetime) -> bool:
    """An endpoint without a single success for a day is disabled (and says so in its status)."""
    return failing_since is not None and now - failing_since >= DISABLE_AFTER
