"""Every request the imitation received, for tests to inspect: method, path, query, headers, body, outcome."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    account_id: str | None = None
    status: int | None = None
    fault: str | None = None
    violations: list[str] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def summary(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": {k: v for k, v in self.headers.items() if k != "authorization"},
            "body": self.body.decode("utf-8", "replace"),
            "account_id": self.account_id,
            "status": self.status,
            "fault": self.fault,
            "violations": self.violations,
        }


class RequestLog:
    """Thread-safe append-only log."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[RecordedRequest] = []

    def add(self, item: RecordedRequest) -> RecordedRequest:
        with self._lock:
            self._items.append(item)
        return item

    def snapshot(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
