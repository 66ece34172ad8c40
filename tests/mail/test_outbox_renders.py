"""Every kind the outbox can hold, delivered by the real mailer to the real SMTP sink: who gets it,
in which language, with which signed links, threaded how; and rows that owe no mail say why."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime
from email.message import EmailMessage

from domain.mail_threading import REPLY_MARKER
from domain.signed_links import LinkClaims, LinkPurpose, read_link
from tests.mail.outbox_bed import BASE_URL, DOMAIN, Bed

LINK = re.compile(re.escape(f"{BASE_URL}/portal/links/") + r"([A-Za-z0-9_.-]+)")


def to(mail: EmailMessage) -> str:
    return str(mail["To"])


def links(bed: Bed, mail: EmailMessage) -> dict[LinkPurpose, LinkClaims]:
    """Every signed link in the mail, read back with the server's key (a forged one would raise)."""
    found = [read_link(bed.key, token, datetime.now(UTC)) for token in LINK.findall(mail.get_content())]
    by_purpose = {claims.purpose: claims for claims in found}
    assert len(by_purpose) == len(found), "one link per purpose"
    return by_purpose


def root(bed: Bed) -> str:
    return f"<ticket-{bed.ticket_id}-1@{DOMAIN}>"


# --- customers: signed links, ETA, survey ---------------------------------------------------------


async def test_verification_request_and_reminder_carry_two_different_signed_answers(bed: Bed) -> None:
    cp = await bed.escalate("verifying", None)
    await bed.queue("stage_changed", 4, {"from": "engineering", "to": "verifying"}, source=cp)
    await bed.queue("verification_reminder", 5, {"asked_at": "2026-12-01 13:00:00+00:00"}, source=cp)
    request, reminder = await bed.deliver()
    for mail in (request, reminder):
        assert to(mail) == bed.requester.email, "the requester answers, nobody else is asked"
        claims = links(bed, mail)
        assert set(claims) == {LinkPurpose.VERIFY_FIXED, LinkPurpose.VERIFY_NOT_FIXED, LinkPurpose.VIEW}
        assert {(c.recipient_id, c.ticket_id) for c in claims.values()} == {(bed.requester.id, bed.ticket_id)}
        assert "Funcionou:" in mail.get_content(), "in the requester's language"
        assert mail["In-Reply-To"] == root(bed)
    assert "Lembrete" in str(reminder["Subject"]) and "01/12/2026" in reminder.get_content()
    fixed, not_fixed = (
        re.search(rf"{label}: (\S+)", reminder.get_content()) for label in ("Funcionou", "corrigido")
    )
    assert fixed and not_fixed and fixed.group(1) != not_fixed.group(1)


async def test_stage_mails_show_the_eta_when_one_is_set(bed: Bed) -> None:
    cp = await bed.escalate("engineering", date(2026, 12, 18))
    await bed.queue("stage_changed", 3, {"from": "in_review", "to": "engineering"}, source=cp)
    requester, cc = await bed.deliver()
    assert "18/12/2026" in requester.get_content() and "2026-12-18" in cc.get_content()
    assert links(bed, cc)[LinkPurpose.VIEW].recipient_id == bed.cc.id, "each reader's link is their own"
    assert set(links(bed, requester)) == {LinkPurpose.VIEW}


async def test_resolution_asks_the_requester_only_with_signed_yes_and_no(bed: Bed) -> None:
    await bed.queue("status_changed", 6, {"from": "open", "to": "resolved", "actor_id": bed.agent.id})
    requester, cc = await bed.deliver()
    asked = links(bed, requester)
    assert set(asked) == {LinkPurpose.SURVEY_YES, LinkPurpose.SURVEY_NO, LinkPurpose.VIEW}
    assert {c.recipient_id for c in asked.values()} == {bed.requester.id}
    assert set(links(bed, cc)) == {LinkPurpose.VIEW} and to(cc) == bed.cc.email
    assert REPLY_MARKER in requester.get_content()


async def test_message_ids_of_the_ticket_and_its_escalation_never_collide(bed: Bed) -> None:
    cp = await bed.escalate("in_review", None)
    await bed.queue(
        "reply_added", 3, {"author": "agent", "internal": False, "body": "Olhando.", "actor_id": bed.agent.id}
    )
    await bed.queue("stage_changed", 3, {"from": "submitted", "to": "in_review"}, source=cp)
    mails = [m for m in await bed.deliver() if to(m) == bed.requester.email]
    ids = {str(m["Message-ID"]) for m in mails}
    assert len(mails) == 2 and len(ids) == 2
    assert f"<ticket-{bed.ticket_id}-{cp}-3." in " ".join(ids)
    assert all(m["In-Reply-To"] == root(bed) for m in mails), "both stay in the ticket's thread"


# --- staff: escalation alerts -----------------------------------------------------------------------


