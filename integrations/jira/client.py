"""Async client for the slice of Jira REST v3 that dev cards need (see anchors/jira_contract.md).

The client does not retry by itself: it classifies failures so the calling Temporal activity can
let its retry policy act. `JiraRetryableError` (429/503/5xx/408/409, timeouts, dropped connections;
`retry_after` from `Retry-After`) may be retried; `JiraRejectedError` (other 4xx) will fail again.

`create_issue` is idempotent although Jira's create endpoint takes no idempotency key (contract §9):
every card carries the label `esc-<escalation id>` and the entity property `escalator`; the client
searches for that marker before creating, and after an ambiguous failure (timeout, dropped
response, 5xx) it searches again instead of re-POSTing.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from integrations.jira.adf import adf_doc, adf_to_text, link_paragraph, text_to_adf
from integrations.jira.settings import JiraSettings

API = "/rest/api/3"
ESCALATION_PROPERTY = "escalator"
ISSUE_FIELDS = ("summary", "status", "labels", "issuetype", "project", "created", "updated")
RETRYABLE_STATUSES = frozenset({408, 409, 425, 429})


class JiraError(Exception):
    """Base class of everything this client raises."""


class JiraRetryableError(JiraError):
    """The call may succeed later; wait `retry_after` seconds if Jira said so."""

    def __init__(self, retry_after: float | None, status: int | None = None, message: str = "") -> None:
        super().__init__(retry_after, status, message)
        self.retry_after = retry_after
        self.status = status
        self.message = message

    def __str__(self) -> str:
        wait = "" if self.retry_after is None else f", retry after {self.retry_after:g}s"
        return f"Jira unavailable ({self.status or 'no response'}{wait}): {self.message}"


class JiraRejectedError(JiraError):
    """Jira refused the request (4xx); repeating it unchanged will fail the same way."""

    def __init__(self, status: int, messages: Sequence[str]) -> None:
        super().__init__(status, list(messages))
        self.status = status
        self.messages = list(messages)

    def __str__(self) -> str:
        return f"Jira rejected the request ({self.status}): {'; '.join(self.messages) or 'no details'}"


class JiraNotFoundError(JiraRejectedError):
    """404: the issue does not exist *or* the caller may not see it (Jira does not say which)."""


class JiraTransitionUnavailableError(JiraRejectedError):
    """No transition from the card's current status leads to the wanted one."""


class BearerAuth(httpx.Auth):
    """`Authorization: Bearer <token>`, the form Jira Data Center expects for a Personal Access Token."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


@dataclass(frozen=True)
class JiraStatus:
    """A status as Jira reports it; `category_key` is one of new / indeterminate / done / undefined."""

    id: str
    name: str
    category_key: str


@dataclass(frozen=True)
class JiraIssue:
    """The parts of an issue Escalator stores and shows; `key` is the one Jira returned (may be moved)."""

    id: str
    key: str
    url: str
    summary: str = ""
    status: JiraStatus | None = None
    labels: list[str] = field(default_factory=list)
    project_key: str | None = None
    issue_type: str | None = None
    created: str | None = None
    updated: str | None = None
    escalation_id: str | None = None


@dataclass(frozen=True)
class JiraTransition:
    """A transition available from the issue's current status; ids differ per workflow."""

    id: str
    name: str
    to: JiraStatus


@dataclass(frozen=True)
class JiraComment:
    """A posted comment, with its body flattened to text."""

    id: str
    created: str | None
    text: str


@dataclass(frozen=True)
class JiraRemoteLink:
    """Result of a remote-link upsert: `created` is False when an existing globalId was updated."""

    id: int
    created: bool


def auth_from_settings(settings: JiraSettings) -> httpx.Auth:
    """Bearer for a PAT (Data Center), else Basic email:api_token (Cloud)."""
    if settings.pat is not None:
        return BearerAuth(settings.pat.get_secret_value())
    assert settings.email is not None and settings.api_token is not None  # guaranteed by JiraSettings
    return httpx.BasicAuth(settings.email, settings.api_token.get_secret_value())


def escalation_label(escalation_id: str) -> str:
    """The unique marker label of an escalation's card; labels may not contain spaces."""
    return "esc-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", escalation_id.strip())


