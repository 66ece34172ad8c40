"""`GET /metrics` (Prometheus text format) and the middleware that counts and times API requests.

Requests are labelled by route template (`/v1/tickets/{ticket_id}`), never by raw path, so the number
of series stays bounded however many tickets there are; requests no route matched share `unmatched`.
"""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from typing import Any

from fastapi import FastAPI, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra.metrics import exposition, observe_http_request

UNMATCHED = "unmatched"


def route_template(scope: MutableMapping[str, Any]) -> str:
    """The matched route's path template; the router records the route in the (shared) scope."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else UNMATCHED


class RequestMetrics:
    """Pure ASGI (no extra task per request): counts every response, 500 when the app raised."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            elapsed = time.perf_counter() - started
            observe_http_request(scope["method"], route_template(scope), status, elapsed)


async def metrics() -> Response:
    body, content_type = exposition()
    return Response(content=body, media_type=content_type)


def install_metrics(app: FastAPI) -> None:
    """Count requests and serve the process's registry at /metrics (kept out of the OpenAPI document)."""
    app.add_middleware(RequestMetrics)
    app.add_api_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
