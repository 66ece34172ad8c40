"""`/_test/...`: the same steering as the Python API, over HTTP, for tests in another process.

| method + path                         | body / effect                                                      |
|---------------------------------------|--------------------------------------------------------------------|
| GET    /_test/health                  | {"ok": true, "base_url": ...}                                      |
| POST   /_test/reset                   | fresh seed data, no faults/records/violations/deliveries           |
| GET    /_test/requests                | recorded Jira API requests (Authorization header omitted)          |
| DELETE /_test/requests                | forget them                                                        |
| GET    /_test/violations              | {"request": [...], "response": [...]}                              |
| POST   /_test/faults                  | {"kind": rate_limit|unavailable|error|delay|lose_response,         |
|                                       |  "count", "method", "path" (regex), "retry_after",                 |
|                                       |  "retry_after_http_date", "status", "delay"}                       |
| GET    /_test/faults, DELETE          | pending faults / clear them                                        |
| PUT    /_test/config                  | {"webhook_url", "webhook_secret", "webhook_max_retries",           |
|                                       |  "webhook_retry_delay", "webhook_events", "emit_for_api_changes",  |
|                                       |  "search_lag"}                                                     |
| GET    /_test/issues/{key}            | the issue as GET /rest/api/3/issue/{key} returns it                |
| POST   /_test/issues/{key}/move       | {"to", "delivery": normal|lost|duplicate|late, "delay",            |
|                                       |  "account_id", "adf_bodies", "dc_style"} → the webhook sent        |
| POST   /_test/issues/{key}/comments   | {"text", "delivery", "delay", "account_id", "adf_bodies"}          |
| GET    /_test/webhooks                | webhooks sent (payload, headers, attempts)                         |
| POST   /_test/webhook-sink            | a receiver that records what it gets                               |
| GET    /_test/webhook-sink            | what it got; PUT /_test/webhook-sink/statuses {"statuses": [...]}  |
"""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.jira_server.auth import DEVELOPER
from tests.jira_server.errors import JiraHTTPError
from tests.jira_server.model import Account
from tests.jira_server.site import JiraSite
from tests.jira_server.webhooks import WebhookDispatch

_CONFIG_NAMES = {
    "webhook_url": "url",
    "webhook_secret": "secret",
    "webhook_max_retries": "max_retries",
    "webhook_retry_delay": "retry_delay",
    "webhook_events": "events",
    "emit_for_api_changes": "emit_for_api_changes",
}


def build_admin_app(site: JiraSite) -> Starlette:
    """Routes for steering `site` over HTTP; errors come back as {"error": ...} with status 400/404."""
    admin = _Admin(site)
    routes = [
        Route("/_test/health", admin.health, methods=["GET"]),
        Route("/_test/reset", admin.reset, methods=["POST"]),
        Route("/_test/requests", admin.requests, methods=["GET", "DELETE"]),
        Route("/_test/violations", admin.violations, methods=["GET"]),
        Route("/_test/faults", admin.faults, methods=["GET", "POST", "DELETE"]),
        Route("/_test/config", admin.config, methods=["GET", "PUT"]),
        Route("/_test/issues/{key}", admin.issue, methods=["GET"]),
        Route("/_test/issues/{key}/move", admin.move, methods=["POST"]),
        Route("/_test/issues/{key}/comments", admin.comment, methods=["POST"]),
        Route("/_test/webhooks", admin.webhooks, methods=["GET"]),
        Route("/_test/webhook-sink", admin.sink, methods=["GET", "POST", "DELETE"]),
        Route("/_test/webhook-sink/statuses", admin.sink_statuses, methods=["PUT"]),
    ]
    return Starlette(routes=routes, exception_handlers={JiraHTTPError: _error, ValueError: _error})


async def _error(request: Request, error: Exception) -> Response:
    if isinstance(error, JiraHTTPError):
        return JSONResponse({"error": error.body()}, error.status)
    return JSONResponse({"error": str(error)}, 400)


