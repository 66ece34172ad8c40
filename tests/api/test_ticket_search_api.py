"""Full-text search in the ticket list (`GET /v1/tickets?q=`): languages, accents, ranking, notes, pages.

Each test marks its tickets with a made-up word of its own, so tickets of other tests never match.
"""

from __future__ import annotations

import uuid

import httpx

from tests.support.identities import Org


def marker() -> str:
    return "zq" + "".join(chr(ord("a") + int(c, 16) % 26) for c in uuid.uuid4().hex[:10])


async def open_ticket(http: httpx.AsyncClient, who, subject: str, description: str) -> dict:
    body = {"subject": subject, "description": description, "severity": 3, "allow_duplicate": True}
    r = await http.post("/v1/tickets", json=body, headers=who.headers)
    assert r.status_code == 201, r.text
    return r.json()


async def search(http: httpx.AsyncClient, who, q: str, **params) -> list[int]:
    r = await http.get("/v1/tickets", params={"q": q, **params}, headers=who.headers)
    assert r.status_code == 200, r.text
    return [t["id"] for t in r.json()["items"]]


async def test_portuguese_spanish_english_without_accents(
    http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    m, agent, customer = marker(), staff["agent"], org["customer"]
    pt = await open_ticket(http, customer, "Relatório de configuração não exporta", f"Desde segunda {m}")
    es = await open_ticket(http, customer, "La facturación electrónica falla", f"Desde el lunes {m}")
    en = await open_ticket(http, customer, "Exporting invoices fails", f"Since Monday {m}")
    assert await search(http, agent, f"configuracao {m}") == [pt["id"]]
    assert await search(http, agent, f"relatorios {m}") == [pt["id"]]  # plural, stemmed in Portuguese
    assert await search(http, agent, f"facturacion electronica {m}") == [es["id"]]
    assert await search(http, agent, f"invoice {m}") == [en["id"]]  # "invoices", stemmed in English
    assert set(await search(http, agent, f"export {m}")) == {pt["id"], en["id"]}  # "exporta", "exporting"
    assert set(await search(http, agent, m)) == {pt["id"], es["id"], en["id"]}
    assert await search(http, agent, f"{m} -facturacion -exporting -relatorio") == []


async def test_messages_match_and_the_subject_ranks_first(
    http: httpx.AsyncClient, org: Org, staff: Org
) -> None:
    m, agent, customer = marker(), staff["agent"], org["customer"]
    older = await open_ticket(http, customer, f"Printer {m} jams", "Paper stuck")
    newer = await open_ticket(http, customer, "Labels are blank", "Nothing printed")
    r = await http.post(
        f"/v1/tickets/{newer['id']}/replies", json={"body": f"Maybe the {m} driver?"}, headers=agent.headers
    )
    assert r.status_code == 200, r.text
    assert await search(http, agent, m) == [older["id"], newer["id"]]  # subject beats a message, though older


async def test_notes_match_for_staff_only(
    http: httpx.AsyncClient, org: Org, staff: Org, other_org: Org
) -> None:
    m, agent, customer = marker(), staff["agent"], org["customer"]
    ticket = await open_ticket(http, customer, "Slow dashboard", f"Public words {m}")
    note = {"body": f"internal hunch {m}secret", "internal": True}
    assert (
        await http.post(f"/v1/tickets/{ticket['id']}/replies", json=note, headers=agent.headers)
    ).status_code == 200
    assert await search(http, agent, f"{m}secret") == [ticket["id"]]
    assert await search(http, customer, f"{m}secret") == []
    assert await search(http, org["org_admin"], f"{m}secret") == []
    assert await search(http, customer, m) == [ticket["id"]]
    assert await search(http, other_org["customer"], m) == []  # another organisation's ticket
    assert await search(http, org["customer2"], m) == []  # a colleague's ticket, not theirs


async def test_cursor_pages_through_ranked_results(http: httpx.AsyncClient, org: Org, staff: Org) -> None:
    m, agent = marker(), staff["agent"]
    made = [await open_ticket(http, org["customer"], f"Sync {m} fails {i}", "details") for i in range(3)]
    seen, cursor = [], None
    for _ in range(5):
        params = {"q": m, "limit": 1, **({"cursor": cursor} if cursor else {})}
        page = (await http.get("/v1/tickets", params=params, headers=agent.headers)).json()
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted((t["id"] for t in made), reverse=True)  # equal scores: newest first, each once
    list_cursor = (await http.get("/v1/tickets", params={"limit": 1}, headers=agent.headers)).json()[
        "next_cursor"
    ]
    r = await http.get("/v1/tickets", params={"q": m, "cursor": list_cursor}, headers=agent.headers)
    assert r.status_code == 400
