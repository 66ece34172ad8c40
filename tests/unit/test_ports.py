"""tests/support/ports.py: picks outside the kernel's ephemeral range, never one another process holds."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ports


def test_picks_are_distinct_and_below_the_ephemeral_range() -> None:
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    picked = [ports.free_port() for _ in range(20)]
    assert len(set(picked)) == 20
    assert all(ports.FIRST <= port < low for port in picked)


def test_a_port_held_by_another_process_is_not_picked() -> None:
    """Another test process's claim (the lock file) is respected, even though the port is unbound."""
    mine = ports.free_port()
    script = f"import sys; from tests.support import ports; sys.exit(0 if ports._claim({mine}) else 3)"
    other = subprocess.run([sys.executable, "-c", script], cwd=".", check=False)
    assert other.returncode == 3


def test_a_port_something_listens_on_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        taken = listener.getsockname()[1]
        monkeypatch.setattr(ports, "FIRST", taken)
        monkeypatch.setattr(ports, "LAST", taken)
        listener.listen()
        try:
            ports.free_port()
        except RuntimeError as exc:
            assert str(taken) in str(exc)
        else:
            raise AssertionError("a port in use was handed out")
