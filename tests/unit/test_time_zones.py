"""Zones come from the pinned tzdata package, never from the host's zoneinfo files (issue #14).

Two workers on hosts with different tz database releases must compute the same deadlines for the
same history. The subprocess tests point PYTHONTZPATH (what `zoneinfo` reads first) at a directory
the test controls: an empty one, and one whose America/Sao_Paulo is really Tokyo. The domain's
clocks must not notice either.
"""

from __future__ import annotations

import copy
import json
import os
import pickle
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest
import tzdata

from domain.business_days import business_days_later, local_today
from domain.calendar import BusinessCalendar, CalendarError, CalendarSpec, WeeklyInterval
from domain.time_zones import TZDATA_VERSION, zone

ROOT = Path(__file__).resolve().parents[2]
SAO_PAULO = "America/Sao_Paulo"

# What a worker computes with the desk's calendar: Mon-Fri 09:00-17:00 São Paulo (UTC-3 all year
# since 2019), from Friday 2026-11-20 16:00 local (19:00 UTC).
PROBE = """
import json
from datetime import UTC, datetime, time, timedelta
from domain.business_days import business_days_later, local_today
from domain.calendar import BusinessCalendar
from domain.time_zones import zone

calendar = BusinessCalendar("America/Sao_Paulo", {d: [(time(9), time(17))] for d in range(5)})
friday = datetime(2026, 11, 20, 19, 0, tzinfo=UTC)
print(json.dumps({
    "next_open": calendar.next_open(datetime(2026, 11, 21, 12, 0, tzinfo=UTC)).astimezone(UTC).isoformat(),
    "two_hours_later": calendar.add(friday, timedelta(hours=2)).astimezone(UTC).isoformat(),
    "three_days_later": business_days_later(calendar, friday, 3).astimezone(UTC).isoformat(),
    "local_today": local_today(calendar, datetime(2026, 11, 21, 1, 0, tzinfo=UTC)).isoformat(),
    "offset": zone("America/Sao_Paulo").utcoffset(friday).total_seconds(),
}))
"""
EXPECTED = {
    "next_open": "2026-11-23T12:00:00+00:00",  # Monday 09:00 -03
    "two_hours_later": "2026-11-23T13:00:00+00:00",  # 1 h on Friday, 1 h on Monday
    "three_days_later": "2026-11-25T19:00:00+00:00",  # Wednesday 16:00 -03
    "local_today": "2026-11-20",  # 22:00 on Friday in São Paulo
    "offset": -3 * 3600,
}


def probe(tzpath: Path) -> dict[str, object]:
    """The clocks as a worker whose host zoneinfo is `tzpath` computes them."""
    env = {**os.environ, "PYTHONTZPATH": str(tzpath)}
    result = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def test_the_clocks_do_not_read_the_hosts_zone_files(tmp_path: Path) -> None:
    """A host whose America/Sao_Paulo file says something else (here: Tokyo's rules)."""
    lying = tmp_path / "zoneinfo"
    (lying / "America").mkdir(parents=True)
    tokyo = resources.files(tzdata).joinpath("zoneinfo", "Asia", "Tokyo").read_bytes()
    (lying / "America" / "Sao_Paulo").write_bytes(tokyo)
    assert probe(lying) == EXPECTED


def test_the_clocks_work_on_a_host_without_zone_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert probe(empty) == EXPECTED


def test_a_zone_is_the_pinned_release_one_object_per_name() -> None:
    sao_paulo = zone(SAO_PAULO)
    assert sao_paulo is zone(SAO_PAULO)
    assert (sao_paulo.key, str(sao_paulo)) == (SAO_PAULO, SAO_PAULO)
    assert TZDATA_VERSION == tzdata.IANA_VERSION
    with resources.files(tzdata).joinpath("zoneinfo", "America", "Sao_Paulo").open("rb") as data:
        packaged = ZoneInfo.from_file(data, key=SAO_PAULO)
    # Brazil's last daylight saving time (2018-11-04 .. 2019-02-17) and after it.
    for instant in (
        datetime(2018, 12, 1, tzinfo=UTC),
        datetime(2019, 3, 1, tzinfo=UTC),
        datetime(2026, 1, 1),
    ):
        assert sao_paulo.utcoffset(instant) == packaged.utcoffset(instant)
    assert sao_paulo.utcoffset(datetime(2018, 12, 1)) == timedelta(hours=-2)


def test_a_zone_pickles_and_copies_as_itself() -> None:
    """A `ZoneInfo.from_file` zone refuses to pickle; states holding local datetimes are deep-copied."""
    at = datetime(2026, 11, 20, 16, 0, tzinfo=zone(SAO_PAULO))
    assert copy.deepcopy(at).tzinfo is zone(SAO_PAULO)
    assert pickle.loads(pickle.dumps(at)).tzinfo is zone(SAO_PAULO)
    assert copy.deepcopy({"due": at}) == {"due": at}


@pytest.mark.parametrize(
    "name", ["Mars/Olympus_Mons", "america/sao_paulo", "../../etc/passwd", "/etc/localtime", "", "zones"]
)
def test_an_unknown_name_is_refused_as_zoneinfo_does(name: str) -> None:
    with pytest.raises(ZoneInfoNotFoundError):
        zone(name)


def test_a_calendar_in_an_unknown_zone_is_refused_clearly() -> None:
    weekly = (WeeklyInterval(0, "09:00", "17:00"),)
    with pytest.raises(CalendarError, match="unknown time zone 'Mars/Olympus_Mons'"):
        BusinessCalendar.from_spec(CalendarSpec("Mars/Olympus_Mons", weekly))


def test_local_dates_are_in_the_calendars_packaged_zone() -> None:
    calendar = BusinessCalendar(SAO_PAULO, {d: [(time(9), time(17))] for d in range(5)})
    late_friday = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
    assert local_today(calendar, late_friday) == date(2026, 11, 20)
    later = business_days_later(calendar, datetime(2026, 11, 20, 19, 0, tzinfo=UTC), 1)
    assert later.tzinfo is zone(SAO_PAULO)
