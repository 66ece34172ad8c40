"""The read model's tables. Temporal owns ticket state; these rows are its projection plus identities."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Sequence,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

metadata = MetaData()

ticket_id_seq = Sequence("ticket_id_seq", start=1000, metadata=metadata)

organisations = Table(
    "organisations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", Text, nullable=False),
    Column("slug", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sla_policy", Text),
)

users = Table(
    "users",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), ForeignKey("organisations.id"), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("email", Text, nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("locale", String(16), nullable=False, server_default="en"),
    # Staff only: whether this agent gets e-mail about their tickets (replies, assignment, reopen,
    # verification answers). Customers' mail does not look at it.
    Column("notify_by_email", Boolean, nullable=False, server_default="true"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False, index=True),
    Column("name", Text, nullable=False, server_default=""),
    Column("prefix", String(16), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("org_id", String(36), nullable=False),
    Column("requester_id", String(36), nullable=False),
    Column("assignee_id", String(36)),
    Column("status", String(16), nullable=False),
    Column("severity", Integer, nullable=False),
    Column("impact", Text),
    Column("tier", String(4), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("product", Text),
    Column("module", Text),
    Column("environment", String(16), nullable=False),
    Column("subject", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    Column("snapshot", JSONB, nullable=False),
    Column("sla_policy", Text),
    Column("sla_breached", Boolean, nullable=False, server_default="false"),
    Column("sla_next_due", DateTime(timezone=True)),
    Column("group_id", String(36)),  # queues: store/queue_tables.py, migration 0013
    Column("tags", ARRAY(Text), nullable=False, server_default="{}"),
    Index("ix_tickets_status_id", "status", "id"),
    Index("ix_tickets_org_status_id", "org_id", "status", "id"),
    Index("ix_tickets_requester_id", "requester_id", "id"),
    Index("ix_tickets_assignee_id", "assignee_id", "id"),
    Index("ix_tickets_created_at", "created_at"),
    Index("ix_tickets_sla_next_due", "sla_next_due"),
    Index("ix_tickets_sla_breached_id", "id", postgresql_where=text("sla_breached")),
    Index("ix_tickets_group_due_id", "group_id", "sla_next_due", "id"),
    Index("ix_tickets_due_id", "sla_next_due", "id"),
    Index("ix_tickets_updated_id", "updated_at", "id"),
    Index("ix_tickets_tags", "tags", postgresql_using="gin"),
    Index(
        "ix_tickets_subject_trgm",
        "subject",
        postgresql_using="gin",
        postgresql_ops={"subject": "gin_trgm_ops"},
    ),
    # The duplicate check on create (store.ticket_queries.similar_open_tickets); needs btree_gist.
    Index(
        "ix_tickets_open_org_subject_trgm",
        "org_id",
        "subject",
        postgresql_using="gist",
        postgresql_ops={"subject": "gist_trgm_ops"},
        postgresql_where=text("status IN ('open', 'pending', 'escalated')"),
    ),
)

ticket_events = Table(
    "ticket_events",
    metadata,
    Column("ticket_id", BigInteger, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("type", String(32), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor_id", String(36)),
    Column("actor_role", String(16)),
    Column("on_behalf_of", String(36)),
    Column("data", JSONB, nullable=False),
    PrimaryKeyConstraint("ticket_id", "seq"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("user_id", String(36), nullable=False),
    Column("key", String(255), nullable=False),
    Column("endpoint", Text, nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("resource_id", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("user_id", "key"),
)

calendars = Table(
    "calendars",
    metadata,
    Column("name", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("spec", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("name", "version"),
)

sla_policies = Table(
    "sla_policies",
    metadata,
    Column("name", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("spec", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("name", "version"),
)

notifications = Table(
    "notifications",
    metadata,
    Column("ticket_id", BigInteger, nullable=False),
    # What owes it: "ticket", or the escalation's id (its events are numbered on their own).
    Column("source", String(40), nullable=False, server_default="ticket"),
    Column("seq", Integer, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("data", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("failed_at", DateTime(timezone=True)),
    Column("last_error", Text),
    # Done without a mail: the event owed nobody one (e.g. a status change other than "resolved",
    # an agent who opted out). Never `sent_at`, so "sent" always means a mail went out.
    Column("skipped_at", DateTime(timezone=True)),
    Column("skip_reason", Text),
    PrimaryKeyConstraint("ticket_id", "source", "seq", "kind"),
)

escalation_number_seq = Sequence("escalation_number_seq", start=1, metadata=metadata)

escalations = Table(
    "escalations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("ticket_id", BigInteger, nullable=False, index=True),
    Column("org_id", String(36), nullable=False),
    Column("stage", String(16), nullable=False),
    Column("target", String(16), nullable=False),
    Column("eta", Date),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    Column("snapshot", JSONB, nullable=False),
    Index("ix_escalations_stage_id", "stage", "id"),
    Index("ix_escalations_org_id", "org_id"),
)

escalation_events = Table(
    "escalation_events",
    metadata,
    Column("escalation_id", String(32), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("type", String(32), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor_id", String(36)),
    Column("actor_role", String(16)),
    Column("data", JSONB, nullable=False),
    PrimaryKeyConstraint("escalation_id", "seq"),
)

escalation_cards = Table(
    "escalation_cards",
    metadata,
    Column("escalation_id", String(32), nullable=False),
    Column("card_key", String(64), nullable=False),
    Column("active", Boolean, nullable=False),
    PrimaryKeyConstraint("escalation_id", "card_key"),
    Index("ix_escalation_cards_key", "card_key"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("identifier", String(128), primary_key=True),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
