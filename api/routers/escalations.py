"""Escalations: open one from a ticket, move it, link dev cards, and let the customer verify the fix."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.context import ContextDep
from api.deps import JiraDep
from api.headers import IdempotencyKey
from api.pagination import Cursor, Limit
from api.schemas.escalations import (
    CardIn,
    EscalationDetail,
    EscalationIn,
    EscalationOut,
    EscalationPage,
    EtaIn,
    StageIn,
    VerificationIn,
)
from domain.escalation.commands import CreateCard, MoveStage, SetEta, UnlinkCard
from domain.escalation.state import Stage
from services import escalations
from services.commands import EscalationRef, act, actor_of, request_key
from workflows.escalation import EscalationWorkflow

router = APIRouter(prefix="/v1", tags=["escalations"])


@router.post(
    "/tickets/{ticket_id}/escalations",
    status_code=201,
    response_model=EscalationOut,
    summary="Escalate a ticket",
    name="create",
)
async def escalate(
    ticket_id: int,
    body: EscalationIn,
    context: ContextDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> EscalationOut:
    """The ticket's workflow moves to `escalated` and starts the escalation's workflow in one update."""
    draft = escalations.EscalationDraft(body.target.value, body.summary, body.description)
    state = await escalations.escalate(context, ticket_id, draft, idempotency_key)
    response.headers["Location"] = f"/v1/escalations/{state['id']}"
    return EscalationOut.model_validate(state)


@router.get(
    "/escalations/{escalation_id}",
    response_model=EscalationDetail,
    summary="An escalation and its timeline",
    name="get",
)
async def get_one(escalation_id: str, context: ContextDep) -> EscalationDetail:
    view = await escalations.get_escalation(context, escalation_id)
    return EscalationDetail(
        **EscalationOut.model_validate(view.snapshot).model_dump(),
        timeline=[{**e, "actor": view.people.ref(e.get("actor_id"))} for e in view.timeline],
    )


@router.get("/escalations", response_model=EscalationPage, summary="List escalations", name="list")
async def list_all(
    context: ContextDep,
    stage: Stage | None = None,
    org_id: Annotated[str | None, Query(max_length=36)] = None,
    card: Annotated[str | None, Query(max_length=64, description="a linked JIRA key")] = None,
    limit: Limit = 25,
    cursor: Cursor = None,
) -> EscalationPage:
    """Newest first."""
    page = await escalations.page_escalations(
        context, stage.value if stage else None, org_id, card, limit, cursor
    )
    return EscalationPage(
        items=[EscalationOut.model_validate(row) for row in page.items], next_cursor=page.next_cursor
    )


async def _act(context: Any, escalation_id: str, update: Any, command: Any) -> EscalationOut:
    state = await act(context, EscalationRef(escalation_id), update, command)
    return EscalationOut.model_validate(state)


@router.post(
    "/escalations/{escalation_id}/stage", response_model=EscalationOut, summary="Move to another stage"
)
async def move_stage(
    escalation_id: str, body: StageIn, context: ContextDep, idempotency_key: IdempotencyKey = None
) -> EscalationOut:
    principal = context.principal
    command = MoveStage(
        actor_of(principal), body.stage.value, body.note, request_key(principal, idempotency_key)
    )
    return await _act(context, escalation_id, EscalationWorkflow.move_stage, command)


@router.put(
    "/escalations/{escalation_id}/eta", response_model=EscalationOut, summary="Set the estimated date"
)
async def set_eta(escalation_id: str, body: EtaIn, context: ContextDep) -> EscalationOut:
    command = SetEta(actor_of(context.principal), body.eta.isoformat() if body.eta else None)
    return await _act(context, escalation_id, EscalationWorkflow.set_eta, command)


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
    context: ContextDep,
    jira: JiraDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> EscalationOut:
    request_id = request_key(context.principal, idempotency_key)
    if body.create:
        command = CreateCard(actor_of(context.principal), body.project, body.issue_type, request_id)
        response.status_code = 202  # the card is created beside the escalation; it appears when JIRA answers
        return await _act(context, escalation_id, EscalationWorkflow.create_card, command)
    assert body.key is not None
    state = await escalations.link_card(context, escalation_id, jira, body.key, request_id)
    return EscalationOut.model_validate(state)


@router.delete(
    "/escalations/{escalation_id}/cards/{key}", response_model=EscalationOut, summary="Unlink a dev card"
)
async def unlink_card(escalation_id: str, key: str, context: ContextDep) -> EscalationOut:
    command = UnlinkCard(actor_of(context.principal), key)
    return await _act(context, escalation_id, EscalationWorkflow.unlink_card, command)


@router.post(
    "/escalations/{escalation_id}/verification",
    response_model=EscalationOut,
    summary="The requester confirms the fix (or says it is not fixed)",
)
async def verify(
    escalation_id: str, body: VerificationIn, context: ContextDep, idempotency_key: IdempotencyKey = None
) -> EscalationOut:
    state = await escalations.verify(context, escalation_id, body.fixed, body.comment, idempotency_key)
    return EscalationOut.model_validate(state)
