"""Full-text search over tickets: subject, description and messages (and internal notes for staff).

Documents live in `ticket_search` (migration 0012), rebuilt per ticket by the projection in its own
transaction whenever it writes a text-bearing event (`refresh_search`). Queries are parsed in
Portuguese, English and Spanish, accents stripped (`ticket_search_query`), with web-search syntax:
all words, "phrases", -exclusions.

Ranking is `ts_rank` (weights: subject 1.0 > description 0.4 > messages 0.2 > notes 0.1, and how
often the words occur), newest first at a tie. Ranking needs every matching document, which for a
common word is most of the table; so, as Zendesk's search caps its results at 1,000, a search ranks
the newest `SEARCH_WINDOW` matches (all of them when there are fewer): 200, measured at 100,000
tickets (BENCHMARKS.md) to keep a search near a plain list's cost. `ts_rank_cd` (cover density) cost
three times as much per document with multi-word queries, for little difference on tickets.

The cursor carries the window's newest id (`anchor`), so the pages of one search rank the same
window even while new tickets arrive, and (score, id) for the keyset.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import REAL, ColumnElement, Select, and_, cast, func, literal, or_, select
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.ext.asyncio import AsyncConnection

from store.scope import Scope, ticket_visible
from store.tables import tickets
from store.ticket_queries import TicketFilter, filtered
from store.ticket_search_tables import ticket_search

SEARCH_WINDOW = 200
PROBE_TICKETS = 2_000  # the recent tickets a common word's window is looked for in first
TEXT_EVENTS = frozenset({"ticket_created", "reply_added", "note_added", "merged_from"})
RANK_NORMALISATION = 32  # rank / (rank + 1): scores in [0, 1)


@dataclass(frozen=True)
class SearchCursor:
    """Where the next page starts: the last row's score and id, and the window's newest id."""

    score: float
    ticket_id: int
    anchor: int


@dataclass(frozen=True)
class SearchPage:
    rows: list[dict[str, Any]]
    next_cursor: SearchCursor | None


def owes_refresh(event_types: Iterable[str]) -> bool:
    """Only events that carry text change a document: most projections (status, SLA) skip the rebuild."""
    return any(t in TEXT_EVENTS for t in event_types)


async def refresh_search(conn: AsyncConnection, ticket_ids: list[int]) -> None:
    """Rebuild the documents of these tickets from their subject and events, in the caller's transaction."""
    await conn.execute(select(func.ticket_search_refresh(ticket_ids)))


def _document(include_internal: bool) -> ColumnElement[Any]:
    """The column (or the indexed expression) a caller may search: notes are for staff only."""
    if include_internal:
        return func.coalesce(ticket_search.c.staff_doc, ticket_search.c.public_doc)
    return ticket_search.c.public_doc


def _window(
    scope: Scope, f: TicketFilter, q: str, include_internal: bool, anchor: int | None, recent_only: bool
) -> Select[Any]:
    """The newest SEARCH_WINDOW matches within the caller's filters, scored.

    Two plans, because one cannot serve both a common and a rare word (measured at 100,000 tickets):
    `recent_only` walks `ticket_search`'s primary key backwards over at most the newest PROBE_TICKETS
    tickets and stops once the window is full, which a common word fills at once; otherwise every match
    comes from the GIN index and the newest are sorted out (`ticket_id + 0` keeps Postgres from walking
    the whole primary key hoping to meet a rare word soon: 413 ms for one in 1,000 tickets).
    """
    doc = _document(include_internal)
    query = func.ticket_search_query(q, type_=TSQUERY)
    base = filtered(replace(f, q=None)).where(ticket_visible(scope)).with_only_columns(tickets.c.id)
    newest_first = ticket_search.c.ticket_id.desc() if recent_only else (ticket_search.c.ticket_id + 0).desc()
    window = (
        base.join(ticket_search, ticket_search.c.ticket_id == tickets.c.id)
        .add_columns(func.ts_rank(doc, query, RANK_NORMALISATION).label("score"))
        .where(doc.op("@@")(query))
        .order_by(newest_first)
        .limit(SEARCH_WINDOW)
    )
    if anchor is not None:
        window = window.where(ticket_search.c.ticket_id <= anchor)
    if recent_only:
        window = window.where(ticket_search.c.ticket_id > _newest(anchor) - PROBE_TICKETS)
    return window


def _newest(anchor: int | None) -> ColumnElement[Any]:
    """The search's newest ticket: the cursor's anchor, or (first page) the newest document."""
    if anchor is not None:
        return literal(anchor)
    return select(func.max(ticket_search.c.ticket_id)).scalar_subquery()


async def search_tickets(
    conn: AsyncConnection,
    scope: Scope,
    f: TicketFilter,
    q: str,
    include_internal: bool,
    limit: int,
    cursor: SearchCursor | None = None,
) -> SearchPage:
    """One page of matches, best first, within `scope`; the filters narrow it as they narrow the list.

    The recent tickets are tried first; when they hold fewer matches than the window, the word is
    rare enough for the index to list every match cheaply.
    """
    anchor = cursor.anchor if cursor else None
    rows = await _ranked_page(conn, _window(scope, f, q, include_internal, anchor, True), cursor, limit)
    if not rows or rows[0].window_size < SEARCH_WINDOW:
        rows = await _ranked_page(conn, _window(scope, f, q, include_internal, anchor, False), cursor, limit)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more:
        newest = cursor.anchor if cursor else int(rows[0].anchor)
        next_cursor = SearchCursor(float(rows[-1].score), int(rows[-1].id), newest)
    return SearchPage([dict(row.snapshot) for row in rows], next_cursor)


async def _ranked_page(
    conn: AsyncConnection, window_query: Select[Any], cursor: SearchCursor | None, limit: int
) -> list[Any]:
    """The window ranked, after the cursor, with each row's snapshot, the window's size and newest id."""
    window = window_query.subquery("window")
    ranked = select(
        window.c.id,
        window.c.score,
        func.max(window.c.id).over().label("anchor"),
        func.count().over().label("window_size"),
    ).subquery("ranked")
    page = select(
        ranked.c.id, ranked.c.score, ranked.c.anchor, ranked.c.window_size, tickets.c.snapshot
    ).join(tickets, tickets.c.id == ranked.c.id)
    if cursor is not None:
        page = page.where(_after(ranked.c.score, ranked.c.id, cursor))
    page = page.order_by(ranked.c.score.desc(), ranked.c.id.desc()).limit(limit + 1)
    return list((await conn.execute(page)).all())


def _after(score: Any, ticket_id: Any, cursor: SearchCursor) -> ColumnElement[bool]:
    """Strictly after the cursor in (score desc, id desc); the score compared as the `real` it was."""
    last = cast(literal(cursor.score), REAL)
    return or_(score < last, and_(score == last, ticket_id < cursor.ticket_id))
