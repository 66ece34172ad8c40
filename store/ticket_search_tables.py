"""The `ticket_search` table: one full-text document per ticket, kept by the projection.

A table of its own rather than columns of `tickets`: the documents are large (each text indexed in
three languages) and would widen the rows every list query reads. Migration 0012 creates it, with the
SQL functions `ticket_search_vector`, `ticket_search_query` and `ticket_search_refresh`.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Table, func
from sqlalchemy.dialects.postgresql import TSVECTOR

from store.tables import metadata

ticket_search = Table(
    "ticket_search",
    metadata,
    Column("ticket_id", BigInteger, primary_key=True),
    Column("public_doc", TSVECTOR, nullable=False),
    # Public text plus internal notes; NULL when the ticket has no notes (then it equals public_doc).
    Column("staff_doc", TSVECTOR),
    Column("refreshed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
