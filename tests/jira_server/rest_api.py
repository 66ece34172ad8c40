"""The `/rest/api/3/...` endpoints of the imitation, with Jira's status codes and bodies.

Authentication, contract validation, fault injection and recording happen before these handlers
run (pipeline.py); the authenticated account arrives in `scope["jira.account"]`.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.jira_server.adf_check import ADF_ERROR, adf_problem
from tests.jira_server.errors import JiraHTTPError
from tests.jira_server.model import Account
from tests.jira_server.representation import FieldSelection
from tests.jira_server.site import JiraSite
from tests.jira_server.workflow import CATEGORIES

Handler = Callable[[Request], Awaitable[Response]]
API = "/rest/api/3"
SEARCH_REMOVED = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)


def build_rest_app(site: JiraSite) -> Starlette:
    """A Starlette app with every implemented operation; unknown paths answer 404 like Jira."""
    handlers = _Handlers(site)
    routes = [
        Route(f"{API}/myself", handlers.myself, methods=["GET"]),
        Route(f"{API}/statuscategory", handlers.status_categories, methods=["GET"]),
        Route(f"{API}/issue", handlers.create_issue, methods=["POST"]),
        Route(f"{API}/issue/{{key}}", handlers.get_issue, methods=["GET"]),
        Route(f"{API}/issue/{{key}}", handlers.edit_issue, methods=["PUT"]),
        Route(f"{API}/issue/{{key}}/transitions", handlers.get_transitions, methods=["GET"]),
        Route(f"{API}/issue/{{key}}/transitions", handlers.do_transition, methods=["POST"]),
        Route(f"{API}/issue/{{key}}/comment", handlers.get_comments, methods=["GET"]),
        Route(f"{API}/issue/{{key}}/comment", handlers.add_comment, methods=["POST"]),
        Route(f"{API}/issue/{{key}}/remotelink", handlers.get_remote_links, methods=["GET"]),
        Route(f"{API}/issue/{{key}}/remotelink", handlers.upsert_remote_link, methods=["POST"]),
        Route(f"{API}/issue/{{key}}/properties/{{name}}", handlers.get_property, methods=["GET"]),
        Route(f"{API}/issue/{{key}}/properties/{{name}}", handlers.set_property, methods=["PUT"]),
        Route(f"{API}/issue/{{key}}/changelog", handlers.changelog, methods=["GET"]),
        Route(f"{API}/search/jql", handlers.search_get, methods=["GET"]),
        Route(f"{API}/search/jql", handlers.search_post, methods=["POST"]),
        Route(f"{API}/search", handlers.search_removed, methods=["GET", "POST"]),
        Route(f"{API}/webhook", handlers.dynamic_webhooks, methods=["GET", "POST", "DELETE"]),
        Route(f"{API}/webhook/failed", handlers.dynamic_webhooks, methods=["GET"]),
        Route(f"{API}/webhook/refresh", handlers.dynamic_webhooks, methods=["PUT"]),
    ]
    return Starlette(
        routes=[Route(route.path, _guard(route.endpoint), methods=route.methods) for route in routes],
    )


def _guard(handler: Any) -> Handler:
    """Render JiraHTTPError as Jira's ErrorCollection."""

    async def guarded(request: Request) -> Response:
        try:
            response: Response = await handler(request)
            return response
        except JiraHTTPError as error:
            return JSONResponse(error.body(), error.status, headers=error.headers)

    return guarded


def _account(request: Request) -> Account:
    account: Account = request.scope["jira.account"]
    return account


async def _json(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw or b"null")
    except ValueError as error:
        raise JiraHTTPError(400, [f"Unexpected character in request body: {error}"]) from error


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise JiraHTTPError(400, ["The request body must be a JSON object."])
    return value


