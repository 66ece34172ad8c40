"""Ticket full-text search documents and outgoing webhooks (endpoints and outbox); the audit log is 0014.

Search: one row per ticket in `ticket_search`, kept by the projection in its own transaction through
`ticket_search_refresh(ids)`, which rebuilds the rows of those tickets from `tickets.subject` and their
text-bearing events. A ticket's language is not known, so each text is indexed in Portuguese, English
and Spanish at once (the accent-stripping configurations of migration 0005) and queries are the OR of
the three parses (`ticket_search_query`). Weights: subject A, description B, public messages C,
internal notes D. `staff_doc` (public text plus notes) is stored only when the ticket has notes, so
staff search `coalesce(staff_doc, public_doc)`, customers `public_doc`: each has its own GIN index.
Each part is cut at 100,000 characters so a huge thread cannot exceed tsvector's 1 MB limit and
make the projection (and with it the ticket's workflow) fail.

Webhooks: admins' endpoints (URL, chosen events, secret, status with the last error) and the outbox the
projection fills in the same transaction as the events; the deliverer claims due rows with SKIP LOCKED.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

PART_CHARS = 100_000

SEARCH_VECTOR = """
CREATE OR REPLACE FUNCTION ticket_search_vector(body text, weight "char") RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT setweight(
    to_tsvector('pt_unaccent'::regconfig, coalesce(body, ''))
    || to_tsvector('en_unaccent'::regconfig, coalesce(body, ''))
    || to_tsvector('es_unaccent'::regconfig, coalesce(body, '')),
    weight)
$$
"""

SEARCH_QUERY = """
CREATE OR REPLACE FUNCTION ticket_search_query(q text) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT websearch_to_tsquery('pt_unaccent'::regconfig, q)
    || websearch_to_tsquery('en_unaccent'::regconfig, q)
    || websearch_to_tsquery('es_unaccent'::regconfig, q)
$$
"""

# Bodies of the messages an event carries: a reply or note, a chat transcript, merged messages.
SEARCH_REFRESH = f"""
CREATE OR REPLACE FUNCTION ticket_search_refresh(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO ticket_search (ticket_id, public_doc, staff_doc, refreshed_at)
  SELECT t.id, d.public_doc,
         CASE WHEN d.notes IS NULL THEN NULL ELSE d.public_doc || ticket_search_vector(d.notes, 'D') END,
         now()
  FROM tickets t
  CROSS JOIN LATERAL (
    SELECT ticket_search_vector(t.subject, 'A')
           || ticket_search_vector(left(string_agg(e.data->>'description', ' ' ORDER BY e.seq)
                FILTER (WHERE e.type = 'ticket_created'), {PART_CHARS}), 'B')
           || ticket_search_vector(left(string_agg(m.body, ' ' ORDER BY e.seq)
                FILTER (WHERE e.type <> 'note_added'), {PART_CHARS}), 'C') AS public_doc,
           left(string_agg(m.body, ' ' ORDER BY e.seq) FILTER (WHERE e.type = 'note_added'),
                {PART_CHARS}) AS notes
    FROM ticket_events e
    CROSS JOIN LATERAL (
      SELECT CASE
        WHEN e.type = 'reply_added' AND coalesce((e.data->>'internal')::boolean, false) THEN NULL
        WHEN e.type IN ('reply_added', 'note_added') THEN e.data->>'body'
        WHEN e.type = 'ticket_created' THEN (
          SELECT string_agg(x->>'body', ' ') FROM jsonb_array_elements(
            CASE WHEN jsonb_typeof(e.data->'transcript') = 'array' THEN e.data->'transcript' ELSE '[]' END) x)
        WHEN e.type = 'merged_from' THEN (
          SELECT string_agg(x->>'body', ' ') FROM jsonb_array_elements(
            CASE WHEN jsonb_typeof(e.data->'messages') = 'array' THEN e.data->'messages' ELSE '[]' END) x)
      END AS body
    ) m
    WHERE e.ticket_id = t.id AND e.type IN ('ticket_created', 'reply_added', 'note_added', 'merged_from')
  ) d
  WHERE t.id = ANY(ids)
  ON CONFLICT (ticket_id) DO UPDATE
    SET public_doc = EXCLUDED.public_doc, staff_doc = EXCLUDED.staff_doc, refreshed_at = EXCLUDED.refreshed_at
$$
"""


def _search() -> None:
    op.create_table(
        "ticket_search",
        sa.Column("ticket_id", sa.BigInteger, primary_key=True),
        sa.Column("public_doc", TSVECTOR, nullable=False),
        sa.Column("staff_doc", TSVECTOR),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.execute("CREATE INDEX ix_ticket_search_public ON ticket_search USING gin (public_doc)")
    op.execute(
        "CREATE INDEX ix_ticket_search_staff ON ticket_search USING gin ((coalesce(staff_doc, public_doc)))"
    )
    for statement in (SEARCH_VECTOR, SEARCH_QUERY, SEARCH_REFRESH):
        op.execute(statement)
    op.execute("SELECT ticket_search_refresh(ARRAY(SELECT id FROM tickets))")


def _webhooks() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("events", ARRAY(sa.Text), nullable=False),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("created_by", sa.String(36)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("failing_since", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
        sa.Column("last_failure_at", sa.DateTime(timezone=True)),
        sa.Column("last_success_at", sa.DateTime(timezone=True)),
        sa.Column("disabled_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("status IN ('active', 'disabled')", name="ck_webhook_endpoints_status"),
    )
    op.create_table(
        "webhook_outbox",
        sa.Column("endpoint_id", sa.String(36), sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE")),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(40), nullable=False),
        sa.Column("ticket_id", sa.BigInteger, nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
        sa.PrimaryKeyConstraint("endpoint_id", "event_id"),
    )
    op.execute(
        "CREATE INDEX ix_webhook_outbox_due ON webhook_outbox (next_attempt_at) WHERE delivered_at IS NULL"
    )


def upgrade() -> None:
    _search()
    _webhooks()


def downgrade() -> None:
    op.drop_table("webhook_outbox")
    op.drop_table("webhook_endpoints")
    op.drop_table("ticket_search")
    for function in (
        "ticket_search_refresh(bigint[])",
        "ticket_search_query(text)",
        'ticket_search_vector(text, "char")',
    ):
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