def jql_string(value: str) -> str:
    """A JQL string literal, quoted and escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header, which may be delta-seconds or an HTTP-date."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def error_messages(response: httpx.Response) -> list[str]:
    """Jira's ErrorCollection flattened; tolerates the empty or non-JSON bodies many 401/404s have."""
    try:
        body = response.json()
    except ValueError:
        body = None
    messages: list[str] = []
    if isinstance(body, dict):
        messages.extend(str(message) for message in body.get("errorMessages") or [])
        errors = body.get("errors") or {}
        if isinstance(errors, dict):
            messages.extend(f"{name}: {message}" for name, message in errors.items())
        for key in ("message", "errorMessage"):
            if isinstance(body.get(key), str):
                messages.append(body[key])
    elif response.text.strip():
        messages.append(response.text.strip()[:500])
    denied = response.headers.get("X-Authentication-Denied-Reason")
    if denied:
        messages.append(f"authentication denied: {denied}")
    return messages


def raise_for_jira_status(response: httpx.Response) -> None:
    """Turn a failed response into JiraRetryableError or JiraRejectedError; success passes through."""
    status = response.status_code
    if status < 400:
        return
    messages = error_messages(response)
    if status >= 500 or status in RETRYABLE_STATUSES:
        raise JiraRetryableError(_retry_after(response), status, "; ".join(messages))
    if status == 404:
        raise JiraNotFoundError(status, messages)
    raise JiraRejectedError(status, messages)


