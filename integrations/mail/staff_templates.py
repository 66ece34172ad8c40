"""The words of the e-mails support staff get, in Brazilian Portuguese and English.

Two sorts: operational alerts about an escalation (its estimated date passed, JIRA refused a sync)
and an agent's own notices (a customer replied, a ticket was assigned to you, a customer answered a
fix, your ticket was reopened). None invites an e-mail answer: staff act in the desk, so they carry
the notice footer and no reply marker. Raw errors from JIRA appear here, and only here: customers
never see them.

Each function returns `(subject, text_body)`, as in templates.py (same rules: `string.Template`
with `substitute`, timezone-aware datetimes, `[#id]` subjects).
"""

from __future__ import annotations

from datetime import date
from string import Template

from integrations.mail.templates import EN, PT_BR, Texts, format_day, normalize_locale, quote, render

_ETA_PASSED: Texts = {
    EN: (
        "Estimated date passed ($escalation_id): $subject",
        """The estimated resolution date of escalation $escalation_id ($eta) has passed and it is
still $stage. Set a new date or tell the customer where it stands (ticket #$ticket_id).""",
    ),
    PT_BR: (
        "Previsão vencida ($escalation_id): $subject",
        """A previsão de solução do escalonamento $escalation_id ($eta) passou e ele ainda está
$stage. Defina uma nova data ou informe o cliente sobre o andamento (chamado #$ticket_id).""",
    ),
}
_STAGE_NAMES = {
    EN: {"in_review": "in review", "engineering": "in engineering", "verifying": "being verified"},
    PT_BR: {
        "submitted": "enviado",
        "in_review": "em análise",
        "engineering": "com a engenharia",
        "verifying": "em verificação",
    },
}


def eta_passed(
    locale: str | None, ticket_id: int, subject: str, escalation_id: str, eta: date, stage: str
) -> tuple[str, str]:
    """Tell staff an escalation outlived its estimated date, so someone re-plans or informs the customer."""
    lang = normalize_locale(locale)
    values = {
        "escalation_id": escalation_id,
        "eta": format_day(eta, lang),
        "stage": _STAGE_NAMES[lang].get(stage, stage),
    }
    return render(_ETA_PASSED, locale, ticket_id, subject, values, invites_reply=False)


_CARD_SYNC_FAILED: Texts = {
    EN: (
        "JIRA sync failed ($escalation_id): $subject",
        """JIRA refused to $operation for escalation $escalation_id (ticket #$ticket_id).
The escalation keeps working without it. JIRA said:

$reason""",
    ),
    PT_BR: (
        "Falha ao sincronizar com o JIRA ($escalation_id): $subject",
        """O JIRA recusou $operation para o escalonamento $escalation_id (chamado #$ticket_id).
O escalonamento continua mesmo assim. Resposta do JIRA:

$reason""",
    ),
}
_OPERATIONS = {
    EN: {"create": "create a dev card", "comment": "comment on the dev cards"},
    PT_BR: {"create": "criar o card de desenvolvimento", "comment": "comentar nos cards de desenvolvimento"},
}


def card_sync_failed(
    locale: str | None, ticket_id: int, subject: str, escalation_id: str, operation: str, reason: str
) -> tuple[str, str]:
    """Tell staff what JIRA refused, verbatim: they can act on it (the customer never sees it)."""
    lang = normalize_locale(locale)
    values = {
        "escalation_id": escalation_id,
        "operation": _OPERATIONS[lang].get(operation, operation),
        "reason": quote(reason),
    }
    return render(_CARD_SYNC_FAILED, locale, ticket_id, subject, values, invites_reply=False)


_CUSTOMER_REPLIED: Texts = {
    EN: ("Customer replied: $subject", "$customer_name replied to ticket #$ticket_id:\n\n$quoted"),
    PT_BR: ("O cliente respondeu: $subject", "$customer_name respondeu ao chamado #$ticket_id:\n\n$quoted"),
}


