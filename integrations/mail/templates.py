"""The words of every e-mail Escalator sends, in Brazilian Portuguese and English.

Each function returns `(subject, text_body)` for one occasion. Subjects start with the ticket tag
(`[#1234] …`) so that replies find their ticket; bodies that invite an answer start with the reply
marker so that the answer can be cut from the quoted history (see domain/mail_threading). Texts are
`string.Template`s with `substitute`, so a forgotten placeholder fails loudly in tests instead of
reaching a customer as `$name`.

Datetimes must be timezone-aware and are shown in their own zone: convert to the reader's zone first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from string import Template

from domain.mail_threading import REPLY_MARKER, ticket_subject
from domain.sla import FIRST_RESPONSE, RESOLUTION

EN = "en"
PT_BR = "pt-BR"
LOCALES = (EN, PT_BR)
MAX_SUGGESTIONS = 3

Texts = Mapping[str, tuple[str, str]]


@dataclass(frozen=True)
class KbSuggestion:
    """A knowledge-base article offered with the receipt of a new ticket."""

    title: str
    url: str


def normalize_locale(locale: str | None) -> str:
    """`pt-BR`, `pt_br`, `pt` → `pt-BR`; everything else (and nothing) → `en`, the fallback."""
    if locale and locale.replace("_", "-").lower().split("-")[0] == "pt":
        return PT_BR
    return EN


_CLOCKS = {
    EN: {FIRST_RESPONSE: "first response", RESOLUTION: "resolution"},
    PT_BR: {FIRST_RESPONSE: "primeira resposta", RESOLUTION: "solução"},
}
_STAGES = {
    EN: {
        "submitted": "submitted",
        "in_review": "in review",
        "engineering": "with engineering",
        "verifying": "waiting for your verification",
        "resolved": "resolved",
        "declined": "declined",
        "withdrawn": "withdrawn (the ticket was closed)",
    },
    PT_BR: {
        "submitted": "enviada",
        "in_review": "em análise",
        "engineering": "com a engenharia",
        "verifying": "aguardando sua verificação",
        "resolved": "resolvida",
        "declined": "recusada",
        "withdrawn": "encerrada (o chamado foi fechado)",
    },
}
_FOOTER = {
    EN: "Reply to this e-mail to add to ticket #$ticket_id; please keep [#$ticket_id] in the subject.",
    PT_BR: (
        "Responda a este e-mail para complementar o chamado #$ticket_id; mantenha [#$ticket_id] no assunto."
    ),
}


_NOTICE_FOOTER = {
    EN: "Automatic notification about ticket #$ticket_id; replies to it are not read.",
    PT_BR: "Notificação automática sobre o chamado #$ticket_id; respostas a ela não são lidas.",
}


_VIEW = {
    EN: "See the ticket and everything said on it:",
    PT_BR: "Veja o chamado e toda a conversa:",
}


def render(
    texts: Texts,
    locale: str | None,
    ticket_id: int,
    subject: str,
    values: Mapping[str, object],
    invites_reply: bool = True,
    view_url: str | None = None,
) -> tuple[str, str]:
    """Fill one occasion's texts for the locale, then add the "view the ticket" link (customers'
    mail), the footer, and the reply marker if the mail can be answered."""
    lang = normalize_locale(locale)
    subject_text, body_text = texts[lang]
    fields = {"ticket_id": ticket_id, "subject": subject, **values}
    line = Template(subject_text).substitute(fields)
    body = Template(body_text).substitute(fields).strip("\n")
    view = f"\n\n{_VIEW[lang]} {view_url}" if view_url else ""
    footer = Template((_FOOTER if invites_reply else _NOTICE_FOOTER)[lang]).substitute(fields)
    marker = f"{REPLY_MARKER}\n\n" if invites_reply else ""
    return ticket_subject(ticket_id, line), f"{marker}{body}{view}\n\n-- \n{footer}\n"


def format_when(at: datetime, locale: str | None) -> str:
    """`2026-11-22 15:30 UTC` or `22/11/2026 15:30 (UTC)`, in the datetime's own zone."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("mail templates need timezone-aware datetimes")
    zone = at.tzname() or at.strftime("%z")
    if normalize_locale(locale) == PT_BR:
        return f"{at:%d/%m/%Y %H:%M} ({zone})"
    return f"{at:%Y-%m-%d %H:%M} {zone}"


def format_day(day: date, locale: str | None) -> str:
    """`2026-11-22` or `22/11/2026`."""
    return f"{day:%d/%m/%Y}" if normalize_locale(locale) == PT_BR else f"{day:%Y-%m-%d}"


def quote(text: str) -> str:
    """Someone's message as "> " lines, so a reply's quoted history can be told from new text."""
    return "\n".join(f"> {line}".rstrip() for line in text.strip("\n").splitlines()) or ">"


