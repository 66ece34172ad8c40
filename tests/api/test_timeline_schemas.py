"""Timeline events are typed in the OpenAPI document: every event type the domain can record has a
schema, and a real ticket's (and escalation's) timeline validates against the published document."""

from __future__ import annotations

import ast
import uuid
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from api.app import create_app
from api.schemas.escalation_events import ESCALATION_EVENT_DATA
from api.schemas.ticket_events import TICKET_EVENT_DATA
from infra.settings import Settings
from tests.support.identities import Org

ROOT = Path(__file__).resolve().parents[2]
RECORDERS = {
    "ticket": ["domain/ticket", "domain/sla.py", "workflows/ticket.py"],
    "escalation": ["domain/escalation", "workflows/escalation.py"],
}


def recorded_types(paths: list[str]) -> set[str]:
    """Every `Change("<type>", ...)` the given domain and workflow code can make."""
    found: set[str] = set()
    files = [f for p in paths for f in ((ROOT / p).rglob("*.py") if (ROOT / p).is_dir() else [ROOT / p])]
    for file in files:
        for node in ast.walk(ast.parse(file.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "Change"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.add(str(node.args[0].value))
    return found


@pytest.mark.parametrize(
    ("entity", "table"), [("ticket", TICKET_EVENT_DATA), ("escalation", ESCALATION_EVENT_DATA)]
)
def test_every_recorded_event_type_has_a_schema(entity: str, table: dict[str, Any]) -> None:
    recorded = recorded_types(RECORDERS[entity])
    assert len(recorded) >= 10, "the scan finds nothing: did the domain stop using Change(...)?"
    assert recorded - table.keys() == set(), f"{entity} events without a schema"
    assert table.keys() - recorded == set(), f"{entity} schemas for events the domain never records"


def _validator(document: dict[str, Any], schema_name: str) -> jsonschema.protocols.Validator:
    root = {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
    return jsonschema.Draft202012Validator(root)


async def test_a_real_timeline_validates_against_the_published_document(
    http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    document = (await http.get("/openapi.json")).json()
    ticket_variants = document["components"]["schemas"]["TicketDetail"]["properties"]["timeline"]["items"]
    assert ticket_variants["discriminator"]["propertyName"] == "type"
    agent, customer = staff["agent"], org["customer"]
    body = {"subject": f"Typed {uuid.uuid4().hex}", "description": "x", "cc": [org["customer2"].id]}
    ticket = (await http.post("/v1/tickets", json=body, headers=customer.headers)).json()
    url = f"/v1/tickets/{ticket['id']}"
    steps: list[tuple[str, dict[str, Any] | None, Any]] = [
        ("assign", {"assignee_id": agent.id}, agent),
        ("replies", {"body": "Which browser?", "await_customer": True}, agent),
        ("replies", {"body": "Firefox"}, customer),
        ("replies", {"body": "slow db", "internal": True}, agent),
        ("reclassify", {"severity": 1, "impact": "all invoices"}, agent),
        ("transfer", {"tier": "L2", "reason": "needs L2"}, agent),
        ("resolve", {"comment": "fixed"}, agent),
        ("reopen", None, customer),
        ("escalations", {"summary": "Export cut"}, agent),
    ]
    for action, payload, who in steps:
        response = await http.post(f"{url}/{action}", json=payload, headers=who.headers)
        assert response.status_code in (200, 201), (action, response.text)
    escalation_id = response.json()["id"]
    eta = {"eta": "2099-01-31"}
    await http.put(f"/v1/escalations/{escalation_id}/eta", json=eta, headers=agent.headers)
    await http.post(
        f"/v1/escalations/{escalation_id}/stage", json={"stage": "in_review"}, headers=agent.headers
    )

    detail = (await http.get(url, headers=agent.headers)).json()
    types = {e["type"] for e in detail["timeline"]}
    assert {
        "ticket_created",
        "assigned",
        "reply_added",
        "note_added",
        "status_changed",
        "reclassified",
    } <= types
    assert {"transferred", "escalated"} <= types
    _validator(document, "TicketDetail").validate(detail)
    escalation = (await http.get(f"/v1/escalations/{escalation_id}", headers=agent.headers)).json()
    assert [e["type"] for e in escalation["timeline"]] == ["escalation_created", "eta_set", "stage_changed"]
    _validator(document, "EscalationDetail").validate(escalation)


def test_a_timeline_event_with_wrong_data_does_not_validate(settings: Settings) -> None:
    """The schemas say something: a status change without its `to` is refused by the document."""
    document = create_app(settings, jira=None).openapi()
    event = {"seq": 1, "at": "2026-01-01T00:00:00Z", "actor_id": None, "actor": None, "actor_role": None}
    variant = {"$ref": "#/components/schemas/TicketStatusChangedEvent", "components": document["components"]}
    validator = jsonschema.Draft202012Validator(variant)
    assert validator.is_valid({**event, "type": "status_changed", "data": {"from": "open", "to": "pending"}})
    assert not validator.is_valid({**event, "type": "status_changed", "data": {"from": "open"}})
