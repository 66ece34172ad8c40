"""Loopback ports for servers the tests start (in this process or as children).

Why not "bind to port 0, read the number, close": the kernel hands out the same ephemeral range to
every process on the machine (several developers' suites run at once here), so the number could be
taken by someone else's server or outgoing connection before ours binds it. Instead ports come from
below the ephemeral range (`/proc/sys/net/ipv4/ip_local_port_range`), which the kernel never hands
out by itself, and each one is claimed with a lock file held until this process exits, so two test
processes using this helper never pick the same port. Whatever else is listening is skipped by a
bind check.
"""

from __future__ import annotations

import fcntl
import random
import socket
import tempfile
from pathlib import Path
from typing import IO

LOCK_DIR = Path(tempfile.gettempdir()) / "escalator-test-ports"
FIRST, LAST = 20_000, 32_767  # below Linux's default ephemeral range (32768–60999)
_held: dict[int, IO[bytes]] = {}  # claims kept open for the life of the process


def free_port() -> int:
    """A port that no other test process holds, not in the kernel's ephemeral range, free now."""
    LOCK_DIR.mkdir(exist_ok=True)
    span = LAST - FIRST + 1
    start = random.randrange(span)
    for offset in range(span):
        port = FIRST + (start + offset) % span
        if port in _held or not _claim(port):
            continue
        if _bindable(port):
            return port
        _held.pop(port).close()  # something else listens there: give the claim back
    raise RuntimeError(f"no free loopback port in {FIRST}-{LAST}")


def _claim(port: int) -> bool:
    """Lock `<port>.lock`; the lock lasts as long as this process (or until given back)."""
    handle = open(LOCK_DIR / f"{port}.lock", "wb")  # noqa: SIM115 - held open on purpose
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return False
    _held[port] = handle
    return True


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