_RECEIVED: Texts = {
    EN: (
        "$subject",
        """We received your request and opened ticket #$ticket_id: "$subject".
An agent will answer you here. You can add details by replying to this e-mail.
$suggestions""",
    ),
    PT_BR: (
        "$subject",
        """Recebemos sua solicitação e abrimos o chamado #$ticket_id: "$subject".
Um analista responderá por aqui. Você pode enviar mais detalhes respondendo a este e-mail.
$suggestions""",
    ),
}
_SUGGESTIONS_INTRO = {
    EN: "These articles may already answer your question:",
    PT_BR: "Estes artigos talvez já respondam à sua dúvida:",
}


def ticket_received(
    locale: str | None,
    ticket_id: int,
    subject: str,
    suggestions: Sequence[KbSuggestion] = (),
    view_url: str | None = None,
) -> tuple[str, str]:
    """Acknowledge a new ticket with its number and at most three knowledge-base articles."""
    lines = [f"- {s.title}: {s.url}" for s in suggestions[:MAX_SUGGESTIONS]]
    listed = f"\n{_SUGGESTIONS_INTRO[normalize_locale(locale)]}\n" + "\n".join(lines) if lines else ""
    return render(_RECEIVED, locale, ticket_id, subject, {"suggestions": listed}, view_url=view_url)


_AGENT_REPLY: Texts = {
    EN: ("$subject", "$agent_name replied to your ticket #$ticket_id:\n\n$quoted"),
    PT_BR: ("$subject", "$agent_name respondeu ao seu chamado #$ticket_id:\n\n$quoted"),
}


def agent_reply(
    locale: str | None,
    ticket_id: int,
    subject: str,
    agent_name: str,
    body: str,
    view_url: str | None = None,
) -> tuple[str, str]:
    """Carry a public agent reply to the requester and cc, quoting it in full."""
    values = {"agent_name": agent_name, "quoted": quote(body)}
    return render(_AGENT_REPLY, locale, ticket_id, subject, values, view_url=view_url)


_PENDING_REMINDER: Texts = {
    EN: (
        "Waiting for your reply: $subject",
        """We are still waiting for your answer on ticket #$ticket_id.
If we do not hear from you, the ticket will be marked as resolved on $auto_resolve_at.""",
    ),
    PT_BR: (
        "Aguardando sua resposta: $subject",
        """Ainda aguardamos sua resposta no chamado #$ticket_id.
Sem retorno, o chamado será marcado como resolvido em $auto_resolve_at.""",
    ),
}


def pending_reminder(
    locale: str | None,
    ticket_id: int,
    subject: str,
    auto_resolve_at: datetime,
    view_url: str | None = None,
) -> tuple[str, str]:
    """Remind the requester that support waits on them, and when the ticket resolves itself."""
    when = format_when(auto_resolve_at, locale)
    values = {"auto_resolve_at": when}
    return render(_PENDING_REMINDER, locale, ticket_id, subject, values, view_url=view_url)


_RESOLVED: Texts = {
    EN: (
        "Resolved: $subject",
        """Ticket #$ticket_id has been resolved.
If something is still wrong, just reply to this e-mail and the ticket opens again.$survey""",
    ),
    PT_BR: (
        "Resolvido: $subject",
        """O chamado #$ticket_id foi resolvido.
Se algo ainda não estiver certo, basta responder a este e-mail e o chamado será reaberto.$survey""",
    ),
}
_SURVEY = {
    EN: "\n\nDid we solve your problem? Tell us in one click:\nYes: $yes_url\nNo: $no_url",
    PT_BR: "\n\nResolvemos o seu problema? Responda com um clique:\nSim: $yes_url\nNão: $no_url",
}


@dataclass(frozen=True)
class Survey:
    """The satisfaction question's two answers, each a link of its own."""

    yes_url: str
    no_url: str


def resolved(
    locale: str | None,
    ticket_id: int,
    subject: str,
    survey: Survey | None = None,
    view_url: str | None = None,
) -> tuple[str, str]:
    """Tell a customer the ticket is resolved; the requester's mail also asks the survey question
    (only the requester answers it, so cc readers get no survey)."""
    asked = ""
    if survey is not None:
        links = {"yes_url": survey.yes_url, "no_url": survey.no_url}
        asked = Template(_SURVEY[normalize_locale(locale)]).substitute(links)
    return render(_RESOLVED, locale, ticket_id, subject, {"survey": asked}, view_url=view_url)


