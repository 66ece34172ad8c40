"""Every e-mail's words, in both languages (activities/mail_templates)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from domain.mail_threading import REPLY_MARKER, strip_quoted_reply, ticket_id_from_subject
from integrations.mail import staff_templates as st
from integrations.mail import templates as t

ID = 4321
SUBJECT = "Export stops at 500 rows"
AT = datetime(2026, 11, 23, 14, 5, tzinfo=ZoneInfo("America/Sao_Paulo"))

Render = Callable[[str], tuple[str, str]]
TEMPLATES: dict[str, Render] = {
    "ticket_received": lambda loc: t.ticket_received(
        loc, ID, SUBJECT, [t.KbSuggestion("Exports", "https://kb/1")]
    ),
    "agent_reply": lambda loc: t.agent_reply(loc, ID, SUBJECT, "Ana Agent", "Which browser?"),
    "pending_reminder": lambda loc: t.pending_reminder(loc, ID, SUBJECT, AT),
    "resolved": lambda loc: t.resolved(loc, ID, SUBJECT, t.Survey("https://x/yes", "https://x/no")),
    "escalation_stage_changed": lambda loc: t.escalation_stage_changed(
        loc, ID, SUBJECT, "CP-12", "engineering"
    ),
    "verification_request": lambda loc: t.verification_request(
        loc, ID, SUBJECT, "https://x/fixed", "https://x/not"
    ),
    "verification_reminder": lambda loc: t.verification_reminder(
        loc, ID, SUBJECT, AT, "https://x/fixed", "https://x/not"
    ),
    "sla_warning": lambda loc: t.sla_warning(loc, ID, SUBJECT, "first_response", AT),
    "sla_breach": lambda loc: t.sla_breach(loc, ID, SUBJECT, "resolution", AT),
    "support_access_granted": lambda loc: t.support_access_granted(
        loc, ID, SUBJECT, "Ana Agent", AT, "https://x/revoke"
    ),
    "support_access_expired": lambda loc: t.support_access_expired(loc, ID, SUBJECT, AT),
    "conference_call_confirmation": lambda loc: t.conference_call_confirmation(
        loc, ID, SUBJECT, AT, 30, "https://meet/x"
    ),
    "conference_call_reminder": lambda loc: t.conference_call_reminder(
        loc, ID, SUBJECT, AT, 30, "https://meet/x"
    ),
    "eta_passed": lambda loc: st.eta_passed(loc, ID, SUBJECT, "CP-3", date(2026, 12, 1), "engineering"),
    "card_sync_failed": lambda loc: st.card_sync_failed(
        loc, ID, SUBJECT, "CP-3", "create", "400 Bad Request: project ESCX does not exist"
    ),
    "customer_replied": lambda loc: st.customer_replied(loc, ID, SUBJECT, "Carla", "Still broken."),
    "ticket_assigned": lambda loc: st.ticket_assigned(loc, ID, SUBJECT, "Ana Agent"),
    "verification_answered": lambda loc: st.verification_answered(
        loc, ID, SUBJECT, "CP-3", False, False, "Same error"
    ),
    "ticket_reopened": lambda loc: st.ticket_reopened(loc, ID, SUBJECT, "customer replied"),
}
STAFF_NOTICES = {
    "sla_warning",
    "sla_breach",
    "eta_passed",
    "card_sync_failed",
    "customer_replied",
    "ticket_assigned",
    "verification_answered",
    "ticket_reopened",
}


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_is_tagged_and_translated(name: str) -> None:
    en_subject, en_body = TEMPLATES[name]("en")
    pt_subject, pt_body = TEMPLATES[name]("pt-BR")
    for subject, body in ((en_subject, en_body), (pt_subject, pt_body)):
        assert subject.startswith(f"[#{ID}] ")
        assert ticket_id_from_subject(f"RES: {subject}") == ID
        assert SUBJECT in subject
        assert f"#{ID}" in body and "$" not in body
        assert (REPLY_MARKER in body) is (name not in STAFF_NOTICES)
    assert pt_body != en_body
    assert "chamado" in pt_body and "ticket" in en_body


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("pt-BR", "pt-BR"),
        ("pt_BR", "pt-BR"),
        ("pt", "pt-BR"),
        ("PT-br", "pt-BR"),
        ("en", "en"),
        ("es", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_normalize_locale_falls_back_to_english(locale: str | None, expected: str) -> None:
    assert t.normalize_locale(locale) == expected


def test_ticket_received_lists_at_most_three_articles() -> None:
    articles = [t.KbSuggestion(f"Article {n}", f"https://kb/{n}") for n in range(1, 6)]
    _, body = t.ticket_received("pt-BR", ID, SUBJECT, articles)
    assert "Estes artigos" in body
    assert "- Article 3: https://kb/3" in body and "Article 4" not in body
    _, bare = t.ticket_received("en", ID, SUBJECT)
    assert "articles" not in bare and "https://" not in bare


def test_agent_reply_quotes_the_reply_and_a_customer_answer_strips_it() -> None:
    _, body = t.agent_reply("en", ID, SUBJECT, "Ana Agent", "Which browser?\n\nAnd which version?")
    assert "Ana Agent replied" in body
    assert "> Which browser?\n>\n> And which version?" in body
    assert strip_quoted_reply(f"Firefox 128.\n\n{body}") == "Firefox 128."


def test_dates_are_shown_in_their_zone_per_locale() -> None:
    _, en = t.sla_breach("en", ID, SUBJECT, "first_response", AT)
    _, pt = t.sla_breach("pt-BR", ID, SUBJECT, "first_response", AT)
    assert "first response" in en and "2026-11-23 14:05 -03" in en
    assert "primeira resposta" in pt and "23/11/2026 14:05 (-03)" in pt
    subject, _ = t.sla_warning("pt-BR", ID, SUBJECT, "resolution", AT.astimezone(UTC))
    assert "solução" in subject
    with pytest.raises(ValueError, match="timezone-aware"):
        t.sla_warning("en", ID, SUBJECT, "resolution", datetime(2026, 11, 23, 14, 5))


def test_escalation_stage_is_translated_with_optional_estimate() -> None:
    subject, body = t.escalation_stage_changed("pt-BR", ID, SUBJECT, "CP-12", "in_review", date(2026, 12, 1))
    assert "em análise" in subject and "CP-12" in subject
    assert "01/12/2026" in body
    _, unknown = t.escalation_stage_changed("en", ID, SUBJECT, "CP-12", "on_hold")
    assert "now on_hold." in unknown and "Estimated" not in unknown


def test_links_reach_the_reader() -> None:
    _, resolved = t.resolved("en", ID, SUBJECT, t.Survey("https://x/yes", "https://x/no"), "https://x/view")
    _, verify = t.verification_request("pt-BR", ID, SUBJECT, "https://x/fixed", "https://x/not")
    _, granted = t.support_access_granted("en", ID, SUBJECT, "Ana Agent", AT, "https://x/revoke")
    _, call = t.conference_call_reminder("pt-BR", ID, SUBJECT, AT, 45, "https://meet/x")
    assert "Yes: https://x/yes\nNo: https://x/no" in resolved
    assert "See the ticket and everything said on it: https://x/view" in resolved
    assert "Funcionou: https://x/fixed" in verify and "Ainda não foi corrigido: https://x/not" in verify
    assert "Ana Agent" in granted and "2026-11-23 14:05 -03" in granted and "https://x/revoke" in granted
    assert "45 minutos" in call and "https://meet/x" in call and "23/11/2026 14:05" in call


def test_placeholders_in_user_text_are_not_expanded() -> None:
    subject, body = t.agent_reply("en", ID, "Costs $subject", "Ana", "It costs $5 and ${ticket_id}")
    assert subject == f"[#{ID}] Costs $subject"
    assert "> It costs $5 and ${ticket_id}" in body


def test_only_the_requesters_resolution_mail_asks_the_survey() -> None:
    _, cc = t.resolved("pt-BR", ID, SUBJECT, None, "https://x/view")
    _, requester = t.resolved("pt-BR", ID, SUBJECT, t.Survey("https://x/sim", "https://x/nao"))
    assert "Resolvemos" not in cc and "https://x/view" in cc
    assert "Sim: https://x/sim\nNão: https://x/nao" in requester


def test_verification_reminder_asks_again_with_two_answers() -> None:
    _, body = t.verification_reminder(
        "en", ID, SUBJECT, AT, "https://x/fixed", "https://x/not", "https://x/v"
    )
    assert "2026-11-23 14:05 -03" in body
    assert "It works: https://x/fixed" in body and "It is not fixed yet: https://x/not" in body
    assert body.index("https://x/not") < body.index("https://x/v") < body.index("-- \n")


def test_staff_notices_carry_what_staff_act_on() -> None:
    _, failed = st.card_sync_failed("en", ID, SUBJECT, "CP-3", "create", "400: project ESCX does not exist")
    assert "create a dev card" in failed and "> 400: project ESCX does not exist" in failed
    subject, eta = st.eta_passed("pt-BR", ID, SUBJECT, "CP-3", date(2026, 12, 1), "engineering")
    assert "CP-3" in subject and "01/12/2026" in eta and "com a engenharia" in eta
    _, rejected = st.verification_answered("en", ID, SUBJECT, "CP-3", False, False, "Same error")
    assert "does not work" in rejected and "> Same error" in rejected
    subject, auto = st.verification_answered("pt-BR", ID, SUBJECT, "CP-3", True, True, None)
    assert "confirmada" in subject and "automaticamente" in auto and "Comentário" not in auto
    _, reopened = st.ticket_reopened("pt-BR", ID, SUBJECT, "customer replied")
    assert "o cliente respondeu" in reopened
    _, assigned = st.ticket_assigned("en", ID, SUBJECT, None)
    assert "Someone assigned ticket #4321 to you." in assigned
