"""Issue #14 part 4: a JIRA outage during a reconcile does not hold an escalation's updates.

Before, the reconcile ran inside the escalation's main loop: while JIRA answered 503 it retried for
about 93 s, an update waited for a projection that could not run, and the API answered 503. Now it
runs beside the loop, so the update is answered while the reconcile is still retrying.
"""

from __future__ import annotations

from temporalio.client import Client

from tests.escalations.conftest import Bed
from tests.escalations.test_escalation_flow import escalate, escalation, eventually
from tests.jira_server import JiraServer
from tests.support.identities import Org
from workflows.escalation_input import escalation_workflow_id

SEARCH = r"/rest/api/3/search/jql$"


async def pending_activities(client: Client, escalation_id: str) -> list[str]:
    """The escalation's pending activities; a reconcile that already met a failure is `…:failed`."""
    description = await client.get_workflow_handle(escalation_workflow_id(escalation_id)).describe()
    return [
        a.activity_type.name + (":failed" if a.HasField("last_failure") else "")
        for a in description.raw_description.pending_activities
    ]


async def test_update_is_answered_while_the_reconcile_retries_a_jira_outage(
    bed: Bed, site: JiraServer, org: Org, staff: Org, client: Client
) -> None:
    _, esc = await escalate(bed, org, staff)
    eng = staff["engineer"]
    r = await bed.http.post(f"/v1/escalations/{esc['id']}/cards", json={"create": True}, headers=eng.headers)
    assert r.status_code == 202, r.text
    await eventually(escalation(bed, eng, esc["id"]), lambda e: len(e["cards"]) == 1)

    outage = site.inject("unavailable", 100_000, path=SEARCH)  # JIRA's search is down from now on
    retrying = "jira_read_cards:failed"
    await eventually(lambda: pending_activities(client, esc["id"]), lambda names: retrying in names, 30)

    r = await bed.http.put(
        f"/v1/escalations/{esc['id']}/eta", json={"eta": "2099-12-31"}, headers=eng.headers
    )

    assert r.status_code == 200, r.text
    assert r.json()["eta"] == "2099-12-31"
    assert retrying in await pending_activities(client, esc["id"]), "the reconcile is still retrying"
    assert outage.hits > 0 and outage.remaining > 0
    site.faults.clear()