_ESCALATION_STAGE: Texts = {
    EN: (
        "Escalation $escalation_id $stage: $subject",
        """Escalation $escalation_id of ticket #$ticket_id is now $stage.$estimate""",
    ),
    PT_BR: (
        "Escalonamento $escalation_id $stage: $subject",
        """O escalonamento $escalation_id do chamado #$ticket_id agora está $stage.$estimate""",
    ),
}
_ESTIMATE = {
    EN: "\nEstimated resolution date (an estimate, not a promise): $day.",
    PT_BR: "\nPrevisão de solução (uma estimativa, não um compromisso): $day.",
}


def escalation_stage_changed(
    locale: str | None,
    ticket_id: int,
    subject: str,
    escalation_id: str,
    stage: str,
    estimated_resolution: date | None = None,
    view_url: str | None = None,
) -> tuple[str, str]:
    """Tell the requester where their escalation stands (stages from DESIGN.md, unknown ones verbatim)."""
    lang = normalize_locale(locale)
    label = _STAGES[lang].get(stage, stage)
    estimate = ""
    if estimated_resolution is not None:
        estimate = Template(_ESTIMATE[lang]).substitute(day=format_day(estimated_resolution, lang))
    values = {"escalation_id": escalation_id, "stage": label, "estimate": estimate}
    return render(_ESCALATION_STAGE, locale, ticket_id, subject, values, view_url=view_url)


_VERIFICATION: Texts = {
    EN: (
        "Please verify the fix: $subject",
        """A fix for ticket #$ticket_id is ready. Please check it and tell us:

It works: $fixed_url
It is not fixed yet: $not_fixed_url""",
    ),
    PT_BR: (
        "Por favor, verifique a correção: $subject",
        """Uma correção para o chamado #$ticket_id está disponível. Verifique e nos diga:

Funcionou: $fixed_url
Ainda não foi corrigido: $not_fixed_url""",
    ),
}


def verification_request(
    locale: str | None,
    ticket_id: int,
    subject: str,
    fixed_url: str,
    not_fixed_url: str,
    view_url: str | None = None,
) -> tuple[str, str]:
    """Ask the requester to confirm a fix, with one link per answer."""
    values = {"fixed_url": fixed_url, "not_fixed_url": not_fixed_url}
    return render(_VERIFICATION, locale, ticket_id, subject, values, view_url=view_url)


_VERIFICATION_REMINDER: Texts = {
    EN: (
        "Reminder: please verify the fix: $subject",
        """On $asked_at we asked you to check the fix for ticket #$ticket_id
and have not heard back yet. Please tell us:

It works: $fixed_url
It is not fixed yet: $not_fixed_url

Without an answer, the fix will be considered confirmed after a while.""",
    ),
    PT_BR: (
        "Lembrete: verifique a correção: $subject",
        """Em $asked_at pedimos que você verificasse a correção do chamado #$ticket_id
e ainda não tivemos retorno. Por favor, nos diga:

Funcionou: $fixed_url
Ainda não foi corrigido: $not_fixed_url

Sem resposta, a correção será considerada confirmada depois de alguns dias.""",
    ),
}


def verification_reminder(
    locale: str | None,
    ticket_id: int,
    subject: str,
    asked_at: datetime,
    fixed_url: str,
    not_fixed_url: str,
    view_url: str | None = None,
) -> tuple[str, str]:
    """Ask the requester again, days after the first request, with the same two answers."""
    values = {
        "asked_at": format_when(asked_at, locale),
        "fixed_url": fixed_url,
        "not_fixed_url": not_fixed_url,
    }
    return render(_VERIFICATION_REMINDER, locale, ticket_id, subject, values, view_url=view_url)


_SLA_WARNING: Texts = {
    EN: (
        "SLA warning ($clock): $subject",
        """The $clock clock of ticket #$ticket_id is close to its target.
It breaches at $due_at unless the ticket is answered first.""",
    ),
    PT_BR: (
        "Alerta de SLA ($clock): $subject",
        """O prazo de $clock do chamado #$ticket_id está perto do fim.
Ele vence em $due_at se o chamado não for atendido antes.""",
    ),
}
_SLA_BREACH: Texts = {
    EN: (
        "SLA breached ($clock): $subject",
        """The $clock target of ticket #$ticket_id was breached; it was due at $due_at.""",
    ),
    PT_BR: (
        "SLA violado ($clock): $subject",
        """O prazo de $clock do chamado #$ticket_id foi violado; vencia em $due_at.""",
    ),
}


def _sla(
    texts: Texts, locale: str | None, ticket_id: int, subject: str, clock: str, due_at: datetime
) -> tuple[str, str]:
    label = _CLOCKS[normalize_locale(locale)].get(clock, clock)
    due = format_when(due_at, locale)
    return render(texts, locale, ticket_id, subject, {"clock": label, "due_at": due}, invites_reply=False)


