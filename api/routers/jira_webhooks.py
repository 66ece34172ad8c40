"""`POST /v1/webhooks/jira`: card status changes from JIRA, verified, de-duplicated (by the signed body,
insert-first), routed to escalations.

Answers fast and 2xx for anything well-signed, including issues no escalation knows (ignored and
logged) so Jira does not retry needlessly; reconcile in each escalation catches what never arrives.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from api.deps import EngineDep, JiraDep, TemporalProviderDep
from domain.escalation.card_progress import progress_for
from domain.escalation.commands import CardChanged
from domain.webhook_signature import verify
from infra.log import get_logger
from integrations.jira.adf import adf_to_text
from integrations.jira.settings import JiraSettings
from services.context import TemporalProvider
from services.problems import Problem
from store.escalation_queries import claim_delivery, delivery_key, escalations_for_card, release_delivery
from workflows.escalation import EscalationWorkflow
from workflows.escalation_input import escalation_workflow_id

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
log = get_logger(__name__)
MAX_BODY = 1_000_000


def _status_change(payload: dict[str, Any]) -> tuple[str, str, str | None] | None:
    """(issue key, new status name, status category key) when the changelog moved the status."""
    issue = payload.get("issue") or {}
    key = issue.get("key")
    items = (payload.get("changelog") or {}).get("items") or []
    moved = [i for i in items if isinstance(i, dict) and i.get("field") == "status"]
    if not key or not moved:
        return None
    status = (issue.get("fields") or {}).get("status") or {}
    category = (status.get("statusCategory") or {}).get("key")
    return str(key), str(moved[-1].get("toString") or status.get("name") or ""), category


def _changed_at(payload: dict[str, Any]) -> datetime:
    stamp = payload.get("timestamp")
    if isinstance(stamp, int | float) and stamp > 0:
        return datetime.fromtimestamp(stamp / 1000, UTC)
    return datetime.now(UTC)


async def _raw_body(request: Request) -> bytes:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_BODY:
        raise Problem(413, "webhook body too large")
    body = await request.body()
    if len(body) > MAX_BODY:
        raise Problem(413, "webhook body too large")
    return body


@router.post("/jira", summary="JIRA webhook (signed with X-Hub-Signature)", name="jira")
async def jira_webhook(
    request: Request, engine: EngineDep, jira: JiraDep, temporal: TemporalProviderDep
) -> dict[str, Any]:
    secret = jira.webhook_secret.get_secret_value() if jira and jira.webhook_secret else None
    body = await _raw_body(request)
    if not secret or not verify(secret, body, request.headers.get("X-Hub-Signature", "")):
        raise Problem(401, "bad or missing X-Hub-Signature", type_="/problems/unauthorized")
    try:
        payload = json.loads(body)
        assert isinstance(payload, dict)
    except (ValueError, AssertionError) as exc:
        raise Problem(400, "the body is not a JSON object", type_="/problems/invalid-request") from exc
    return await _once(engine, delivery_key(body), lambda: _route(engine, jira, temporal, payload))


async def _once(
    engine: AsyncEngine, key: str, route: Callable[[], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    """Claim the delivery before routing it (race-free: the insert decides), and give the claim back
    if routing fails, so that Jira's redelivery after our 5xx is routed rather than called a duplicate."""
    async with engine.begin() as conn:
        if not await claim_delivery(conn, key):
            return {"status": "duplicate"}
    try:
        return await route()
    except BaseException:
        async with engine.begin() as conn:
            await release_delivery(conn, key)
        raise


async def _route(
    engine: AsyncEngine, jira: JiraSettings | None, temporal: TemporalProvider, payload: dict[str, Any]
) -> dict[str, Any]:
    event = payload.get("webhookEvent")
    if event == "comment_created":
        comment = (payload.get("comment") or {}).get("body")
        text = adf_to_text(comment) if comment is not None else ""
        log.info("jira comment received", issue=(payload.get("issue") or {}).get("key"), chars=len(text))
        return {"status": "ignored", "reason": "comments are not mirrored"}
    change = _status_change(payload)
    if change is None:
        return {"status": "ignored", "reason": "no status change"}
    key, status, category = change
    async with engine.connect() as conn:
        targets = await escalations_for_card(conn, key)
    if not targets:
        log.info("jira webhook for an unknown card", issue=key)
        return {"status": "ignored", "reason": f"no escalation links {key}"}
    progress = progress_for(status, category, jira.status_map if jira else None)
    news = CardChanged(key=key, status=status, progress=progress.value, at=_changed_at(payload))
    client = await temporal()
    for escalation_id in targets:
        await client.get_workflow_handle(escalation_workflow_id(escalation_id)).signal(
            EscalationWorkflow.card_changed, news
        )
    return {"status": "accepted", "escalations": targets}
