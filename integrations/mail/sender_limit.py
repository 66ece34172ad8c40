"""At most N mails per sender per window: the brake on loops and floods that no header reveals.

Another help desk that strips `Auto-Submitted`, or a script gone wrong, can write to us as fast as
we answer. Over the limit a mail is still accepted (refusing it would bounce, and bounces feed the
loop) but flagged, so the callback suspends it instead of acting. Counted per lower-cased sender, in
memory: a restart forgets, which only lets a loop run one more limit's worth.

The From address can be forged, so a flood in a victim's name also flags the victim's own mail for
the hour; flagged mail waits for an agent rather than being lost.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable


class SenderLimit:
    """A sliding window per sender; remembers at most `max_senders` (the least recent are forgotten)."""

    def __init__(
        self,
        limit: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        max_senders: int = 10_000,
    ) -> None:
        self._limit = limit
        self._window = window_seconds
        self._clock = clock
        self._max_senders = max_senders
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def record(self, sender: str) -> bool:
        """Count one mail from `sender`; True when it is over the limit (this one included)."""
        now = self._clock()
        key = sender.strip().lower()
        times = self._seen.pop(key, None) or deque()
        while times and times[0] <= now - self._window:
            times.popleft()
        times.append(now)
        if len(times) > self._limit + 1:
            times.popleft()  # a flood keeps only what tells it is over the limit
        self._seen[key] = times
        while len(self._seen) > self._max_senders:
            self._seen.popitem(last=False)
        return len(times) > self._limit