class _Admin:
    def __init__(self, site: JiraSite) -> None:
        self.site = site

    async def health(self, request: Request) -> Response:
        return JSONResponse({"ok": True, "base_url": self.site.base_url})

    async def reset(self, request: Request) -> Response:
        self.site.reset()
        return Response(status_code=204)

    async def requests(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.site.log.clear()
            return Response(status_code=204)
        return JSONResponse([item.summary() for item in self.site.requests])

    async def violations(self, request: Request) -> Response:
        return JSONResponse(
            {
                "request": [str(v) for v in self.site.contract_violations],
                "response": [str(v) for v in self.site.response_violations],
            }
        )

    async def faults(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.site.faults.clear()
            return Response(status_code=204)
        if request.method == "POST":
            spec = await request.json()
            fault = self.site.inject(spec.pop("kind"), spec.pop("count", 1), **spec)
            return JSONResponse(_fault(fault), 201)
        return JSONResponse([_fault(fault) for fault in self.site.faults.pending()])

    async def config(self, request: Request) -> Response:
        if request.method == "PUT":
            changes: dict[str, Any] = await request.json()
            if "search_lag" in changes:
                self.site.search_lag = float(changes.pop("search_lag"))
            unknown = set(changes) - set(_CONFIG_NAMES)
            if unknown:
                raise ValueError(f"unknown settings: {sorted(unknown)}")
            self.site.configure_webhooks(**{_CONFIG_NAMES[name]: value for name, value in changes.items()})
        config = dataclasses.asdict(self.site.webhooks.config)
        config["events"] = sorted(config["events"])
        config["secret"] = "***" if config["secret"] else None
        return JSONResponse({**config, "search_lag": self.site.search_lag})

    async def issue(self, request: Request) -> Response:
        return JSONResponse(self.site.issue_json(request.path_params["key"]))

    async def move(self, request: Request) -> Response:
        spec: dict[str, Any] = await request.json()
        dispatch = self.site.move_card(
            request.path_params["key"],
            spec["to"],
            delivery=spec.get("delivery", "normal"),
            delay=float(spec.get("delay", 0.0)),
            user=self._user(spec.get("account_id")),
            adf_bodies=bool(spec.get("adf_bodies", False)),
            dc_style=bool(spec.get("dc_style", False)),
        )
        return JSONResponse(_dispatch(dispatch), 201)

    async def comment(self, request: Request) -> Response:
        spec: dict[str, Any] = await request.json()
        dispatch = self.site.add_user_comment(
            request.path_params["key"],
            spec["text"],
            delivery=spec.get("delivery", "normal"),
            delay=float(spec.get("delay", 0.0)),
            user=self._user(spec.get("account_id")),
            adf_bodies=bool(spec.get("adf_bodies", False)),
        )
        return JSONResponse(_dispatch(dispatch), 201)

    async def webhooks(self, request: Request) -> Response:
        return JSONResponse([dispatch.summary() for dispatch in self.site.webhook_deliveries])

    async def sink(self, request: Request) -> Response:
        if request.method == "POST":
            status = self.site.sink.receive(dict(request.headers), await request.body())
            return Response(status_code=status)
        if request.method == "DELETE":
            self.site.sink.clear()
            return Response(status_code=204)
        received = [{"headers": h, "body": b.decode("utf-8", "replace")} for h, b in self.site.sink.received]
        return JSONResponse(received)

    async def sink_statuses(self, request: Request) -> Response:
        self.site.sink.answer_with([int(status) for status in (await request.json())["statuses"]])
        return Response(status_code=204)

    def _user(self, account_id: str | None) -> Account:
        if account_id is None:
            return DEVELOPER
        account = self.site.credentials.account(account_id)
        if account is None:
            raise ValueError(f"unknown account {account_id!r}")
        return account


def _fault(fault: Any) -> dict[str, Any]:
    names = ("remaining", "method", "path", "retry_after", "status", "delay")
    return {"kind": fault.kind.value, **{name: getattr(fault, name) for name in names}}


def _dispatch(dispatch: WebhookDispatch) -> dict[str, Any]:
    summary = dispatch.summary()
    summary["body"] = dispatch.body.decode()
    return summary
