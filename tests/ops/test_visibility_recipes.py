"""The README's visibility recipes, read from the README and run with the `temporal` CLI against the
dev server, every one of them (a recipe added to the README fails here until it is checked).

Only the placeholders are filled in (the organisation, the group, the card, the ticket, and the
shell's `date` for "the next hour"); everything else is the README's text, run verbatim.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client

from domain.actors import Actor, Role
from domain.escalation.commands import LinkCard
from infra.binaries import temporal_cli
from tests.support.identities import Org
from workflows.escalation import EscalationWorkflow

README = Path(__file__).resolve().parents[2] / "README.md"
ALWAYS = {"timezone": "UTC", "weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]}
NEXT_HOUR = "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)"


def readme_recipes() -> list[str]:
    """The `$T …` lines of the README's recipe block, as written there."""
    after = README.read_text().split("Recipes (with `make dev` running", 1)[1]
    block = after.split("```sh", 1)[1].split("```", 1)[0]
    return [line.removeprefix("$T ") for line in block.splitlines() if line.startswith("$T ")]


@dataclass
class World:
    """What the recipes should find: tickets, an escalation waiting for verification, a transfer."""

    org_id: str
    urgent: str  # workflow ids
    calm: str
    escalation: str
    card: str
    group_id: str
    transferred: str
    rollout: str  # the policy rollout's workflow id

    def fill(self, recipe: str, now: datetime) -> str:
        within_hour = (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return (
            recipe.replace(NEXT_HOUR, within_hour)
            .replace("<org-id>", self.org_id)
            .replace("<group-id>", self.group_id)
            .replace("ESC-12", self.card)
            .replace("ticket-1000", self.urgent)
            .replace("sla-policy-rollout-default-v2", self.rollout)
        )


def expectations(world: World) -> dict[str, Callable[[set[str], str], bool]]:
    """Per recipe (a fragment of its text): what its answer must show. Each check can fail."""
    w = world
    return {
        "TicketSeverity = 1": lambda ids, _: w.urgent in ids and w.calm not in ids,
        "TicketOrg =": lambda ids, _: {w.urgent, w.calm, w.transferred} <= ids,
        # Nothing here breaches (targets are 30 minutes away): the query must not list these tickets.
        "SlaBreached = true": lambda ids, _: not ({w.urgent, w.calm, w.transferred} & ids),
        "EscalationStage = 'verifying'": lambda ids, _: w.escalation in ids,
        "DevCards =": lambda ids, _: ids == {w.escalation},
        "TicketTier = 'L2'": lambda ids, _: ids == {w.transferred},
        "--type state": lambda _, out: '"status"' in out and '"severity"' in out,
        "--type progress": lambda _, out: '"applied"' in out and '"total"' in out,
        "workflow show": lambda _, out: "WorkflowExecutionStarted" in out,
    }


async def run_recipe(address: str, command: str) -> str:
    args = [temporal_cli(), *shlex.split(command), "--address", address, "--output", "json"]
    done = await asyncio.to_thread(subprocess.run, args, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"{command}: {done.stderr}"
    return done.stdout


def workflow_ids(output: str) -> set[str]:
    """The listed executions' ids (a `workflow list` answer); empty for other commands' output."""
    try:
        listed = json.loads(output)
    except ValueError:
        return set()
    if not isinstance(listed, list):
        return set()
    return {item["execution"]["workflowId"] for item in listed}


async def answered(address: str, command: str, check: Callable[[set[str], str], bool]) -> str | None:
    """Visibility is eventually consistent: ask again until the check holds (None), or give the last
    answer after 20 s."""
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        output = await run_recipe(address, command)
        if check(workflow_ids(output), output):
            return None
        if asyncio.get_running_loop().time() > deadline:
            return output[:2000]
        await asyncio.sleep(0.5)


async def _ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201, 202), response.text  # 202: a policy rollout started
    return response.json()


async def build_world(http: httpx.AsyncClient, client: Client, org: Org, staff: Org) -> World:
    admin, agent, engineer = staff["admin"].headers, staff["agent"].headers, staff["engineer"]
    name, product, tag = (f"ops-{uuid.uuid4().hex[:6]}" for _ in range(3))
    await _ok(await http.put(f"/v1/admin/calendars/{name}", json=ALWAYS, headers=admin))
    rules = [{"severity": s, "first_response_minutes": 30, "resolution_minutes": 600} for s in (1, 2, 3, 4)]
    policy = {"calendar": name, "rules": rules, "products": [product]}
    await _ok(await http.put(f"/v1/admin/sla-policies/{name}", json=policy, headers=admin))

    async def ticket(subject: str, severity: int) -> dict[str, Any]:
        body = {"subject": f"{subject} {tag}", "description": "x", "severity": severity, "product": product}
        return await _ok(await http.post("/v1/tickets", json=body, headers=org["customer"].headers))

    urgent, calm = await ticket("Checkout down", 1), await ticket("Typo on invoice", 4)
    po = await _ok(
        await http.post("/v1/admin/groups", json={"name": f"PO {tag}", "tier": "L2"}, headers=admin)
    )
    other = org.members["org_admin"] if "org_admin" in org.members else org["customer"]
    moved = await _ok(
        await http.post(
            "/v1/tickets",
            json={"subject": f"Nota {tag}", "description": "x", "requester_id": other.id},
            headers=agent,
        )
    )
    await _ok(
        await http.post(f"/v1/tickets/{moved['id']}/transfer", json={"group_id": po["id"]}, headers=agent)
    )
    escalation = await _ok(
        await http.post(
            f"/v1/tickets/{urgent['id']}/escalations",
            json={"target": "engineering", "summary": "Ops"},
            headers=agent,
        )
    )
    card = f"OPS-{uuid.uuid4().int % 10**8}"
    link = LinkCard(
        Actor(engineer.id, Role.ENGINEER),
        card,
        f"https://jira.example.test/browse/{card}",
        "In Progress",
        "in_progress",
    )
    await client.get_workflow_handle(f"escalation-{escalation['id']}").execute_update(
        EscalationWorkflow.link_card, link
    )
    stage_url = f"/v1/escalations/{escalation['id']}/stage"
    for stage in ("in_review", "verifying"):
        await http.post(stage_url, json={"stage": stage}, headers=engineer.headers)
    read = await _ok(await http.get(f"/v1/escalations/{escalation['id']}", headers=engineer.headers))
    assert read["stage"] == "verifying", read["stage"]
    return World(
        org.id, f"ticket-{urgent['id']}", f"ticket-{calm['id']}", f"escalation-{escalation['id']}", card,
        po["id"], f"ticket-{moved['id']}", f"sla-policy-rollout-{name}-v1",
    )  # fmt: skip


async def test_every_readme_recipe_finds_what_it_says(
    api_http: httpx.AsyncClient, client: Client, org: Org, staff: Org
) -> None:
    world = await build_world(api_http, client, org, staff)
    address = client.service_client.config.target_host
    checks = expectations(world)
    recipes = readme_recipes()
    unchecked = [r for r in recipes if not any(fragment in r for fragment in checks)]
    assert not unchecked, f"README recipes with no check here: {unchecked}"
    assert len(recipes) == len(checks), "every check names a recipe still in the README"
    now = datetime.now(UTC)
    failed = []
    for recipe in recipes:
        check = next(c for fragment, c in checks.items() if fragment in recipe)
        wrong = await answered(address, world.fill(recipe, now), check)
        if wrong is not None:
            failed.append((recipe, wrong))
    assert not failed, f"recipes that did not find what they should: {failed}"


def test_the_readme_still_has_its_recipes() -> None:
    """The parser reads what the README says (a moved block would otherwise check nothing)."""
    recipes = readme_recipes()
    assert len(recipes) >= 8 and all(r.startswith("workflow ") for r in recipes)
    assert any(NEXT_HOUR in r for r in recipes)
    assert json.dumps(recipes)  # plain strings