def sla_warning(
    locale: str | None, ticket_id: int, subject: str, clock: str, due_at: datetime
) -> tuple[str, str]:
    """Warn staff before an SLA clock (`first_response` or `resolution`) breaches."""
    return _sla(_SLA_WARNING, locale, ticket_id, subject, clock, due_at)


def sla_breach(
    locale: str | None, ticket_id: int, subject: str, clock: str, due_at: datetime
) -> tuple[str, str]:
    """Tell staff an SLA clock breached, naming the clock and when it was due."""
    return _sla(_SLA_BREACH, locale, ticket_id, subject, clock, due_at)


_ACCESS_GRANTED: Texts = {
    EN: (
        "Support access granted: $subject",
        """You granted $grantee access to your account for ticket #$ticket_id until $expires_at.
Every use is recorded. You can revoke the access at any time: $revoke_url""",
    ),
    PT_BR: (
        "Acesso de suporte concedido: $subject",
        """Você concedeu a $grantee acesso à sua conta para o chamado #$ticket_id até $expires_at.
Todo uso é registrado. Você pode revogar o acesso a qualquer momento: $revoke_url""",
    ),
}
_ACCESS_EXPIRED: Texts = {
    EN: (
        "Support access expired: $subject",
        """The support access to your account for ticket #$ticket_id expired at $expired_at.
Support can no longer sign in as you; grant access again if they still need it.""",
    ),
    PT_BR: (
        "Acesso de suporte expirado: $subject",
        """O acesso de suporte à sua conta para o chamado #$ticket_id expirou em $expired_at.
O suporte não consegue mais entrar como você; conceda o acesso novamente se ainda for preciso.""",
    ),
}


def support_access_granted(
    locale: str | None,
    ticket_id: int,
    subject: str,
    grantee: str,
    expires_at: datetime,
    revoke_url: str,
    view_url: str | None = None,
) -> tuple[str, str]:
    """Confirm a support-access grant to the user who gave it: to whom, until when, how to revoke."""
    values = {"grantee": grantee, "expires_at": format_when(expires_at, locale), "revoke_url": revoke_url}
    return render(_ACCESS_GRANTED, locale, ticket_id, subject, values, view_url=view_url)


def support_access_expired(
    locale: str | None, ticket_id: int, subject: str, expired_at: datetime, view_url: str | None = None
) -> tuple[str, str]:
    """Tell the user their grant ended on its own, so they know support no longer has access."""
    values = {"expired_at": format_when(expired_at, locale)}
    return render(_ACCESS_EXPIRED, locale, ticket_id, subject, values, view_url=view_url)


_CALL_CONFIRMATION: Texts = {
    EN: (
        "Call scheduled for $starts_at: $subject",
        """Your call about ticket #$ticket_id is scheduled for $starts_at ($minutes minutes).
Join here: $join_url""",
    ),
    PT_BR: (
        "Reunião agendada para $starts_at: $subject",
        """Sua reunião sobre o chamado #$ticket_id está agendada para $starts_at ($minutes minutos).
Acesse por aqui: $join_url""",
    ),
}
_CALL_REMINDER: Texts = {
    EN: (
        "Reminder: call at $starts_at: $subject",
        """Reminder: your call about ticket #$ticket_id starts at $starts_at ($minutes minutes).
Join here: $join_url""",
    ),
    PT_BR: (
        "Lembrete: reunião às $starts_at: $subject",
        """Lembrete: sua reunião sobre o chamado #$ticket_id começa em $starts_at ($minutes minutos).
Acesse por aqui: $join_url""",
    ),
}


def _call(
    texts: Texts,
    locale: str | None,
    ticket_id: int,
    subject: str,
    starts_at: datetime,
    minutes: int,
    join_url: str,
    view_url: str | None,
) -> tuple[str, str]:
    values = {"starts_at": format_when(starts_at, locale), "minutes": minutes, "join_url": join_url}
    return render(texts, locale, ticket_id, subject, values, view_url=view_url)


def conference_call_confirmation(
    locale: str | None,
    ticket_id: int,
    subject: str,
    starts_at: datetime,
    minutes: int,
    join_url: str,
    view_url: str | None = None,
) -> tuple[str, str]:
    """Confirm a scheduled conference call: when, how long, where to join."""
    return _call(_CALL_CONFIRMATION, locale, ticket_id, subject, starts_at, minutes, join_url, view_url)


def conference_call_reminder(
    locale: str | None,
    ticket_id: int,
    subject: str,
    starts_at: datetime,
    minutes: int,
    join_url: str,
    view_url: str | None = None,
) -> tuple[str, str]:
    """Remind the participants shortly before a conference call."""
    return _call(_CALL_REMINDER, locale, ticket_id, subject, starts_at, minutes, join_url, view_url)
