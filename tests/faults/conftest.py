"""Fault scenarios (`make faults`): heavy, each starts and breaks a whole stack; skipped unless RUN_FAULTS=1.

They live beside the ordinary suite but must not slow down `make test`, so they are skipped at
collection time; `make faults` sets RUN_FAULTS=1 and runs only this directory.
"""

from __future__ import annotations

import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "faults: heavy fault-injection scenario (make faults; needs RUN_FAULTS=1)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip this directory's scenarios unless RUN_FAULTS=1: a plain `pytest` (make test) must stay fast."""
    if os.environ.get("RUN_FAULTS") == "1":
        return
    skip = pytest.mark.skip(reason="fault scenario: run with `make faults` (RUN_FAULTS=1)")
    for item in items:
        if item.get_closest_marker("faults") is not None and str(item.path).startswith(HERE):
            item.add_marker(skip)
