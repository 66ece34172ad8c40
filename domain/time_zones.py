"""Time zones from the pinned `tzdata` package, never from the host's zoneinfo files.

`ZoneInfo(name)` reads the first match on `zoneinfo.TZPATH` (the host's /usr/share/zoneinfo, or
PYTHONTZPATH) and falls back to `tzdata` only when the host has none. Workers on two hosts with
different tz database releases would then compute different deadlines for the same history, and a
replay on another host could diverge. So every zone the domain uses is built here, from the
`tzdata` release pyproject.toml pins, whatever the host has or `TZPATH` says.

Zones are cached for the life of the process: one object per name, as `ZoneInfo(name)` gives, so
that datetimes in one zone share their tzinfo (Python compares and subtracts those by wall time).
They pickle and deep-copy by name, back to that same object. The cache is process-wide: if
`domain/` is ever sandboxed rather than passed through, keep this module passed through.
"""

from __future__ import annotations

import threading
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # noqa: TID251 - the one place zones are built

import tzdata

__all__ = ["TZDATA_VERSION", "zone", "zone_names"]

TZDATA_VERSION: str = tzdata.IANA_VERSION  # the tz database release every zone comes from
_LOCK = threading.Lock()


class PackagedZone(ZoneInfo):
    """A zone read from the tzdata package. `ZoneInfo.from_file` zones refuse to pickle; this one
    pickles (and deep-copies) as its name, and comes back as the cached zone of that name."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (zone, (str(self.key),))


@cache
def zone_names() -> frozenset[str]:
    """Every zone name the pinned tzdata release knows (its own list, as zoneinfo uses it)."""
    return frozenset(resources.files(tzdata).joinpath("zones").read_text(encoding="utf-8").split())


def zone(name: str) -> ZoneInfo:
    """The zone called `name` (an IANA key such as "America/Sao_Paulo") from the tzdata package.

    An unknown name raises `ZoneInfoNotFoundError`, as `ZoneInfo(name)` does. Only names in the
    package's own list are opened, so a name can never reach a file outside it.
    """
    if not isinstance(name, str) or name not in zone_names():
        raise ZoneInfoNotFoundError(f"No time zone found with key {name}")
    found = _ZONES.get(name)
    if found is not None:
        return found
    with _LOCK:
        if name not in _ZONES:
            path = resources.files(tzdata).joinpath("zoneinfo", *name.split("/"))
            with path.open("rb") as data:
                _ZONES[name] = PackagedZone.from_file(data, key=name)
        return _ZONES[name]


_ZONES: dict[str, PackagedZone] = {}
