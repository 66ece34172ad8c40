"""The ASGI front of the imitation: record → validate against the spec → authenticate → inject faults
→ handle → self-check the response → send (or drop) it.

Requests under `/_test/` are the test-control API and skip all of this.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.jira_server.contract import check_request, check_response
from tests.jira_server.faults import Fault, FaultKind
from tests.jira_server.recorder import RecordedRequest
from tests.jira_server.site import JiraSite

ADMIN_PREFIX = "/_test"
UNAUTHORIZED = {
    "errorMessages": ["You are not authenticated. Authentication required to perform this operation."],
    "errors": {},
}


class _QuietDroppedResponses(logging.Filter):
    """Uvicorn logs an error when a response is cut short; here that is the point of the fault."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "returned without completing response" not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(_QuietDroppedResponses())


class JiraPipeline:
    def __init__(self, site: JiraSite, rest_app: ASGIApp, admin_app: ASGIApp) -> None:
        self.site = site
        self.rest_app = rest_app
        self.admin_app = admin_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.rest_app(scope, receive, send)
            return
        if scope["path"].startswith(ADMIN_PREFIX):
            await self.admin_app(scope, receive, send)
            return
        await self._jira_request(scope, await _read_body(receive), send)

    async def _jira_request(self, scope: Scope, body: bytes, send: Send) -> None:
        record = self.site.log.add(_record(scope, body))
        violation = check_request(record.method, record.path, record.query, record.headers, body)
        if violation is not None:
            record.violations = list(violation.errors)
            self.site.record_violation(violation)
        account = self.site.credentials.authenticate(record.headers.get("authorization"))
        if account is None:
            await _send(send, record, 401, {"content-type": "application/json"}, _dumps(UNAUTHORIZED))
            return
        record.account_id = account.account_id
        # unknown paths fall through to routing, which answers 404/405/410 as Jira does
        if violation is not None and not violation.not_found:
            await _send_violation(send, record, violation.errors)
            return
        fault = self.site.faults.take(record.method, record.path) if violation is None else None
        if fault is not None:
            record.fault = fault.kind.value
            if await self._fail_before_handling(fault, record, send):
                return
        status, headers, out = await _capture(self.rest_app, {**scope, "jira.account": account}, body)
        self._self_check(record, status, headers, out)
        if fault is not None and fault.kind is FaultKind.LOSE_RESPONSE:
            if fault.status:  # e.g. a gateway timing out after Jira did the work
                await _send_fault(send, record, fault)
            else:
                await _send_truncated(send, record, status, headers, out)
            return
        await _send(send, record, status, headers, out)

    async def _fail_before_handling(self, fault: Fault, record: RecordedRequest, send: Send) -> bool:
        if fault.kind is FaultKind.DELAY:
            await asyncio.sleep(fault.delay)
            return False
        if fault.kind is FaultKind.LOSE_RESPONSE:
            return False
        await _send_fault(send, record, fault)
        return True

    def _self_check(self, record: RecordedRequest, status: int, headers: dict[str, str], out: bytes) -> None:
        if not 200 <= status < 300 or record.path.endswith("/search"):
            return
        problem = check_response(
            record.method, record.path, record.query, record.headers, status, headers, out
        )
        if problem is not None:
            self.site.record_violation(problem)


def _record(scope: Scope, body: bytes) -> RecordedRequest:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    return RecordedRequest(scope["method"], scope["path"], query, headers, body)


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def _capture(app: ASGIApp, scope: Scope, body: bytes) -> tuple[int, dict[str, str], bytes]:
    """Run the inner app with the already-read body and collect its response."""
    sent = False
    status = 500
    headers: dict[str, str] = {}
    chunks: list[bytes] = []

    async def receive() -> Message:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            headers.update({k.decode().lower(): v.decode() for k, v in message.get("headers", [])})
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, headers, b"".join(chunks)


async def _send(
    send: Send, record: RecordedRequest, status: int, headers: dict[str, str], body: bytes
) -> None:
    record.status = status
    headers = {**headers, "content-length": str(len(body))}
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def _send_fault(send: Send, record: RecordedRequest, fault: Fault) -> None:
    status = fault.response_status()
    extra = {name.lower(): value for name, value in fault.response_headers().items()}
    headers = {"content-type": "application/json", **extra}
    message = "Rate limit exceeded." if status == 429 else "Service temporarily unavailable."
    await _send(send, record, status, headers, _dumps({"errorMessages": [message], "errors": {}}))


async def _send_truncated(
    send: Send, record: RecordedRequest, status: int, headers: dict[str, str], body: bytes
) -> None:
    """Promise the full body, send half, stop: uvicorn closes the connection mid-response."""
    record.status = status
    headers = {**headers, "content-length": str(max(len(body), 2))}
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})


async def _send_violation(send: Send, record: RecordedRequest, errors: tuple[str, ...]) -> None:
    body = {"errorMessages": ["Request does not match the Jira REST API contract.", *errors], "errors": {}}
    await _send(send, record, 400, {"content-type": "application/json"}, _dumps(body))


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode()
