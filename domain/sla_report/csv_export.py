"""The compliance report as CSV: one line per group, for spreadsheets (breaches as a count and links)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from domain.sla_report.aggregate import ClockStats, GroupStats

COLUMNS = (
    "group_by",
    "key",
    "tickets",
    "first_response_met",
    "first_response_breached",
    "first_response_met_pct",
    "first_response_median_seconds",
    "first_response_p90_seconds",
    "resolution_met",
    "resolution_breached",
    "resolution_met_pct",
    "resolution_median_seconds",
    "resolution_p90_seconds",
    "breaches",
    "breach_links",
)


def report_csv(group_by: str, groups: Sequence[GroupStats], link: str = "/v1/tickets/{id}") -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for g in groups:
        links = " ".join(sorted({link.format(id=b.ticket_id) for b in g.breaches}))
        writer.writerow(
            [group_by, _cell(g.key), g.tickets, *_clock(g.first_response), *_clock(g.resolution)]
            + [len(g.breaches), links]
        )
    return out.getvalue()


def _clock(stats: ClockStats) -> list[object]:
    return [
        stats.met,
        stats.breached,
        _cell(stats.met_pct),
        _cell(stats.median_seconds),
        _cell(stats.p90_seconds),
    ]


def _cell(value: object) -> object:
    """Empty, not "None", for what has no value; and a guard against spreadsheet formulas in keys."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
