"""Outgoing webhooks administration (admins only): register endpoints, see their status, switch them.

The secret is answered once, at registration (and to a retry with the same Idempotency-Key); the
list shows each endpoint's status, failure streak and last error. Every change is in the audit log.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from api.auth import CurrentUser, require_roles
from api.deps import EngineDep
from api.headers import IdempotencyKey
from api.pagination import Cursor, Limit
from api.schemas.pages import Page
from api.strict_body import StrictBody
from domain.actors import Role
from domain.webhooks.events import EVENT_TYPES
from integrations.webhooks.settings import WebhookSettings
from integrations.webhooks.url_policy import UrlRefused, check_url
from services.pagination import page_of_listed
from services.problems import Problem, not_found
from store import audit_log, webhooks
from store.idempotency import IdempotencyConflict, claim, request_hash

router = APIRouter(prefix="/v1/admin/webhooks", tags=["webhooks"], dependencies=[require_roles(Role.ADMIN)])
EventType = Literal[EVENT_TYPES]  # type: ignore[valid-type]


class WebhookIn(StrictBody):
    url: str = Field(max_length=2000, description="https only; must resolve to public addresses")
    events: Annotated[list[EventType], Field(min_length=1, max_length=len(EVENT_TYPES))]
    description: str = Field(default="", max_length=500)


class WebhookStatusIn(StrictBody):
    status: Literal["active", "disabled"]


class WebhookOut(BaseModel):
    id: str
    url: str
    description: str
    events: list[str]
    status: str
    created_by: str | None
    created_at: datetime
    failing_since: datetime | None
    last_error: str | None
    last_failure_at: datetime | None
    last_success_at: datetime | None
    disabled_at: datetime | None


class WebhookCreated(WebhookOut):
    secret: str = Field(description="signs every delivery (Escalator-Signature); shown only now")


@router.post("", status_code=201, response_model=WebhookCreated, summary="Register a webhook endpoint")
async def register(
    body: WebhookIn, principal: CurrentUser, engine: EngineDep, idempotency_key: IdempotencyKey = None
) -> WebhookCreated:
    try:
        await check_url(body.url, WebhookSettings().allow_private)
    except UrlRefused as exc:
        raise Problem(422, str(exc), errors=[{"field": "url"}]) from exc
    endpoint_id = str(uuid.uuid4())
    async with engine.begin() as conn:
        if idempotency_key:
            try:
                found = await claim(
                    conn,
                    principal.user_id,
                    idempotency_key,
                    "POST /v1/admin/webhooks",
                    request_hash("webhooks", body.model_dump()),
                    endpoint_id,
                )
            except IdempotencyConflict as exc:
                raise Problem(422, "Idempotency-Key was already used with a different request") from exc
            if found.replayed:
                return WebhookCreated.model_validate(
                    await webhooks.get_endpoint(conn, found.resource_id, with_secret=True)
                )
        created = await webhooks.create_endpoint(
            conn, body.url, body.events, body.description, principal.user_id, endpoint_id
        )
        await audit_log.record(conn, principal, "webhook.created", "webhook", endpoint_id, {"url": body.url})
    return WebhookCreated.model_validate(created)


class WebhookPage(Page[WebhookOut]):
    """Endpoints in the order they were registered."""


@router.get("", response_model=WebhookPage, summary="Webhook endpoints with status and last error")
async def list_all(engine: EngineDep, limit: Limit = 25, cursor: Cursor = None) -> WebhookPage:
    async with engine.connect() as conn:
        endpoints = await webhooks.list_endpoints(conn)
    page = page_of_listed(endpoints, limit, cursor)
    return WebhookPage(items=[WebhookOut.model_validate(e) for e in page.items], next_cursor=page.next_cursor)


@router.patch("/{endpoint_id}", response_model=WebhookOut, summary="Disable or re-enable an endpoint")
async def set_status(
    endpoint_id: str, body: WebhookStatusIn, principal: CurrentUser, engine: EngineDep
) -> WebhookOut:
    async with engine.begin() as conn:
        changed = await webhooks.set_status(conn, endpoint_id, body.status)
        if changed is None:
            raise not_found("webhook")
        action = "webhook.enabled" if body.status == "active" else "webhook.disabled"
        await audit_log.record(conn, principal, action, "webhook", endpoint_id)
    return WebhookOut.model_validate(changed)


@router.delete("/{endpoint_id}", status_code=204, summary="Remove an endpoint and its pending deliveries")
async def remove(endpoint_id: str, principal: CurrentUser, engine: EngineDep) -> Response:
    async with engine.begin() as conn:
        if not await webhooks.delete_endpoint(conn, endpoint_id):
            raise not_found("webhook")
        await audit_log.record(conn, principal, "webhook.deleted", "webhook", endpoint_id)
    return Response(status_code=204)