def _int(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    return int(raw) if raw not in (None, "") else default


class _Handlers:
    def __init__(self, site: JiraSite) -> None:
        self.site = site
        self.store = site.store
        self._page_tokens: dict[str, tuple[str, int]] = {}

    async def myself(self, request: Request) -> Response:
        return JSONResponse(self.site.renderer().user(_account(request)))

    async def status_categories(self, request: Request) -> Response:
        renderer = self.site.renderer()
        return JSONResponse([renderer.category(category) for category in CATEGORIES])

    async def create_issue(self, request: Request) -> Response:
        payload = _object(await _json(request))
        if set(payload.get("fields") or {}) & set(payload.get("update") or {}):
            raise JiraHTTPError(400, ["A field may not appear in both 'fields' and 'update'."])
        issue = self.store.create_issue(payload, _account(request))
        body = {"id": issue.id, "key": issue.key, "self": f"{self.site.renderer().api}/issue/{issue.id}"}
        return JSONResponse(body, 201)

    async def get_issue(self, request: Request) -> Response:
        params = request.query_params
        with self.store.locked():
            issue = self.store.issue(request.path_params["key"])
            bean = self.site.renderer().issue(
                issue,
                FieldSelection.parse(params.getlist("fields"), "*all"),
                params.getlist("properties"),
                params.getlist("expand"),
            )
        return JSONResponse(bean)

    async def edit_issue(self, request: Request) -> Response:
        self.store.edit_issue(request.path_params["key"], _object(await _json(request)), _account(request))
        return Response(status_code=204)

    async def get_transitions(self, request: Request) -> Response:
        with self.store.locked():
            issue = self.store.issue(request.path_params["key"])
            renderer = self.site.renderer()
            available = issue.project.workflow.available(issue.status.name)
            wanted = request.query_params.get("transitionId")
            shown = [t for t in available if wanted in (None, t.id)]
            body = {"expand": "transitions", "transitions": [renderer.transition(t, issue) for t in shown]}
        return JSONResponse(body)

    async def do_transition(self, request: Request) -> Response:
        payload = _object(await _json(request))
        transition = payload.get("transition") or {}
        if not isinstance(transition, dict) or not transition.get("id"):
            raise JiraHTTPError(400, ["Missing 'transition' identifier"])
        _reject_screen_fields(payload)
        for operation in _comment_updates(payload):
            _check_comment_body((operation.get("add") or {}).get("body"))
        account = _account(request)
        with self.store.locked():
            issue, change = self.store.transition(request.path_params["key"], str(transition["id"]), account)
            comments = [self._comment_from_update(request, op) for op in _comment_updates(payload)]
        self.site.after_api_transition(issue, change, account)
        for comment in comments:
            self.site.after_api_comment(issue, comment)
        return Response(status_code=204)

    def _comment_from_update(self, request: Request, operation: dict[str, Any]) -> Any:
        body = (operation.get("add") or {}).get("body")
        return self.store.add_comment(request.path_params["key"], body, _account(request))

    async def get_comments(self, request: Request) -> Response:
        order = request.query_params.get("orderBy", "created")
        if order.lstrip("+-") != "created":
            raise JiraHTTPError(400, ["orderBy must be 'created', '-created' or '+created'."])
        start, limit = _int(request, "startAt", 0), min(_int(request, "maxResults", 100), 100)
        with self.store.locked():
            issue = self.store.issue(request.path_params["key"])
            page = self.site.renderer().comments_page(issue, start, limit, newest_first=order.startswith("-"))
        return JSONResponse(page)

    async def add_comment(self, request: Request) -> Response:
        payload = _object(await _json(request))
        with self.store.locked():
            comment = self.store.add_comment(
                request.path_params["key"], payload.get("body"), _account(request), payload.get("properties")
            )
            issue = self.store.issue(request.path_params["key"])
            body = self.site.renderer().comment(issue, comment)
        self.site.after_api_comment(issue, comment)
        return JSONResponse(body, 201)

    async def get_remote_links(self, request: Request) -> Response:
        global_id = request.query_params.get("globalId")
        with self.store.locked():
            issue = self.store.issue(request.path_params["key"])
            renderer = self.site.renderer()
            if global_id is None:
                return JSONResponse([renderer.remote_link(issue, link) for link in issue.remote_links])
            link = next((link for link in issue.remote_links if link.global_id == global_id), None)
            if link is None:
                raise JiraHTTPError(404, [f"No remote link with globalId '{global_id}' found."])
            return JSONResponse(renderer.remote_link(issue, link))

    async def upsert_remote_link(self, request: Request) -> Response:
        payload = _object(await _json(request))
        key = request.path_params["key"]
        link, created = self.store.upsert_remote_link(key, payload)
        body = {"id": link.id, "self": f"{self.site.renderer().api}/issue/{key}/remotelink/{link.id}"}
        return JSONResponse(body, 201 if created else 200)

    async def get_property(self, request: Request) -> Response:
        name = request.path_params["name"]
        with self.store.locked():
            issue = self.store.issue(request.path_params["key"])
            if name not in issue.properties:
                raise JiraHTTPError(404, [f"The property with key '{name}' does not exist."])
            return JSONResponse({"key": name, "value": issue.properties[name]})

    async def set_property(self, request: Request) -> Response:
        value = await _json(request)
        created = self.store.set_property(request.path_params["key"], request.path_params["name"], value)
        return Response(status_code=201 if created else 200)

    async def changelog(self, request: Request) -> Response:
        start, limit = _int(request, "startAt", 0), min(_int(request, "maxResults", 100), 100)
        with self.store.locked():
            issue = self.store.issue(request.path_params["key"])
            page = self.site.renderer().changelog_page(issue, start, limit)
        return JSONResponse(page)

    async def search_get(self, request: Request) -> Response:
        params = request.query_params
        query = {
            "jql": params.get("jql", ""),
            "nextPageToken": params.get("nextPageToken"),
            "maxResults": _int(request, "maxResults", 50),
            "fields": params.getlist("fields"),
            "properties": params.getlist("properties"),
            "expand": params.get("expand", ""),
            "reconcileIssues": [v for raw in params.getlist("reconcileIssues") for v in raw.split(",") if v],
        }
        return self._search(query)

    async def search_post(self, request: Request) -> Response:
        return self._search(_object(await _json(request)))

    def _search(self, query: dict[str, Any]) -> Response:
        """Token-paginated search: no `total`, `nextPageToken` absent on the last page (contract §2.7)."""
        jql_text = str(query.get("jql") or "")
        start = self._page_start(query.get("nextPageToken"), jql_text)
        selection = FieldSelection.parse(query.get("fields") or [], "id")
        properties = query.get("properties") or []
        if len(properties) > 5:
            raise JiraHTTPError(400, ["A maximum of 5 issue properties can be requested."])
        cap = 5000 if not selection.names else 100
        limit = max(1, min(int(query.get("maxResults") or 50), cap))
        reconcile = {str(value) for value in query.get("reconcileIssues") or []}
        with self.store.locked():
            found = self.store.search(jql_text, reconcile)
            page = found[start : start + limit]
            renderer = self.site.renderer()
            issues = [self._search_item(renderer, issue, selection, properties) for issue in page]
        body: dict[str, Any] = {"issues": issues, "isLast": start + limit >= len(found)}
        if not body["isLast"]:
            body["nextPageToken"] = self._new_token(jql_text, start + limit)
        return JSONResponse(body)

    def _search_item(self, renderer: Any, issue: Any, selection: FieldSelection, properties: Any) -> Any:
        if not selection.names and not properties:
            return {"id": issue.id}
        return renderer.issue(issue, selection, properties)

    def _page_start(self, token: Any, jql_text: str) -> int:
        if not token:
            return 0
        known = self._page_tokens.get(str(token))
        if known is None or known[0] != jql_text:
            raise JiraHTTPError(400, ["The provided next page token is invalid or expired."])
        return known[1]

    def _new_token(self, jql_text: str, start: int) -> str:
        token = secrets.token_urlsafe(24)
        self._page_tokens[token] = (jql_text, start)
        return token

    async def search_removed(self, request: Request) -> Response:
        return JSONResponse({"errorMessages": [SEARCH_REMOVED], "errors": {}}, 410)

    async def dynamic_webhooks(self, request: Request) -> Response:
        message = "Only Connect and OAuth 2.0 apps can manage dynamic webhooks; use an admin webhook."
        return JSONResponse({"errorMessages": [message], "errors": {}}, 403)


def _comment_updates(payload: dict[str, Any]) -> list[dict[str, Any]]:
    operations = (payload.get("update") or {}).get("comment") or []
    return [operation for operation in operations if isinstance(operation, dict) and "add" in operation]


def _reject_screen_fields(payload: dict[str, Any]) -> None:
    """Our workflows have no transition screens, so any field sent with a transition is refused."""
    for name in payload.get("fields") or {}:
        message = f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
        raise JiraHTTPError(400, [], {name: message})


def _check_comment_body(body: Any) -> None:
    problem = adf_problem(body)
    if problem is not None:
        raise JiraHTTPError(400, [], {"comment": f"{ADF_ERROR} ({problem})"})
