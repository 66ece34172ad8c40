"""Queues: groups of agents and their members, routing rules, macros; tickets get a group and tags.

Tickets' `group_id` and `tags` are copies of the workflow's state (the projection writes them) so
that queue lists, `tag=` filters and the counts per queue are plain indexed SQL. Keyset pagination
sorts by (next SLA deadline, id) and (last activity, id): each has its index.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "groups",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("tier", sa.String(4), nullable=False),
        sa.Column("is_default", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index(
        "ux_groups_default", "groups", ["is_default"], unique=True, postgresql_where=sa.text("is_default")
    )
    op.create_table(
        "group_members",
        sa.Column("group_id", sa.String(36), sa.ForeignKey("groups.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "user_id"),
    )
    op.create_index("ix_group_members_user", "group_members", ["user_id"])
    op.create_table(
        "routing_rules",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("tier", sa.String(4), nullable=False, server_default="L1"),
        sa.Column("group_id", sa.String(36), sa.ForeignKey("groups.id", ondelete="CASCADE"), nullable=False),
        sa.Column("product", sa.Text),
        sa.Column("module", sa.Text),
        sa.Column("kind", sa.String(16)),
        sa.Column("org_id", sa.String(36)),
        sa.Column("channel", sa.String(16)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_routing_rules_tier_position", "routing_rules", ["tier", "position"])
    op.create_table(
        "macros",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("group_id", sa.String(36), sa.ForeignKey("groups.id", ondelete="CASCADE")),
        sa.Column("reply", sa.Text),
        sa.Column("internal", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("actions", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.add_column("tickets", sa.Column("group_id", sa.String(36)))
    op.add_column("tickets", sa.Column("tags", ARRAY(sa.Text), nullable=False, server_default="{}"))
    op.create_index("ix_tickets_group_due_id", "tickets", ["group_id", "sla_next_due", "id"])
    op.create_index("ix_tickets_due_id", "tickets", ["sla_next_due", "id"])
    op.create_index("ix_tickets_updated_id", "tickets", ["updated_at", "id"])
    op.create_index("ix_tickets_tags", "tickets", ["tags"], postgresql_using="gin")


def downgrade() -> None:
    for index in ("ix_tickets_tags", "ix_tickets_updated_id", "ix_tickets_due_id", "ix_tickets_group_due_id"):
        op.drop_index(index, "tickets")
    op.drop_column("tickets", "tags")
    op.drop_column("tickets", "group_id")
    op.drop_table("macros")
    op.drop_index("ix_routing_rules_tier_position", "routing_rules")
    op.drop_table("routing_rules")
    op.drop_index("ix_group_members_user", "group_members")
    op.drop_table("group_members")
    op.drop_index("ux_groups_default", "groups")
    op.drop_table("groups")
