"""Routing rules as a pure function: first match by position wins, else the default group (L1 only)."""

from __future__ import annotations

from domain.routing import RoutingRule, TicketFacts, route

OMNI = TicketFacts(product="Omni", module="NFe", kind="technical", org_id="org-1", channel="email")


def rule(position: int, group: str, tier: str = "L1", **conditions: str) -> RoutingRule:
    return RoutingRule(id=f"r{position}", group_id=group, position=position, tier=tier, **conditions)


def test_the_first_matching_rule_by_position_wins_not_the_first_listed() -> None:
    rules = [rule(2, "omni-any", product="omni"), rule(1, "omni-nfe", product="Omni", module="nfe")]
    assert route(rules, OMNI, "default") == "omni-nfe"
    assert (
        route([rule(1, "omni-any", product="omni"), rule(2, "omni-nfe", product="Omni")], OMNI, "d")
        == "omni-any"
    )


def test_every_condition_must_hold_and_an_absent_field_never_matches() -> None:
    rules = [rule(1, "phone", channel="phone"), rule(2, "org1-incident", org_id="org-1", kind="incident")]
    assert route(rules, OMNI, "default") == "default"
    assert (
        route([rule(1, "by-product", product="omni")], TicketFacts(kind="question"), "default") == "default"
    )


def test_no_match_and_no_default_gives_no_group() -> None:
    assert route([rule(1, "x", product="other")], OMNI, None) is None


def test_l2_rules_answer_only_transfers_and_never_fall_back_to_the_default() -> None:
    rules = [rule(1, "l1-omni", product="omni"), rule(1, "po-omni", tier="L2", product="omni")]
    assert route(rules, OMNI, "default") == "l1-omni"
    assert route(rules, OMNI, "default", tier="L2") == "po-omni"
    assert route(rules, TicketFacts(product="other"), "default", tier="L2") is None
