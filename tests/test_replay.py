"""Determinism guard: every recorded history replays against today's workflow code."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from entrypoints.registry import WORKFLOWS, sandbox_runner

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_histories_exist() -> None:
    assert HISTORIES, "tests/histories/ is empty: run `make histories`"


@pytest.mark.parametrize("checked", [True, False], ids=["checked-sandbox", "production-sandbox"])
@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_replay(path: Path, checked: bool) -> None:
    """In the sandbox the tests use (workflows/ imported per run) and in production's (shared)."""
    history = WorkflowHistory.from_json(path.stem, path.read_text())  # any workflow type registered below
    replayer = Replayer(workflows=list(WORKFLOWS), workflow_runner=sandbox_runner(checked=checked))
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
