"""Who may write by e-mail: the decision, and the From check it relies on."""

from __future__ import annotations

import pytest

from domain.from_header import sender_problem_of
from domain.mail_admission import Evidence, SuspendReason, admit

CUSTOMER = Evidence(sender_known=True, sender_is_customer=True)


def test_a_verified_token_is_a_reply_to_its_ticket() -> None:
    admission = admit(
        Evidence(sender_known=True, sender_is_customer=True, token_ticket_id=9, claimed_ticket_id=3)
    )
    assert not admission.suspended and admission.ticket_id == 9


def test_a_subject_tag_alone_authenticates_nothing() -> None:
    admission = admit(Evidence(sender_known=True, sender_is_customer=True, claimed_ticket_id=3))
    assert admission.reason is SuspendReason.UNAUTHENTICATED


def test_a_trusted_dmarc_pass_follows_the_claim_or_opens() -> None:
    assert (
        admit(
            Evidence(sender_known=True, sender_is_customer=True, dmarc_pass=True, claimed_ticket_id=3)
        ).ticket_id
        == 3
    )
    opened = admit(Evidence(sender_known=True, sender_is_customer=True, dmarc_pass=True))
    assert not opened.suspended and opened.ticket_id is None


@pytest.mark.parametrize(
    ("evidence", "reason"),
    [
        (
            Evidence(automatic=True, sender_known=True, sender_is_customer=True, token_ticket_id=1),
            SuspendReason.AUTOMATIC,
        ),
        (
            Evidence(
                sender_problem="2 From headers", sender_known=True, sender_is_customer=True, token_ticket_id=1
            ),
            SuspendReason.SENDER_PROBLEM,
        ),
        (
            Evidence(over_limit=True, sender_known=True, sender_is_customer=True, token_ticket_id=1),
            SuspendReason.SENDER_OVER_LIMIT,
        ),
        (Evidence(dmarc_pass=True), SuspendReason.UNKNOWN_SENDER),
        (Evidence(sender_known=True, dmarc_pass=True), SuspendReason.NOT_A_CUSTOMER),
    ],
)
def test_reasons_to_hold_win_over_any_authentication(evidence: Evidence, reason: SuspendReason) -> None:
    assert admit(evidence).reason is reason


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        (["Ana <ana@acme.example>"], None),
        (["ana@acme.example"], None),
        ([], "0 From headers"),
        (["ana@acme.example", "bob@acme.example"], "2 From headers"),
        (["ana@acme.example, bob@evil.example"], "From names 2 addresses"),
        (["ana@acme.example <bob@evil.example>"], "From names 2 addresses"),
        (["Ana"], "From is not a mailbox address"),
        (["(only a comment)"], "From names 0 addresses"),
        (["ana@localhost"], "From is not a mailbox address"),
    ],
)
def test_from_must_name_one_mailbox(values: list[str], problem: str | None) -> None:
    assert sender_problem_of(values) == problem
