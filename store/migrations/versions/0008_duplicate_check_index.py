"""Duplicate check on create: a trigram index over the open tickets of each organisation.

`similar_open_tickets` filters on org_id, an open status and `subject % :s`. Neither existing index
serves that: `ix_tickets_org_status_id` leaves a similarity computation per open ticket of the
organisation (linear in it: 238 ms at 6,411), and `ix_tickets_subject_trgm` covers every ticket of
every organisation, so a subject made of common words walks long posting lists whatever the
organisation's size (slower than the org index below ~2,000 open tickets). This GiST index holds only
open tickets and is organised by org_id first (btree_gist), so a scan stays within the organisation's
part of the tree. (A GIN (org_id, subject) index did as well for the largest organisation, but its
trigram posting lists still span every organisation: ~3 ms where GiST takes ~0.5 ms for small ones.)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")  # trusted: a database owner may create it
    op.create_index(
        "ix_tickets_open_org_subject_trgm",
        "tickets",
        ["org_id", "subject"],
        postgresql_using="gist",
        postgresql_ops={"subject": "gist_trgm_ops"},
        postgresql_where=sa.text("status IN ('open', 'pending', 'escalated')"),
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_open_org_subject_trgm", "tickets")
    op.execute("DROP EXTENSION IF EXISTS btree_gist")
