"""Jira status → card stage: configured names first, then the status category."""

from __future__ import annotations

import pytest

from domain.escalation.card_progress import CardProgress, normalize_status_map, progress_for


@pytest.mark.parametrize(
    ("name", "category", "expected"),
    [
        ("Accepted", "new", CardProgress.ACCEPTED),
        ("To Do", "new", CardProgress.ACCEPTED),
        ("In Progress", "indeterminate", CardProgress.IN_PROGRESS),
        ("Doing", "indeterminate", CardProgress.IN_PROGRESS),
        ("In Review", "indeterminate", CardProgress.IN_REVIEW),
        ("Code review", "indeterminate", CardProgress.IN_REVIEW),
        ("Done", "done", CardProgress.RESOLVED),
        ("Won't fix", "done", CardProgress.RESOLVED),
        ("Reviewed & closed", "done", CardProgress.RESOLVED),  # the category beats the word "review"
    ],
)
def test_default_follows_the_status_category(name, category, expected):
    assert progress_for(name, category, {}) is expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("In Review", CardProgress.IN_REVIEW),
        ("Resolved", CardProgress.RESOLVED),
        ("Closed", CardProgress.RESOLVED),
        ("In Progress", CardProgress.IN_PROGRESS),
        ("Backlog", CardProgress.ACCEPTED),
    ],
)
def test_without_a_usable_category_the_name_decides(name, expected):
    assert progress_for(name, "undefined", None) is expected
    assert progress_for(name, None) is expected


def test_configured_map_wins_and_ignores_case_and_spacing():
    status_map = {"QA": "in_review", "Ready for Release": CardProgress.RESOLVED, "Done": "in_review"}
    assert progress_for("qa", "indeterminate", status_map) is CardProgress.IN_REVIEW
    assert progress_for("  ready  for release ", "indeterminate", status_map) is CardProgress.RESOLVED
    assert progress_for("DONE", "done", status_map) is CardProgress.IN_REVIEW
    assert progress_for("In Progress", "indeterminate", status_map) is CardProgress.IN_PROGRESS


def test_normalize_status_map_validates_once():
    assert normalize_status_map({"QA ": "in_review"}) == {"qa": CardProgress.IN_REVIEW}
    with pytest.raises(ValueError):
        normalize_status_map({"QA": "testing"})


def test_rank_orders_the_pipeline_so_moves_back_are_visible():
    stages = [CardProgress.ACCEPTED, CardProgress.IN_PROGRESS, CardProgress.IN_REVIEW, CardProgress.RESOLVED]
    assert [stage.rank for stage in stages] == [0, 1, 2, 3]
    assert CardProgress.IN_PROGRESS.rank < CardProgress.IN_REVIEW.rank  # review → in progress is backwards
    assert CardProgress("in_review") is CardProgress.IN_REVIEW and str(CardProgress.RESOLVED) == "resolved"


def test_module_uses_only_the_standard_library():
    import ast
    import sys
    from pathlib import Path

    import domain.escalation.card_progress as module

    tree = ast.parse(Path(module.__file__).read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}  # fmt: skip
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}  # fmt: skip
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}
