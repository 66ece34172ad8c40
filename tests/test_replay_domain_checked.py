"""Determinism guard for domain/: every recorded history replays with domain/ imported inside the
sandbox, under its restrictions, instead of passed through.

Why: production (and the ordinary replay test) passes domain/ through the sandbox, so that it is
not imported again for every run; the sandbox then checks nothing in it. A domain function that a
workflow calls and that read the clock, the environment or a random number would go unnoticed
until two workers disagreed. Here the sandbox imports domain/ (and the workflow inputs and
refusals that are made of its types) itself, so such a call fails the replay.

The workflows import domain/ inside `workflow.unsafe.imports_passed_through()`, which passes any
import through whatever the restrictions say; for this test only, that block passes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from entrypoints.registry import PASSTHROUGH, WORKFLOWS

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))
# A continued run's input carries its state, datetimes in nested dataclasses: the payload converter
# cannot build those from domain/ classes imported in the sandbox (the sandbox's datetime is a proxy
# the converter does not recognise). The first runs of the same paths are replayed here all the same.
CARRIED_STATE = {
    "ticket_continued_at_its_bound.ticket_next",
    "consolidated_ticket_continued_at_its_bound.ticket_next",
}
MADE_OF_DOMAIN = ("domain", "workflows.ticket_input", "workflows.escalation_input", "workflows.refusals")
# Still shared: the zone loader reads the pinned tzdata package's files once per zone (I/O by design,
# outside any workflow's decisions) and builds ZoneInfo subclasses, which the sandbox cannot proxy.
ZONE_LOADER = "domain.time_zones"


def domain_checked_runner() -> SandboxedWorkflowRunner:
    """The tests' sandbox, minus domain/ and what is made of its types: imported (restricted) per run."""
    shared = [module for module in PASSTHROUGH if module not in MADE_OF_DOMAIN] + [ZONE_LOADER]
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*shared))


@pytest.fixture
def no_passthrough_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workflow.unsafe, "is_imports_passed_through", lambda: False)


def test_production_shares_domain() -> None:
    assert "domain" in PASSTHROUGH, "production passes domain/ through: this test is what checks it"
    assert "domain" not in domain_checked_runner().restrictions.passthrough_modules


@pytest.mark.usefixtures("no_passthrough_blocks")
@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_replay_with_domain_in_the_sandbox(path: Path) -> None:
    if path.stem in CARRIED_STATE:
        pytest.skip("a continued run's input does not decode with domain/ in the sandbox")
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(workflows=list(WORKFLOWS), workflow_runner=domain_checked_runner())
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