def _retry_after(response: httpx.Response) -> float | None:
    seconds = parse_retry_after(response.headers.get("Retry-After"))
    if seconds is not None:
        return seconds
    reset = response.headers.get("X-RateLimit-Reset")
    if not reset:
        return None
    try:
        when = datetime.fromisoformat(reset.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class JiraClient:
    """Dev-card operations against one Jira site. Use as `async with JiraClient(...) as jira:`."""

    def __init__(
        self,
        base_url: str,
        auth: httpx.Auth,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        confirm_attempts: int = 3,
        confirm_delay: float = 1.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._confirm_attempts = confirm_attempts
        self._confirm_delay = confirm_delay
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=auth,
            timeout=timeout,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "escalator-jira-client/0.1"},
        )

    @classmethod
    def from_settings(cls, settings: JiraSettings, **options: Any) -> JiraClient:
        """A client configured from `JIRA_*` settings; `options` go to the constructor (e.g. transport)."""
        options.setdefault("timeout", settings.timeout_seconds)
        return cls(settings.base_url, auth_from_settings(settings), **options)

    async def __aenter__(self) -> JiraClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    # --- issues -------------------------------------------------------------------------------

    async def create_issue(
        self,
        project: str,
        issue_type: str,
        summary: str,
        description_text: str,
        labels: Sequence[str],
        escalation_id: str,
        escalation_url: str,
    ) -> JiraIssue:
        """Create the escalation's dev card once, however often this is retried, and link it back.

        Why the search first: a retry after a lost response must find the card it already made.
        The remote link is an upsert by globalId, so repeating it is harmless.
        """
        marker = escalation_label(escalation_id)
        issue = await self.find_escalation_issue(escalation_id)
        if issue is None:
            body = _create_body(
                project,
                issue_type,
                summary,
                description_text,
                [*labels, marker],
                escalation_id,
                escalation_url,
            )
            issue = await self._create_or_confirm(body, escalation_id)
        await self.add_remote_link(issue.key, escalation_url, f"Escalation {escalation_id}", escalation_url)
        return issue

    async def find_escalation_issue(self, escalation_id: str) -> JiraIssue | None:
        """The card previously created for this escalation, if search already sees it (oldest wins)."""
        jql = f"labels = {jql_string(escalation_label(escalation_id))} ORDER BY created ASC"
        found = await self.search_jql(jql, ISSUE_FIELDS, properties=(ESCALATION_PROPERTY,))
        matching = [issue for issue in found if issue.escalation_id in (None, escalation_id)]
        return matching[0] if matching else None

    async def get_issue(
        self,
        key: str,
        fields: Sequence[str] = ISSUE_FIELDS,
        properties: Sequence[str] = (ESCALATION_PROPERTY,),
    ) -> JiraIssue:
        """Read one issue; also how a card is linked by key (store the returned key, it may differ)."""
        params = {"fields": ",".join(fields)}
        if properties:
            params["properties"] = ",".join(properties)
        bean = await self._call("GET", f"/issue/{_path(key)}", params=params)
        return self._issue(bean)

    async def search_jql(
        self,
        jql: str,
        fields: Sequence[str] = ISSUE_FIELDS,
        *,
        page_size: int = 50,
        limit: int | None = None,
        properties: Sequence[str] = (),
        reconcile_issue_ids: Sequence[int] = (),
    ) -> list[JiraIssue]:
        """All issues matching `jql`, following `nextPageToken` (the only search Jira Cloud still serves).

        Search is eventually consistent; pass `reconcile_issue_ids` for read-after-write on known ids.
        """
        issues: list[JiraIssue] = []
        token: str | None = None
        while limit is None or len(issues) < limit:
            body = _search_body(jql, fields, page_size, token, properties, reconcile_issue_ids)
            page = await self._call("POST", "/search/jql", json=body)
            issues.extend(self._issue(bean) for bean in page.get("issues") or [])
            next_token = page.get("nextPageToken")
            if page.get("isLast", next_token is None) or not next_token or next_token == token:
                break
            token = next_token
        return issues if limit is None else issues[:limit]

    # --- workflow -----------------------------------------------------------------------------

    async def list_transitions(self, key: str) -> list[JiraTransition]:
        """Transitions available now for this issue; ids are per workflow and must not be hard-coded."""
        body = await self._call("GET", f"/issue/{_path(key)}/transitions")
        return [_transition(item) for item in body.get("transitions") or []]

    async def transition(self, key: str, to_status_name: str) -> bool:
        """Move the card to the named status (case-insensitive); False if it is already there.

        Why the re-read: a retried activity must not fail because its first attempt succeeded.
        """
        current = await self.get_issue(key, fields=("status",), properties=())
        if current.status is not None and _same(current.status.name, to_status_name):
            return False
        transitions = await self.list_transitions(key)
        chosen = _pick_transition(transitions, to_status_name)
        if chosen is None:
            raise JiraTransitionUnavailableError(
                400, [_unavailable(key, current, to_status_name, transitions)]
            )
        await self._call("POST", f"/issue/{_path(key)}/transitions", json={"transition": {"id": chosen.id}})
        return True

    # --- comments and links -------------------------------------------------------------------

    async def add_comment(self, key: str, text: str) -> JiraComment:
        """Post a comment; v3 needs an ADF body (a plain string is rejected). Not idempotent."""
        body = await self._call("POST", f"/issue/{_path(key)}/comment", json={"body": text_to_adf(text)})
        return JiraComment(
            id=str(body["id"]), created=body.get("created"), text=adf_to_text(body.get("body"))
        )

    async def add_remote_link(self, key: str, url: str, title: str, global_id: str) -> JiraRemoteLink:
        """Create or update (same `global_id`) a link from the card to `url`; safe to repeat."""
        payload = {
            "globalId": global_id,
            "application": {"type": "escalator", "name": "Escalator"},
            "relationship": "escalation",
            "object": {"url": url, "title": title},
        }
        response = await self._request("POST", f"/issue/{_path(key)}/remotelink", json=payload)
        body = response.json()
        return JiraRemoteLink(id=int(body["id"]), created=response.status_code == 201)

    # --- plumbing -----------------------------------------------------------------------------

    async def _create_or_confirm(self, body: dict[str, Any], escalation_id: str) -> JiraIssue:
        try:
            created = await self._call("POST", "/issue", json=body)
        except JiraRetryableError as error:
            if error.status == 429:  # rate limited: Jira did not execute the request
                raise
            found = await self._confirm_created(escalation_id, error)
            if found is None:
                raise
            return found
        return await self._read_back(created)

    async def _confirm_created(self, escalation_id: str, error: JiraRetryableError) -> JiraIssue | None:
        """After an ambiguous failure, look for the card a few times (search lags behind writes)."""
        for attempt in range(self._confirm_attempts):
            if attempt:
                await asyncio.sleep(self._confirm_delay)
            try:
                found = await self.find_escalation_issue(escalation_id)
            except JiraRetryableError:
                raise error from None
            if found is not None:
                return found
        return None

    async def _read_back(self, created: dict[str, Any]) -> JiraIssue:
        try:
            return await self.get_issue(str(created["key"]))
        except JiraError:  # the card exists; its details can be read later
            return JiraIssue(id=str(created["id"]), key=str(created["key"]), url=self._browse(created["key"]))

    async def _call(
        self, method: str, path: str, *, params: dict[str, str] | None = None, json: Any = None
    ) -> Any:
        response = await self._request(method, path, params=params, json=json)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def _request(
        self, method: str, path: str, *, params: dict[str, str] | None = None, json: Any = None
    ) -> httpx.Response:
        try:
            response = await self._http.request(method, API + path, params=params, json=json)
        except httpx.TimeoutException as error:
            raise JiraRetryableError(None, None, f"{method} {path} timed out") from error
        except httpx.TransportError as error:
            raise JiraRetryableError(
                None, None, f"{method} {path}: {type(error).__name__}: {error}"
            ) from error
        raise_for_jira_status(response)
        return response

    def _issue(self, bean: dict[str, Any]) -> JiraIssue:
        fields = bean.get("fields") or {}
        key = str(bean.get("key", ""))
        return JiraIssue(
            id=str(bean["id"]),
            key=key,
            url=self._browse(key),
            summary=str(fields.get("summary") or ""),
            status=_status(fields["status"]) if isinstance(fields.get("status"), dict) else None,
            labels=[str(label) for label in fields.get("labels") or []],
            project_key=(fields.get("project") or {}).get("key"),
            issue_type=(fields.get("issuetype") or {}).get("name"),
            created=fields.get("created"),
            updated=fields.get("updated"),
            escalation_id=((bean.get("properties") or {}).get(ESCALATION_PROPERTY) or {}).get("escalationId"),
        )

    def _browse(self, key: str) -> str:
        return f"{self.base_url}/browse/{key}"


