"""Typed timeline events: one schema per event type, as a union discriminated by `type`.

Why: a client reading a timeline must know what `data` holds for each kind of event; with
`data: object` the OpenAPI document said nothing. Each entity lists its event types and their
data in a table (`api.schemas.ticket_events`, `api.schemas.escalation_events`); this builds the
per-type models and the union from such a table, so adding an event type is one entry, and
tests/api/test_timeline_schemas.py fails when the domain records a type no table lists.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union, cast

from pydantic import BaseModel, ConfigDict, Field, create_model


class EventData(BaseModel):
    """Base of every event's data: known fields typed; fields a newer domain adds pass through."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _model_name(prefix: str, event_type: str) -> str:
    """`TicketStatusChangedEvent`; `TicketCreatedEvent` rather than `TicketTicketCreatedEvent`."""
    camel = _camel(event_type)
    return f"{camel if camel.startswith(prefix) else prefix + camel}Event"


def event_union(prefix: str, base: type[BaseModel], table: dict[str, type[EventData]]) -> Any:
    """`Annotated[Union[<prefix><Type>Event, ...], discriminator="type"]` from {type: data model}."""
    variants = [
        create_model(
            _model_name(prefix, event_type),
            __base__=base,
            type=(cast(Any, Literal)[event_type], ...),
            data=(data, ...),
        )
        for event_type, data in table.items()
    ]
    return Annotated[Union[tuple(variants)], Field(discriminator="type")]  # noqa: UP007
