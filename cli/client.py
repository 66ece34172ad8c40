"""A small httpx wrapper for the Escalator API: where to connect, with which key, and typed failures.

Precedence for the connection: `--url` / `--key`, then `ESCALATOR_URL` / `ESCALATOR_API_KEY`, then (key
only) the "agent" key `make dev` writes to `.data/demo-keys.json`, so a developer needs no setup.
Failures come out as two exceptions the commands map to exit codes: `ApiProblem` (the API answered
with an error, 1) and `ApiUnreachable` (no answer at all, 2).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

DEFAULT_URL = "http://localhost:8000"
DEMO_KEYS = Path(".data/demo-keys.json")
DEMO_ROLE = "agent"
TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Connection:
    """Where the API is and which key to present (None: the API will answer 401)."""

    url: str
    key: str | None


def demo_key(path: Path = DEMO_KEYS, role: str = DEMO_ROLE) -> str | None:
    """The demo key `make dev` wrote for `role`, if that file is here and readable."""
    try:
        keys = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    value = keys.get(role) if isinstance(keys, dict) else None
    return value if isinstance(value, str) and value else None


def base_url(url: str) -> str:
    """Accept the URL with or without `/v1` (as the README prints it); commands add `/v1/...`."""
    url = url.rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url


def resolve_connection(url: str | None = None, key: str | None = None) -> Connection:
    """Options win over the environment, which wins over the demo keys file."""
    chosen_url = url or os.environ.get("ESCALATOR_URL") or DEFAULT_URL
    chosen_key = key or os.environ.get("ESCALATOR_API_KEY") or demo_key()
    return Connection(url=base_url(chosen_url), key=chosen_key)


def build_http(connection: Connection, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """The httpx client every command uses; `transport` lets tests route requests to an in-process app."""
    headers = {"Accept": "application/json, application/problem+json", "User-Agent": "escalator-cli"}
    if connection.key:
        headers["Authorization"] = f"Bearer {connection.key}"
    return httpx.Client(
        base_url=connection.url, headers=headers, timeout=TIMEOUT_SECONDS, transport=transport
    )


# Replaced by tests (and usable by embedders) to hand commands a differently wired httpx client.
client_factory: Callable[[Connection], httpx.Client] = build_http


@dataclass(eq=False)
class ApiProblem(Exception):
    """The API answered with an error; `problem` is its RFC 9457 body (or one made from the response)."""

    status: int
    problem: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.problem.get('title', '')}: {self.problem.get('detail', '')}"

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiProblem:
        """Problem+json as is; anything else (a proxy's HTML page, say) becomes a minimal problem."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            body = {"title": response.reason_phrase, "detail": response.text[:500].strip()}
        body.setdefault("status", response.status_code)
        body.setdefault("title", response.reason_phrase)
        return cls(status=response.status_code, problem=body)


@dataclass(eq=False)
class ApiUnreachable(Exception):
    """No HTTP answer: refused, DNS, TLS or timeout; retrying later may help, the request did not."""

    url: str
    reason: str

    def __str__(self) -> str:
        return f"cannot reach the Escalator API at {self.url}: {self.reason}"


class ApiClient:
    """Requests to `/v1` returning parsed JSON; errors raise `ApiProblem` / `ApiUnreachable`."""

    def __init__(self, http: httpx.Client) -> None:
        self._http = http

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *_: object) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        """One call; `body` is sent as JSON when given. Returns None for an empty (204) answer."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = self._http.request(method, path, params=query, json=body)
        except httpx.TransportError as exc:
            raise ApiUnreachable(str(self._http.base_url), str(exc) or type(exc).__name__) from exc
        if response.status_code >= 400:
            raise ApiProblem.from_response(response)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()


def open_client(connection: Connection) -> ApiClient:
    """An `ApiClient` over whatever `client_factory` builds (looked up at call time, for tests)."""
    return ApiClient(client_factory(connection))
