"""Fault injection: the next N matching requests get a 429/503/5xx, a delay, or a lost response.

`lose_response` performs the request and then drops the connection mid-response (or, with `status`,
answers e.g. 504 instead): the client cannot know the issue was created (contract §9's duplicate risk).
`delay` sleeps before handling, so the action still happens after the client has given up.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from enum import StrEnum


class FaultKind(StrEnum):
    RATE_LIMIT = "rate_limit"  # 429 + Retry-After, X-RateLimit-Reset, RateLimit-Reason; not executed
    UNAVAILABLE = "unavailable"  # 503 (+ Retry-After if given); not executed
    ERROR = "error"  # any status, default 500; not executed
    DELAY = "delay"  # sleep `delay` seconds, then handle normally
    LOSE_RESPONSE = (
        "lose_response"  # handle, then drop the connection mid-body (or answer `status`, e.g. 504)
    )


@dataclass
class Fault:
    kind: FaultKind
    remaining: int = 1
    method: str | None = None
    path: str | None = None  # regular expression, full match against the URL path
    retry_after: float | None = None
    retry_after_http_date: bool = False
    status: int | None = None
    delay: float = 0.0
    hits: int = 0
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.kind = FaultKind(self.kind)
        self._pattern = re.compile(self.path) if self.path else None

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        return self._pattern is None or self._pattern.fullmatch(path) is not None

    def response_status(self) -> int:
        if self.kind is FaultKind.RATE_LIMIT:
            return 429
        if self.kind is FaultKind.UNAVAILABLE:
            return 503
        return self.status or 500

    def response_headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.retry_after is not None:
            headers["Retry-After"] = self._retry_after_value()
        if self.kind is FaultKind.RATE_LIMIT:
            reset = datetime.now(UTC) + timedelta(seconds=self.retry_after or 0)
            headers["X-RateLimit-Reset"] = reset.strftime("%Y-%m-%dT%H:%MZ")
            headers["RateLimit-Reason"] = "jira-burst-based"
        return headers

    def _retry_after_value(self) -> str:
        assert self.retry_after is not None
        if self.retry_after_http_date:
            return format_datetime(datetime.now(UTC) + timedelta(seconds=self.retry_after), usegmt=True)
        return f"{self.retry_after:g}"


class FaultPlan:
    """An ordered list of pending faults; the first matching one with hits left is used."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.remaining > 0 and fault.matches(method, path):
                    fault.remaining -= 1
                    fault.hits += 1
                    return fault
            return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return [fault for fault in self._faults if fault.remaining > 0]
