"""The action table is what makes a new ticket action one entry: each entry must fit its command.

Why a test: the route builds the command from the body's fields by name, so a schema field the
command lacks (or a command without an actor / request id) would only fail at request time.
"""

from __future__ import annotations

from dataclasses import fields

import pytest

from api.action_routes import TicketAction
from api.ticket_actions import ACTIONS
from domain.ticket.transitions import RULES

NAMES = [action.name for action in ACTIONS]


@pytest.mark.parametrize("action", ACTIONS, ids=NAMES)
def test_the_body_fields_are_the_commands_fields(action: TicketAction) -> None:
    command_fields = {f.name for f in fields(action.command)}
    assert {"actor", "request_id"} <= command_fields
    body_fields = set(action.body.model_fields) if action.body else set()
    assert body_fields <= command_fields - {"actor", "request_id"}


@pytest.mark.parametrize("action", ACTIONS, ids=NAMES)
def test_each_action_is_a_rule_clients_see_in_allowed_actions(action: TicketAction) -> None:
    assert action.name in RULES
    assert action.update.__name__ == action.name


def test_names_and_paths_are_unique() -> None:
    assert len(set(NAMES)) == len(NAMES)
    assert len({a.path for a in ACTIONS}) == len(ACTIONS)
