"""Finding a ticket in a mail, and the new text in a reply (domain/mail_threading)."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from domain.mail_threading import (
    MAX_HTML_CHARS,
    REPLY_MARKER,
    html_to_text,
    message_id,
    message_ids_in,
    parse_message,
    plain_text_of,
    strip_quoted_reply,
    strip_subject_prefixes,
    ticket_id_from_message_ids,
    ticket_id_from_subject,
    ticket_subject,
)

DOMAIN = "escalator.localhost"


def test_ticket_subject_prefixes_the_tag_once() -> None:
    assert ticket_subject(1234, "Export stops  at 500 rows") == "[#1234] Export stops at 500 rows"
    assert ticket_subject(1234, "[#1234] Export stops") == "[#1234] Export stops"
    assert ticket_subject(1234, "Re: [#99] other") == "[#1234] Re: [#99] other"


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("[#1234] Export stops", 1234),
        ("Re: [#1234] Export stops", 1234),
        ("RES: RES: [#1234] Exportação", 1234),
        ("Fwd: ENC: [# 1234 ] x", 1234),
        ("Re: Export stops [#1234]", 1234),
        ("[#1] first [#2] second", 1),
        ("Export stops at 1234", None),
        ("[1234] no hash", None),
        ("", None),
        (None, None),
    ],
)
def test_ticket_id_from_subject(subject: str | None, expected: int | None) -> None:
    assert ticket_id_from_subject(subject) == expected


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: RES: Fwd: ENC: Export", "Export"),
        ("RE[2]: TR: Export", "Export"),
        ("Reunião de amanhã", "Reunião de amanhã"),
        ("Export: Re: stuck", "Export: Re: stuck"),
    ],
)
def test_strip_subject_prefixes(subject: str, expected: str) -> None:
    assert strip_subject_prefixes(subject) == expected


def test_message_id_is_deterministic_and_round_trips() -> None:
    assert message_id(1234, 7, DOMAIN) == "<ticket-1234-7@escalator.localhost>"
    assert message_id(1234, 7, DOMAIN, variant="staff") == "<ticket-1234-7.staff@escalator.localhost>"
    assert ticket_id_from_message_ids(message_id(1234, 7, DOMAIN, variant="staff"), None, DOMAIN) == 1234
    with pytest.raises(ValueError):
        message_id(1, 1, DOMAIN, variant="a@b")


def test_message_ids_of_different_sources_differ_beyond_the_variant() -> None:
    """The ticket's event 3 and escalation CP-3's event 3 are two mails: a reader must get both."""
    ticket = message_id(1234, 3, DOMAIN, variant="c")
    escalation = message_id(1234, 3, DOMAIN, variant="c", source="CP-3")
    assert ticket == "<ticket-1234-3.c@escalator.localhost>"
    assert escalation == "<ticket-1234-CP-3-3.c@escalator.localhost>"
    assert message_id(1234, 3, DOMAIN, source="ticket") == message_id(1234, 3, DOMAIN)
    assert ticket_id_from_message_ids(escalation, None, DOMAIN) == 1234
    assert (
        ticket_id_from_message_ids(None, f"<x@y> {message_id(55, 12, DOMAIN, source='CP-40')}", DOMAIN) == 55
    )
    for bad in ("3CP", "CP 3", "CP@3", ""):
        with pytest.raises(ValueError):
            message_id(1, 1, DOMAIN, source=bad)


@pytest.mark.parametrize(
    ("in_reply_to", "references", "expected"),
    [
        ("<ticket-12-3@escalator.localhost>", None, 12),
        (None, "<CAF00@mail.gmail.com> <ticket-12-3@escalator.localhost>", 12),
        (None, ["<ticket-12-3@escalator.localhost>", "<ticket-13-1@escalator.localhost>"], 13),
        ("<ticket-12-3@escalator.localhost>", "<ticket-13-1@escalator.localhost>", 12),
        ("<CAF00@mail.gmail.com>", "<ticket-12-3@ESCALATOR.localhost>", 12),
        ("<ticket-12-3@evil.example>", "<ticket-12-3@escalator.localhost.evil.example>", None),
        ("ticket-12-3@escalator.localhost", None, None),
        (None, None, None),
    ],
)
def test_ticket_id_from_message_ids(
    in_reply_to: str | None, references: str | list[str] | None, expected: int | None
) -> None:
    assert ticket_id_from_message_ids(in_reply_to, references, DOMAIN) == expected


def test_message_ids_in_keeps_order_and_brackets() -> None:
    assert message_ids_in(" <a@x>\r\n <b@y> junk") == ["<a@x>", "<b@y>"]
    assert message_ids_in(None) == []


QUOTED_REPLIES = {
    "gmail_en": "Firefox 128.\n\nOn Mon, 2 Jun 2025 at 10:00, Ana <ana@x.example> wrote:\n> Which browser?\n",
    "gmail_wrapped": "Firefox 128.\n\nOn Mon, 2 Jun 2025 at 10:00, Ana Agent via Escalator <support@escalator.localhost>\nwrote:\n\n> Which browser?",
    "gmail_pt": "Firefox 128.\n\nEm seg., 2 de jun. de 2025 às 10:00, Ana <ana@x.example> escreveu:\n> Qual navegador?",
    "gmail_es": "Firefox 128.\n\nEl lun, 2 jun 2025 a las 10:00, Ana (<ana@x.example>) escribió:\n> ¿Qué navegador?",
    "outlook_original": "Firefox 128.\r\n\r\n-----Original Message-----\r\nFrom: Ana\r\nWhich browser?",
    "outlook_pt_header": "Firefox 128.\n\nDe: Ana Agent <ana@x.example>\nEnviado: segunda-feira, 2 de junho de 2025 10:00\nPara: Carla\nAssunto: [#12] Export\n\nQual navegador?",
    "outlook_en_rule": "Firefox 128.\n\n________________________________\nFrom: Ana Agent <ana@x.example>\nSent: Monday, June 2, 2025 10:00 AM\nTo: Carla\nWhich browser?",
    "outlook_bold": "Firefox 128.\n\n*From:* Ana\n*Sent:* Monday\nWhich browser?",
    "signature": "Firefox 128.\n\n-- \nCarla Cliente\nDemo Customer Ltda",
    "iphone": "Firefox 128.\n\nSent from my iPhone\n\n> On 2 Jun 2025, at 10:00, Ana wrote:",
    "iphone_pt": "Firefox 128.\n\nEnviado do meu iPhone",
    "reply_marker": f"Firefox 128.\n\n{REPLY_MARKER}\n\nAna replied to your ticket #12:",
}


@pytest.mark.parametrize("name", sorted(QUOTED_REPLIES))
def test_strip_quoted_reply_keeps_only_the_new_text(name: str) -> None:
    assert strip_quoted_reply(QUOTED_REPLIES[name]) == "Firefox 128."


def test_strip_quoted_reply_keeps_answers_between_quotes() -> None:
    text = "> Which browser?\nFirefox.\n>> and version?\n> Which version?\n128.\n"
    assert strip_quoted_reply(text) == "Firefox.\n128."


@pytest.mark.parametrize(
    "text",
    [
        "On Monday the export failed again.\nIt wrote: nothing.",
        "From: the logs I see a timeout.\nThen it stops.",
        "Em anexo o log.\nObrigada!",
        "Line one\n\nLine two -- with dashes",
    ],
)
def test_strip_quoted_reply_leaves_ordinary_text_alone(text: str) -> None:
    assert strip_quoted_reply(text) == text


def test_strip_quoted_reply_of_nothing_but_quotes_is_empty() -> None:
    assert strip_quoted_reply("> only\n> quotes\n") == ""


def _alternative(plain: str | None, html: str | None) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = "x"
    if plain is not None:
        message.set_content(plain)
    if html is not None:
        if plain is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    return message


def test_plain_text_of_prefers_text_plain() -> None:
    message = _alternative("plain words", "<p>html words</p>")
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="a.pdf")
    assert plain_text_of(message).strip() == "plain words"


def test_plain_text_of_falls_back_to_html_as_text() -> None:
    html = (
        "<html><head><style>p {color: red}</style><script>alert(1)</script></head><body>"
        "<div>Oi,</div><div><br></div><div>funcionou &amp; ok &lt;3</div>"
        "<ul><li>um</li><li>dois</li></ul>"
        "<div class='gmail_quote'>Em seg., 2 de jun. de 2025 Ana escreveu:"
        "<blockquote><p>Qual navegador?</p></blockquote></div></body></html>"
    )
    text = plain_text_of(_alternative(None, html))
    assert (
        text
        == "Oi,\n\nfuncionou & ok <3\n- um\n- dois\nEm seg., 2 de jun. de 2025 Ana escreveu:\n> Qual navegador?\n>"
    )
    assert strip_quoted_reply(text) == "Oi,\n\nfuncionou & ok <3\n- um\n- dois"


def test_html_to_text_keeps_preformatted_lines() -> None:
    assert html_to_text("<p>log:</p><pre>a  b\n  c</pre><p>end</p>") == "log:\n\na  b\n  c\nend"


def test_plain_text_of_survives_a_wrong_charset() -> None:
    raw = b"Subject: x\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\nol\xe1 mundo\r\n"
    assert plain_text_of(parse_message(raw)).startswith("ol\ufffd mundo")


def test_plain_text_of_latin1_and_no_body() -> None:
    raw = "Subject: x\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nolá\r\n".encode("latin-1")
    assert plain_text_of(parse_message(raw)).strip() == "olá"
    only_pdf = EmailMessage()
    only_pdf.set_content(b"%PDF", maintype="application", subtype="pdf")
    assert plain_text_of(only_pdf) == ""


def test_only_the_head_of_a_huge_html_body_is_read_and_no_half_tag() -> None:
    html = "<p>Hi</p>" + "<br>\n" * (MAX_HTML_CHARS // 5) + "<p>tail</p>"
    text = plain_text_of(_alternative(None, html))
    assert text == "Hi" and "tail" not in text and "<" not in text
