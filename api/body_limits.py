"""A global cap on request bodies, answered with 413 problem+json before the body is buffered.

Why a middleware: FastAPI reads a JSON body whole before any handler runs, so without a cap a client
could make the API hold an arbitrary amount of memory per request. A declared `Content-Length` over
the cap is refused without reading a byte; a chunked body is counted as it arrives and refused at the
first chunk that passes the cap. Attachment uploads keep their own, lower limit (600 KB) inside.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import Problem, problem_response

DEFAULT_MAX_BYTES = 1_000_000


class BodyTooLarge(Exception):
    """Raised from `receive` once the body passes the cap, to stop whoever is reading it."""


def too_large(max_bytes: int) -> Problem:
    return Problem(
        413,
        f"the request body is larger than {max_bytes} bytes",
        type_="/problems/too-large",
        max_bytes=max_bytes,
    )


def declared_length(scope: Scope) -> int | None:
    """The `Content-Length` the client announced, if it is a number."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


class _Guard:
    """One request's view of the body: counts what arrives and swaps the answer for a 413 once it is over."""

    def __init__(self, scope: Scope, receive: Receive, send: Send, max_bytes: int) -> None:
        self.scope, self._receive, self._send = scope, receive, send
        self.max_bytes = max_bytes
        self.seen = 0
        self.exceeded = False
        self.started = False
        self.replaced = False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.max_bytes:
                self.exceeded = True
                raise BodyTooLarge
        return message

    async def send(self, message: Message) -> None:
        """Whatever the app made of the interrupted read (FastAPI turns it into a 400), answer 413."""
        if self.replaced:
            return
        if self.exceeded and message["type"] == "http.response.start" and not self.started:
            await self.answer_too_large()
            return
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)

    async def answer_too_large(self) -> None:
        self.replaced = self.started = True
        response = problem_response(too_large(self.max_bytes), self.scope.get("path"))
        await response(self.scope, self._receive, self._send)


class BodyLimit:
    """Pure ASGI, so it sees the body as it streams rather than after Starlette buffered it."""

    def __init__(
        self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BYTES, by_prefix: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.by_prefix = dict(by_prefix or {})

    def cap_for(self, path: str) -> int:
        """The cap of the longest matching path prefix (the portal's forms carry up to 5 files)."""
        matching = [prefix for prefix in self.by_prefix if path.startswith(prefix)]
        return self.by_prefix[max(matching, key=len)] if matching else self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        guard = _Guard(scope, receive, send, self.cap_for(scope.get("path", "")))
        declared = declared_length(scope)
        if declared is not None and declared > guard.max_bytes:
            await guard.answer_too_large()
            return
        try:
            await self.app(scope, guard.receive, guard.send)
        except BodyTooLarge:
            if guard.started:
                raise
            await guard.answer_too_large()


def install_body_limits(
    app: FastAPI, max_bytes: int = DEFAULT_MAX_BYTES, by_prefix: Mapping[str, int] | None = None
) -> None:
    """Above the attachment upload's own limit, so uploads keep their more specific answer;
    `by_prefix` gives other paths (the portal's forms with files) their own cap."""
    app.add_middleware(BodyLimit, max_bytes=max_bytes, by_prefix=by_prefix)
