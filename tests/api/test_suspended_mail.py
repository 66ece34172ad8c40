"""Forged and unauthenticated mail is held, not taken; one SMTP answer for all; agents decide.

A real inbound SMTP server on 127.0.0.1 with the real intake, Postgres and Temporal worker; the queue
read and decided through the API.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.settings import Settings
from tests.api.inbound_bed import dmarc_pass, email_of, inbound, message, send, token_address
from tests.api.test_conversation_api import PNG
from tests.support.identities import Member, Org

__all__ = ["inbound"]  # the fixture


async def open_ticket(http: httpx.AsyncClient, who: Member) -> dict[str, Any]:
    body = {"subject": f"Invoices vanish {uuid.uuid4().hex}", "description": "since Monday"}
    created = await http.post("/v1/tickets", json=body, headers=who.headers)
    assert created.status_code == 201, created.text
    return created.json()


async def bodies_on(http: httpx.AsyncClient, ticket_id: int, staff: Org) -> list[str]:
    detail = (await http.get(f"/v1/tickets/{ticket_id}", headers=staff["agent"].headers)).json()
    return [str(e.get("data", {}).get("body")) for e in detail["timeline"]]


async def held(http: httpx.AsyncClient, staff: Org, text: str) -> dict[str, Any]:
    """The waiting message whose body is `text` (the queue is shared with other tests)."""
    cursor: str | None = None
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = (await http.get("/v1/suspended-mail", params=params, headers=staff["agent"].headers)).json()
        for item in page["items"]:
            detail = (
                await http.get(f"/v1/suspended-mail/{item['id']}", headers=staff["agent"].headers)
            ).json()
            if detail["body"] == text:
                return detail
        cursor = page["next_cursor"]
        assert cursor, f"no held message with body {text!r}"


async def test_forged_reply_is_held_not_added(
    http: httpx.AsyncClient, org: Org, staff: Org, engine: AsyncEngine, inbound: int
) -> None:
    ticket = await open_ticket(http, org["customer"])
    victim = await email_of(engine, org, "customer")
    forged = f"forged {uuid.uuid4().hex}"
    thread = {"In-Reply-To": f"<ticket-{ticket['id']}-1@escalator.localhost>"}
    await send(inbound, message(victim, f"Re: [#{ticket['id']}] {ticket['subject']}", forged, headers=thread))
    assert forged not in await bodies_on(http, ticket["id"], staff)
    row = await held(http, staff, forged)
    assert (row["reason"], row["claimed_ticket_id"], row["sender"]) == (
        "unauthenticated",
        ticket["id"],
        victim,
    )
    assert forged in row["raw"] and row["status"] == "waiting"


async def test_reply_to_own_token_lands_someone_elses_is_held(
    http: httpx.AsyncClient, org: Org, staff: Org, engine: AsyncEngine, settings: Settings, inbound: int
) -> None:
    ticket = await open_ticket(http, org["customer"])
    mine = token_address(settings, ticket["id"], org["customer"].id)
    text = f"from my own mailbox {uuid.uuid4().hex}"
    await send(inbound, message(await email_of(engine, org, "customer"), "Re: hi", text, to=mine))
    assert text in await bodies_on(http, ticket["id"], staff)

    intruder = f"from a colleague's mailbox {uuid.uuid4().hex}"
    await send(inbound, message(await email_of(engine, org, "customer2"), "Re: hi", intruder, to=mine))
    assert intruder not in await bodies_on(http, ticket["id"], staff)
    row = await held(http, staff, intruder)
    assert (row["reason"], row["claimed_ticket_id"]) == ("unauthenticated", ticket["id"])


async def test_one_answer_for_unknown_unauthenticated_closed_and_taken(
    http: httpx.AsyncClient,
    org: Org,
    other_org: Org,
    staff: Org,
    engine: AsyncEngine,
    settings: Settings,
    inbound: int,
) -> None:
    ticket = await open_ticket(http, org["customer"])
    customer = await email_of(engine, org, "customer")
    token = token_address(settings, ticket["id"], org["customer"].id)
    taken = await send(inbound, message(customer, "Re: x", f"taken {uuid.uuid4().hex}", to=token))
    unknown = await send(inbound, message("stranger@nowhere.example", "Hello", f"u {uuid.uuid4().hex}"))
    no_token = await send(inbound, message(customer, f"Re: [#{ticket['id']}] x", f"n {uuid.uuid4().hex}"))
    outsider = await email_of(engine, other_org, "customer")
    foreign = await send(
        inbound, message(outsider, f"Re: [#{ticket['id']}]", f"f {uuid.uuid4().hex}", to=token)
    )
    await http.post(f"/v1/tickets/{ticket['id']}/close", headers=org["customer"].headers)
    again = f"Still broken {uuid.uuid4().hex[:8]}"
    closed = await send(inbound, message(customer, f"Re: {again}", "one more thing", to=token))
    closed_no_token = await send(
        inbound, message(customer, f"Re: [#{ticket['id']}]", f"c {uuid.uuid4().hex}")
    )
    answers = {taken, unknown, no_token, foreign, closed, closed_no_token}
    assert answers == {"2.0.0 message accepted"}, answers
    follow_up = await http.get("/v1/tickets", params={"q": again}, headers=org["customer"].headers)
    [opened] = follow_up.json()["items"]
    assert opened["follow_up_of"] == ticket["id"]  # the closed ticket stays read-only


async def test_refused_attachment_and_malformed_from_are_held(
    http: httpx.AsyncClient, org: Org, staff: Org, engine: AsyncEngine, inbound: int
) -> None:
    customer = await email_of(engine, org, "customer")
    spoofed = f"see attached {uuid.uuid4().hex}"
    await send(
        inbound,
        message(
            customer, "Spoofed file", spoofed, attachment=("report.pdf", PNG), headers=dmarc_pass(customer)
        ),
    )
    assert (await held(http, staff, spoofed))["reason"] == "refused"

    two = f"two senders {uuid.uuid4().hex}"
    msg = message(customer, "Hello", two, headers=dmarc_pass(customer))
    msg.replace_header("From", f"{customer}, boss@acme.example")
    await send(inbound, msg)
    assert (await held(http, staff, two))["reason"] == "sender_problem"


async def test_new_ticket_without_authentication_waits_then_accept_opens_it(
    http: httpx.AsyncClient, org: Org, staff: Org, engine: AsyncEngine, inbound: int
) -> None:
    customer = await email_of(engine, org, "customer")
    text = f"please help {uuid.uuid4().hex}"
    subject = f"Mailed in {uuid.uuid4().hex[:8]}"
    await send(inbound, message(customer, subject, text))
    listed = (await http.get("/v1/tickets", params={"q": subject}, headers=org["customer"].headers)).json()
    assert listed["items"] == []
    row = await held(http, staff, text)
    url = f"/v1/suspended-mail/{row['id']}"
    assert (await http.get(url, headers=org["customer"].headers)).status_code == 403
    assert (await http.post(f"{url}/accept", headers=org["customer"].headers)).status_code == 403

    accepted = await http.post(f"{url}/accept", headers=staff["agent"].headers)
    assert accepted.status_code == 200, accepted.text
    ticket_id = accepted.json()["ticket_id"]
    again = await http.post(f"{url}/accept", headers=staff["agent"].headers)
    assert again.json()["ticket_id"] == ticket_id and again.json()["status"] == "accepted"
    ticket = (await http.get(f"/v1/tickets/{ticket_id}", headers=org["customer"].headers)).json()
    assert ticket["subject"] == subject and ticket["requester_id"] == org["customer"].id
    assert (await http.post(f"{url}/reject", headers=staff["agent"].headers)).status_code == 409


async def test_accept_a_held_reply_then_reject_another(
    http: httpx.AsyncClient, org: Org, staff: Org, engine: AsyncEngine, inbound: int
) -> None:
    ticket = await open_ticket(http, org["customer"])
    customer = await email_of(engine, org, "customer")
    kept, dropped = f"kept {uuid.uuid4().hex}", f"dropped {uuid.uuid4().hex}"
    for text in (kept, dropped):
        await send(inbound, message(customer, f"Re: [#{ticket['id']}] x", text))
    keep, drop = await held(http, staff, kept), await held(http, staff, dropped)

    accepted = (
        await http.post(f"/v1/suspended-mail/{keep['id']}/accept", headers=staff["agent"].headers)
    ).json()
    assert accepted["ticket_id"] == ticket["id"]
    rejected = (
        await http.post(f"/v1/suspended-mail/{drop['id']}/reject", headers=staff["agent"].headers)
    ).json()
    assert rejected["status"] == "rejected" and rejected["decided_by"] == staff["agent"].id
    bodies = await bodies_on(http, ticket["id"], staff)
    assert kept in bodies and dropped not in bodies
    assert (
        await http.post(f"/v1/suspended-mail/{drop['id']}/accept", headers=staff["agent"].headers)
    ).status_code == 409
    page = (
        await http.get("/v1/suspended-mail", params={"status": "rejected"}, headers=staff["agent"].headers)
    ).json()
    assert drop["id"] in [i["id"] for i in page["items"]]


async def test_queue_pages_and_is_staff_only(
    http: httpx.AsyncClient, org: Org, staff: Org, inbound: int
) -> None:
    for text in (f"p1 {uuid.uuid4().hex}", f"p2 {uuid.uuid4().hex}"):
        await send(inbound, message("nobody@nowhere.example", "Hi", text))
    first = (await http.get("/v1/suspended-mail", params={"limit": 1}, headers=staff["agent"].headers)).json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    params = {"limit": 1, "cursor": first["next_cursor"]}
    second = (await http.get("/v1/suspended-mail", params=params, headers=staff["agent"].headers)).json()
    assert second["items"][0]["id"] != first["items"][0]["id"]
    assert second["items"][0]["received_at"] <= first["items"][0]["received_at"]
    assert (await http.get("/v1/suspended-mail", headers=org["org_admin"].headers)).status_code == 403
    bad = await http.get("/v1/suspended-mail", params={"cursor": "nonsense"}, headers=staff["agent"].headers)
    assert bad.status_code == 400
    missing = await http.get(f"/v1/suspended-mail/{uuid.uuid4()}", headers=staff["agent"].headers)
    assert missing.status_code == 404


async def test_a_strangers_message_cannot_be_accepted_only_rejected(
    http: httpx.AsyncClient, staff: Org, inbound: int
) -> None:
    text = f"buy now {uuid.uuid4().hex}"
    answer = await send(inbound, message("spam@nowhere.example", "Offer", text))
    assert answer == "2.0.0 message accepted"
    row = await held(http, staff, text)
    assert row["reason"] == "unknown_sender" and row["claimed_ticket_id"] is None
    url = f"/v1/suspended-mail/{row['id']}"
    refused = await http.post(f"{url}/accept", headers=staff["agent"].headers)
    assert refused.status_code == 422 and "register" in refused.json()["detail"]
    assert (await http.post(f"{url}/accept", headers=staff["engineer"].headers)).status_code == 403
    rejected = await http.post(f"{url}/reject", headers=staff["admin"].headers)
    assert rejected.json()["status"] == "rejected"
    again = await http.post(f"{url}/reject", headers=staff["agent"].headers)
    assert again.status_code == 200 and again.json()["decided_by"] == staff["admin"].id