def customer_replied(
    locale: str | None, ticket_id: int, subject: str, customer_name: str, body: str
) -> tuple[str, str]:
    """Carry a customer's reply to the agent the ticket is assigned to, quoted in full."""
    values = {"customer_name": customer_name, "quoted": quote(body)}
    return render(_CUSTOMER_REPLIED, locale, ticket_id, subject, values, invites_reply=False)


_ASSIGNED: Texts = {
    EN: ("Assigned to you: $subject", "$assigned_by assigned ticket #$ticket_id to you."),
    PT_BR: ("Atribuído a você: $subject", "$assigned_by atribuiu o chamado #$ticket_id a você."),
}
_SOMEONE = {EN: "Someone", PT_BR: "Alguém"}


def ticket_assigned(
    locale: str | None, ticket_id: int, subject: str, assigned_by: str | None
) -> tuple[str, str]:
    """Tell an agent a ticket is now theirs, and who gave it to them."""
    who = assigned_by or _SOMEONE[normalize_locale(locale)]
    return render(_ASSIGNED, locale, ticket_id, subject, {"assigned_by": who}, invites_reply=False)


_VERIFICATION_ANSWERED: Texts = {
    EN: (
        "Fix $verdict ($escalation_id): $subject",
        "Escalation $escalation_id of ticket #$ticket_id: $who.$said",
    ),
    PT_BR: (
        "Correção $verdict ($escalation_id): $subject",
        "Escalonamento $escalation_id do chamado #$ticket_id: $who.$said",
    ),
}
_VERDICTS = {
    EN: {True: "confirmed", False: "rejected"},
    PT_BR: {True: "confirmada", False: "recusada"},
}
_WHO = {
    EN: {
        (True, False): "the customer confirmed the fix works",
        (False, False): "the customer says the fix does not work, so it is back with engineering",
        (True, True): "the customer did not answer in time, so the fix was confirmed automatically",
    },
    PT_BR: {
        (True, False): "o cliente confirmou que a correção funciona",
        (False, False): "o cliente diz que a correção não funciona, então ele voltou para a engenharia",
        (True, True): "o cliente não respondeu a tempo, então a correção foi confirmada automaticamente",
    },
}
_COMMENT = {EN: "\n\nTheir comment:\n\n$quoted", PT_BR: "\n\nComentário do cliente:\n\n$quoted"}


def verification_answered(
    locale: str | None,
    ticket_id: int,
    subject: str,
    escalation_id: str,
    fixed: bool,
    automatic: bool,
    comment: str | None,
) -> tuple[str, str]:
    """Tell the ticket's agent how the customer answered the fix (or that nobody did)."""
    lang = normalize_locale(locale)
    said = _comment(lang, comment)
    values = {
        "verdict": _VERDICTS[lang][fixed],
        "escalation_id": escalation_id,
        "who": _WHO[lang][(fixed, automatic and fixed)],
        "said": said,
    }
    return render(_VERIFICATION_ANSWERED, locale, ticket_id, subject, values, invites_reply=False)


def _comment(lang: str, comment: str | None) -> str:
    """The customer's own words, quoted, when they left any."""
    if not comment or not comment.strip():
        return ""
    return Template(_COMMENT[lang]).substitute(quoted=quote(comment))


_REOPENED: Texts = {
    EN: ("Reopened: $subject", "Ticket #$ticket_id, resolved before, is open again: $reason."),
    PT_BR: ("Reaberto: $subject", "O chamado #$ticket_id, que estava resolvido, foi reaberto: $reason."),
}


# The reasons the ticket workflow itself writes; anything else is a person's words, shown verbatim.
_REASONS: dict[str, dict[str, str]] = {
    EN: {},
    PT_BR: {"customer replied": "o cliente respondeu", "reopened": "reaberto pela equipe"},
}


def ticket_reopened(locale: str | None, ticket_id: int, subject: str, reason: str) -> tuple[str, str]:
    """Tell the assigned agent a resolved ticket of theirs needs them again, and why."""
    said = _REASONS[normalize_locale(locale)].get(reason, reason)
    return render(_REOPENED, locale, ticket_id, subject, {"reason": said}, invites_reply=False)
