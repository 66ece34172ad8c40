"""Escalations: open one from a ticket, move it, link dev cards, and let the customer verify the fix."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from api.auth import CurrentUser, can_see_ticket, ensure_visible
from api.escalation_schemas import (
    CardIn,
    EscalationDetail,
    EscalationEventOut,
    EscalationIn,
    EscalationOut,
    EtaIn,
    StageIn,
    VerificationIn,
)
from api.problems import Problem, not_found
from api.routers.tickets import IdempotencyKey, actor_of, request_key
from api.ticket_updates import send_update, send_workflow_update
from domain.escalation.commands import CreateCard, LinkCard, MoveStage, SetEta, UnlinkCard, Verify
from domain.escalation.state import Stage
from domain.ticket.commands import Escalate
from domain.ticket.snapshot import json_ready
from integrations.jira.cards import read_card
from integrations.jira.client import JiraError
from store.escalation_queries import escalation_timeline, get_escalation, list_escalations, next_escalation_id
from store.idempotency import IdempotencyConflict, claim, request_hash
from store.identities import Principal
from store.ticket_queries import get_ticket_row
from workflows.escalation import EscalationWorkflow
from workflows.escalation_input import escalation_workflow_id
from workflows.ticket import TicketWorkflow

router = APIRouter(prefix="/v1", tags=["escalations"])


@router.post(
    "/tickets/{ticket_id}/escalations",
    status_code=201,
    response_model=EscalationOut,
    summary="Escalate a ticket",
)
async def escalate(
    ticket_id: int,
    body: EscalationIn,
    principal: CurrentUser,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> EscalationOut:
    """The ticket's workflow moves to `escalated` and starts the escalation's workflow in one update."""
    app = request.app.state
    async with app.engine.begin() as conn:
        ensure_visible(principal, await get_ticket_row(conn, ticket_id))
        escalation_id = await next_escalation_id(conn)
        if idempotency_key:
            endpoint = f"POST /v1/tickets/{ticket_id}/escalations"
            try:
                claimed = await claim(
                    conn,
                    principal.user_id,
                    idempotency_key,
                    endpoint,
                    request_hash(endpoint, body.model_dump(mode="json")),
                    escalation_id,
                )
            except IdempotencyConflict as exc:
                raise Problem(422, "Idempotency-Key was already used with a different request") from exc
            escalation_id = claimed.resource_id
    command = Escalate(
        actor=actor_of(principal),
        escalation_id=escalation_id,
        target=body.target.value,
        summary=body.summary,
        description=body.description or "",
        request_id=request_key(principal, idempotency_key) or f"escalate:{escalation_id}",
    )
    client = await _client(request)
    deadline = app.settings.api_update_timeout_seconds
    await send_update(client, ticket_id, TicketWorkflow.escalate, command, deadline, command.request_id)
    state = await send_workflow_update(
        client,
        escalation_workflow_id(escalation_id),
        EscalationWorkflow.opened,
        None,
        deadline,
        None,
        "escalation",
    )
    response.headers["Location"] = f"/v1/escalations/{escalation_id}"
    return EscalationOut.model_validate(json_ready(state))


async def _client(request: Request) -> Any:
    from api.deps import get_temporal

    return await get_temporal(request)


async def _visible_escalation(request: Request, principal: Principal, escalation_id: str) -> dict[str, Any]:
    async with request.app.state.engine.connect() as conn:
        escalation = await get_escalation(conn, escalation_id)
        ticket = await get_ticket_row(conn, escalation["ticket_id"]) if escalation else None
    if escalation is None or ticket is None or not can_see_ticket(principal, ticket):
        raise not_found("escalation")
    return escalation


@router.get(
    "/escalations/{escalation_id}", response_model=EscalationDetail, summary="An escalation and its timeline"
)
async def get_one(escalation_id: str, principal: CurrentUser, request: Request) -> EscalationDetail:
    escalation = await _visible_escalation(request, principal, escalation_id)
    async with request.app.state.engine.connect() as conn:
        events = await escalation_timeline(conn, escalation_id)
    return EscalationDetail(
        **EscalationOut.model_validate(escalation).model_dump(),
        timeline=[EscalationEventOut.model_validate(e) for e in events],
    )


@router.get("/escalations", response_model=list[EscalationOut], summary="List escalations")
async def list_all(
    principal: CurrentUser,
    request: Request,
    stage: Stage | None = None,
    org_id: Annotated[str | None, Query(max_length=36)] = None,
    card: Annotated[str | None, Query(max_length=64, description="a linked JIRA key")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[EscalationOut]:
    role = principal.role
    if role in ("customer", "org_admin"):
        org_id = principal.org_id
    async with request.app.state.engine.connect() as conn:
        rows = await list_escalations(conn, stage.value if stage else None, org_id, card, None, limit * 2)
        visible = []
        for row in rows:
            ticket = await get_ticket_row(conn, row["ticket_id"])
            if ticket is not None and can_see_ticket(principal, ticket):
                visible.append(EscalationOut.model_validate(row))
    return visible[:limit]


async def _act(
    request: Request, principal: Principal, escalation_id: str, update: Any, command: Any
) -> EscalationOut:
    await _visible_escalation(request, principal, escalation_id)
    client = await _client(request)
    state = await send_workflow_update(
        client,
        escalation_workflow_id(escalation_id),
        update,
        command,
        request.app.state.settings.api_update_timeout_seconds,
        command.request_id,
        "escalation",
    )
    return EscalationOut.model_validate(json_ready(state))


@router.post(
    "/escalations/{escalation_id}/stage", response_model=EscalationOut, summary="Move to another stage"
)
async def move_stage(
    escalation_id: str,
    body: StageIn,
    principal: CurrentUser,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> EscalationOut:
    command = MoveStage(
        actor_of(principal), body.stage.value, body.note, request_key(principal, idempotency_key)
    )
    return await _act(request, principal, escalation_id, EscalationWorkflow.move_stage, command)


@router.put(
    "/escalations/{escalation_id}/eta", response_model=EscalationOut, summary="Set the estimated date"
)
async def set_eta(escalation_id: str, body: EtaIn, principal: CurrentUser, request: Request) -> EscalationOut:
    command = SetEta(actor_of(principal), body.eta.isoformat() if body.eta else None)
    return await _act(request, principal, escalation_id, EscalationWorkflow.set_eta, command)


@router.post(
    "/escalations/{escalation_id}/cards",
    response_model=EscalationOut,
    status_code=201,
    summary="Link an existing dev card by key, or create one in JIRA",
    responses={
        202: {
            "model": EscalationOut,
            "description": "`create`: accepted; the card is made in JIRA beside the escalation and "
            "appears in its `cards` once JIRA answers",
        }
    },
)
async def add_card(
    escalation_id: str,
    body: CardIn,
    principal: CurrentUser,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> EscalationOut:
    request_id = request_key(principal, idempotency_key)
    if body.create:
        command: Any = CreateCard(actor_of(principal), body.project, body.issue_type, request_id)
        response.status_code = 202  # the card is created beside the escalation; it appears when JIRA answers
        return await _act(request, principal, escalation_id, EscalationWorkflow.create_card, command)
    await _visible_escalation(request, principal, escalation_id)
    assert body.key is not None
    card = await _read_card(request, body.key)
    command = LinkCard(actor_of(principal), card.key, card.url, card.status, card.progress, request_id)
    return await _act(request, principal, escalation_id, EscalationWorkflow.link_card, command)


async def _read_card(request: Request, key: str) -> Any:
    settings = request.app.state.jira
    if settings is None:
        raise Problem(503, "no JIRA is configured (JIRA_BASE_URL)", type_="/problems/unavailable")
    try:
        card = await read_card(settings, key)
    except JiraError as exc:
        raise Problem(502, f"JIRA did not answer as expected: {exc}", type_="/problems/bad-gateway") from exc
    if card is None:
        raise Problem(
            422, f"key: JIRA has no issue {key}", errors=[{"field": "key", "message": "no such issue"}]
        )
    return card


@router.delete(
    "/escalations/{escalation_id}/cards/{key}", response_model=EscalationOut, summary="Unlink a dev card"
)
async def unlink_card(
    escalation_id: str, key: str, principal: CurrentUser, request: Request
) -> EscalationOut:
    command = UnlinkCard(actor_of(principal), key)
    return await _act(request, principal, escalation_id, EscalationWorkflow.unlink_card, command)


@router.post(
    "/escalations/{escalation_id}/verification",
    response_model=EscalationOut,
    summary="The requester confirms the fix (or says it is not fixed)",
)
async def verify(
    escalation_id: str,
    body: VerificationIn,
    principal: CurrentUser,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> EscalationOut:
    escalation = await _visible_escalation(request, principal, escalation_id)
    if principal.role == "customer" and escalation.get("requester_id") != principal.user_id:
        raise Problem(403, "only the requester or their organisation's admin confirms a fix")
    command = Verify(actor_of(principal), body.fixed, body.comment, request_key(principal, idempotency_key))
    return await _act(request, principal, escalation_id, EscalationWorkflow.verify, command)