async def test_eta_passed_and_card_sync_failure_go_to_staff_never_to_customers(bed: Bed) -> None:
    cp = await bed.escalate("engineering", date(2026, 12, 1))
    reason = "400 Bad Request: project 'ESCX' does not exist"
    await bed.queue("eta_passed", 7, {"eta": "2026-12-01"}, source=cp)
    await bed.queue("card_sync_failed", 8, {"operation": "create", "reason": reason}, source=cp)
    eta, failed = await bed.deliver()
    assert {to(eta), to(failed)} == {bed.agent.email}, "the assignee, in pt-BR"
    assert "Previsão vencida" in str(eta["Subject"]) and "01/12/2026" in eta.get_content()
    assert reason in failed.get_content() and "criar o card" in failed.get_content()
    assert not links(bed, failed) and REPLY_MARKER not in failed.get_content()
    assert (await bed.row("card_sync_failed", 8, cp))["sent_at"] is not None


# --- agents: their own notices ----------------------------------------------------------------------


async def test_agent_hears_of_replies_assignment_answers_and_reopening_in_their_language(bed: Bed) -> None:
    cp = await bed.escalate("verifying", None)
    await bed.queue(
        "reply_added",
        2,
        {"author": "customer", "internal": False, "body": "Ainda falha.", "actor_id": bed.requester.id},
    )
    await bed.queue("assigned", 3, {"from": None, "to": bed.agent.id, "actor_id": bed.other_agent.id})
    await bed.queue(
        "verification_answered", 5, {"fixed": False, "comment": "Mesmo erro", "automatic": False}, source=cp
    )
    await bed.queue(
        "status_changed",
        9,
        {"from": "resolved", "to": "open", "reason": "customer replied", "actor_id": bed.requester.id},
    )
    mails = await bed.deliver()
    assert [to(m) for m in mails] == [bed.agent.email] * 4, (
        "the assignee only; the customers get none of these"
    )
    replied, assigned, answered, reopened = (m.get_content() for m in mails)
    assert "carla" in replied and "> Ainda falha." in replied
    assert "bruno" in assigned and "atribuiu o chamado" in assigned
    assert "não funciona" in answered and "> Mesmo erro" in answered
    assert "reaberto: o cliente respondeu" in reopened
    assert all(m["In-Reply-To"] == root(bed) and not links(bed, m) for m in mails)


async def test_agent_notices_skip_with_a_reason_opt_out_self_and_unassigned(bed: Bed) -> None:
    await bed.queue("assigned", 3, {"from": None, "to": bed.agent.id, "actor_id": bed.agent.id})
    await bed.opt_out(bed.other_agent)
    await bed.queue("assigned", 4, {"from": bed.agent.id, "to": bed.other_agent.id, "actor_id": bed.agent.id})
    await bed.set_assignee(None)
    await bed.queue(
        "reply_added",
        5,
        {"author": "customer", "internal": False, "body": "Oi", "actor_id": bed.requester.id},
    )
    assert await bed.deliver() == []
    reasons = [
        (await bed.row(kind, seq))["skip_reason"]
        for kind, seq in (("assigned", 3), ("assigned", 4), ("reply_added", 5))
    ]
    assert reasons == [
        "they assigned it to themselves",
        "the agent turned e-mail off",
        "the ticket is unassigned",
    ]
    assert (await bed.row("reply_added", 5))["sent_at"] is None


# --- rows that owe no mail, rows nobody can render ------------------------------------------------


async def test_a_status_change_that_owes_no_mail_is_skipped_not_sent(bed: Bed) -> None:
    await bed.queue("status_changed", 4, {"from": "open", "to": "pending", "actor_id": bed.agent.id})
    assert await bed.deliver() == []
    row = await bed.row("status_changed", 4)
    assert row["sent_at"] is None and row["skipped_at"] is not None
    assert row["skip_reason"] == "a change from open to pending is not mailed"


async def test_a_kind_nobody_renders_fails_visibly(bed: Bed) -> None:
    await bed.queue("tags_changed", 4, {"tags": ["x"]})
    assert await bed.deliver() == []
    row = await bed.row("tags_changed", 4)
    assert row["sent_at"] is None and row["failed_at"] is not None
    assert "no renderer for ticket notification 'tags_changed'" in row["last_error"]


async def test_the_mailer_sends_batch_after_batch_while_more_is_owed(bed: Bed) -> None:
    """A storm queues more than one batch: the mailer goes on at once instead of one batch per
    interval (here an hour, so a wait between batches would leave mails owed for the whole test)."""
    for seq in range(2, 2 + 7):
        await bed.queue("sla_breached", seq, {"clock": "first_response", "due": "2026-12-07 13:00:00+00:00"})
    stop = asyncio.Event()
    mailer = asyncio.create_task(bed.outbox.run(stop, interval=3600, batch=2))
    try:
        for _ in range(600):
            if all([(await bed.row("sla_breached", seq))["sent_at"] for seq in range(2, 9)]):
                break
            await asyncio.sleep(0.05)
        owed = [seq for seq in range(2, 9) if (await bed.row("sla_breached", seq))["sent_at"] is None]
        assert owed == [], f"left for the next interval: {owed}"
    finally:
        stop.set()
        await mailer