def _create_body(
    project: str,
    issue_type: str,
    summary: str,
    description_text: str,
    labels: Sequence[str],
    escalation_id: str,
    escalation_url: str,
) -> dict[str, Any]:
    description = text_to_adf(description_text)["content"] + [link_paragraph("Escalation: ", escalation_url)]
    return {
        "fields": {
            "project": {"key": project},
            "issuetype": {"name": issue_type},
            "summary": summary,
            "description": adf_doc(description),
            "labels": list(dict.fromkeys(label.replace(" ", "-") for label in labels)),
        },
        "properties": [
            {
                "key": ESCALATION_PROPERTY,
                "value": {"escalationId": escalation_id, "escalationUrl": escalation_url},
            }
        ],
    }


def _search_body(
    jql: str,
    fields: Sequence[str],
    page_size: int,
    token: str | None,
    properties: Sequence[str],
    reconcile_issue_ids: Sequence[int],
) -> dict[str, Any]:
    body: dict[str, Any] = {"jql": jql, "fields": list(fields), "maxResults": page_size}
    if token:
        body["nextPageToken"] = token
    if properties:
        body["properties"] = list(properties)
    if reconcile_issue_ids:
        body["reconcileIssues"] = list(reconcile_issue_ids)
    return body


def _status(raw: dict[str, Any]) -> JiraStatus:
    category = raw.get("statusCategory") or {}
    return JiraStatus(
        id=str(raw.get("id", "")), name=str(raw.get("name", "")), category_key=category.get("key", "")
    )


def _transition(raw: dict[str, Any]) -> JiraTransition:
    return JiraTransition(id=str(raw["id"]), name=str(raw.get("name", "")), to=_status(raw.get("to") or {}))


def _pick_transition(transitions: Sequence[JiraTransition], wanted: str) -> JiraTransition | None:
    """Prefer the transition whose target status has the wanted name, else one named like it."""
    for candidate in transitions:
        if _same(candidate.to.name, wanted):
            return candidate
    for candidate in transitions:
        if _same(candidate.name, wanted):
            return candidate
    return None


def _unavailable(key: str, current: JiraIssue, wanted: str, transitions: Sequence[JiraTransition]) -> str:
    here = current.status.name if current.status else "?"
    options = ", ".join(f"{t.name} → {t.to.name}" for t in transitions) or "none"
    return f"{key}: no transition from '{here}' to '{wanted}' (available: {options})"


def _same(left: str, right: str) -> bool:
    return left.strip().casefold() == right.strip().casefold()


def _path(key: str) -> str:
    return quote(key.strip(), safe="")
