"""Typed search attributes that make the Temporal UI an ops console for tickets and escalations."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

TICKET_STATUS = SearchAttributeKey.for_keyword("TicketStatus")
TICKET_SEVERITY = SearchAttributeKey.for_int("TicketSeverity")
TICKET_ORG = SearchAttributeKey.for_keyword("TicketOrg")
TICKET_ASSIGNEE = SearchAttributeKey.for_keyword("TicketAssignee")
SLA_BREACHED = SearchAttributeKey.for_bool("SlaBreached")
SLA_NEXT_DEADLINE = SearchAttributeKey.for_datetime("SlaNextDeadline")
ESCALATION_STAGE = SearchAttributeKey.for_keyword("EscalationStage")
DEV_CARDS = SearchAttributeKey.for_keyword_list("DevCards")
TICKET_GROUP = SearchAttributeKey.for_keyword("TicketGroup")
TICKET_TIER = SearchAttributeKey.for_keyword("TicketTier")

ALL_KEYS: tuple[SearchAttributeKey, ...] = (
    TICKET_STATUS,
    TICKET_SEVERITY,
    TICKET_ORG,
    TICKET_ASSIGNEE,
    SLA_BREACHED,
    SLA_NEXT_DEADLINE,
    ESCALATION_STAGE,
    DEV_CARDS,
    TICKET_GROUP,
    TICKET_TIER,
)


def cli_flags() -> list[str]:
    """`--search-attribute Name=Type` flags for `temporal server start-dev`."""
    kinds = {
        "KEYWORD": "Keyword",
        "INT": "Int",
        "BOOL": "Bool",
        "DATETIME": "Datetime",
        "KEYWORD_LIST": "KeywordList",
    }
    flags: list[str] = []
    for key in ALL_KEYS:
        flags += ["--search-attribute", f"{key.name}={kinds[key.indexed_value_type.name]}"]
    return flags
