"""How an e-mail finds its ticket, and what of a reply is new text.

Outgoing mail carries the ticket number twice: in the subject (`[#1234] …`, which people keep when
they reply or forward) and in our own Message-IDs (`<ticket-1234-7@domain>`, which mail clients copy
into In-Reply-To / References). Incoming mail is matched back by either. Replies arrive with the
whole history quoted below (or above) the new text; `strip_quoted_reply` keeps only what is new, so
a ticket's timeline does not repeat itself with every message.

Pure and stdlib only: safe to use from workflows, activities and the API alike.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Sequence
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from email.policy import default as default_policy
from html.parser import HTMLParser

MAX_HTML_CHARS = 256 * 1024
REPLY_MARKER = "##- Reply above this line / Responda acima desta linha -##"

_SUBJECT_TAG = re.compile(r"\[#\s*(\d{1,18})\s*\]")
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|res|fw|fwd|enc|tr|rv|aw|wg)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_ANGLE_ID = re.compile(r"<([^<>\s]+)>")
# `ticket-<id>-[<source>-]<seq>[.<variant>]@<domain>`; a source starts with a letter (e.g. `CP-3`).
_OUR_ID = re.compile(
    r"^ticket-(\d{1,18})-(?:[A-Za-z][A-Za-z0-9_-]*?-)?(\d{1,18})(?:\.[A-Za-z0-9_-]+)?@(.+)$", re.IGNORECASE
)
_VARIANT = re.compile(r"^[A-Za-z0-9_-]+$")
_SOURCE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
TICKET_SOURCE = "ticket"

# "On Mon, 2 Jun 2025 at 10:00, Ana <ana@x> wrote:" and its Portuguese, Spanish and French forms.
_ATTRIBUTION = re.compile(
    r"^\s*(?:On\s.*\swrote|Em\s.*\sescreveu|El\s.*\sescribió|Le\s.*\sa\s+écrit)\s*:\s*$",
    re.IGNORECASE | re.DOTALL,
)
_ATTRIBUTION_START = re.compile(r"^\s*(?:On|Em|El|Le)\s", re.IGNORECASE)
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(?:Original Message|Mensagem original|Mensaje original|Forwarded message"
    r"|Mensagem encaminhada|Mensaje reenviado)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_OUTLOOK_FROM = re.compile(r"^\s*\*?(?:From|De)\s*:", re.IGNORECASE)
_OUTLOOK_SENT = re.compile(
    r"^\s*\*?(?:Sent|Date|Enviado(?:\s+el)?|Enviada\s+em|Data|Fecha)\s*:", re.IGNORECASE
)
_SIGNATURE = re.compile(r"^--\s?$")
_MOBILE_SIGNATURE = re.compile(
    r"^\s*(?:Sent from my|Enviado do meu|Enviado de meu|Enviado desde mi|Get Outlook for"
    r"|Obter o Outlook para)\b",
    re.IGNORECASE,
)
_OUTLOOK_RULE = re.compile(r"^\s*_{10,}\s*$")
_LOOKAHEAD_LINES = 5
_MAX_QUOTE_PREFIX = 8
# Codecs of real-world mail charsets (Python's names); punycode, idna, *_escape and the like are not.
_TEXT_CODEC = re.compile(
    r"^(?:utf|ascii|latin|iso|cp|mac|koi8|shift_jis|euc|gb|big5|hz|johab|tis|kz|ptcp|hp)", re.IGNORECASE
)


def ticket_subject(ticket_id: int, subject: str) -> str:
    """`[#1234] subject`: the tag survives replies and forwards in every mail client we know of.

    A subject that already carries this ticket's tag is returned unchanged (no `[#1] [#1] …`).
    """
    subject = " ".join(subject.split())
    if ticket_id_from_subject(subject) == ticket_id:
        return subject
    return f"[#{ticket_id}] {subject}".rstrip()


def ticket_id_from_subject(subject: str | None) -> int | None:
    """The number in the first `[#1234]` tag, wherever "Re:", "RES:", "Fwd:", "ENC:"… put it."""
    if not subject:
        return None
    found = _SUBJECT_TAG.search(subject)
    return int(found.group(1)) if found else None


def strip_subject_prefixes(subject: str) -> str:
    """The subject without leading "Re:", "RES:", "Fwd:", "ENC:"… chains, e.g. to title a new ticket."""
    return _REPLY_PREFIX.sub("", subject).strip()


def message_id(
    ticket_id: int, seq: int, domain: str, variant: str | None = None, source: str = TICKET_SOURCE
) -> str:
    """`<ticket-1234-7@domain>`: deterministic, so a retried send reuses the same id (receivers dedupe).

    `source` says whose numbering `seq` follows: the ticket's own events keep the short form, an
    escalation's events name it (`<ticket-1234-CP-3-7@…>`), because the escalation's event 7 and the
    ticket's event 7 are different mails and a client drops the second of two equal ids as a duplicate.
    `variant` tells apart several mails about one event (e.g. `staff`), giving `<ticket-1234-7.staff@…>`.
    """
    if variant is not None and not _VARIANT.match(variant):
        raise ValueError(f"variant must be letters, digits, '-' or '_': {variant!r}")
    if source != TICKET_SOURCE and not _SOURCE.match(source):
        raise ValueError(f"source must start with a letter, then letters, digits, '-' or '_': {source!r}")
    owner = "" if source == TICKET_SOURCE else f"{source}-"
    suffix = f".{variant}" if variant else ""
    return f"<ticket-{ticket_id}-{owner}{seq}{suffix}@{domain}>"


def ticket_id_from_message_ids(
    in_reply_to: str | None, references: str | Sequence[str] | None, domain: str
) -> int | None:
    """The ticket of the nearest of our own Message-IDs a reply points to; foreign ids are ignored.

    In-Reply-To (the direct parent) wins; then References from the newest (last) to the oldest.
    """
    candidates = [*message_ids_in(in_reply_to), *reversed(message_ids_in(references))]
    for candidate in candidates:
        found = _OUR_ID.match(candidate[1:-1])
        if found and found.group(3).lower() == domain.lower():
            return int(found.group(1))
    return None


def message_ids_in(value: str | Sequence[str] | None) -> list[str]:
    """Every `<id>` in a Message-ID / In-Reply-To / References value, in order, brackets kept."""
    if value is None:
        return []
    texts: Iterable[str] = [value] if isinstance(value, str) else value
    return [f"<{found}>" for text in texts for found in _ANGLE_ID.findall(str(text))]


def strip_quoted_reply(text: str) -> str:
    """Only what the sender wrote now: quoted history, attribution lines and signatures removed.

    Cuts at the first of: our reply marker, "On … wrote:" / "Em … escreveu:" / "El … escribió:"
    (also wrapped over two lines), "-----Original Message-----", an Outlook "From:/De: … Sent:/Enviado:"
    header block, the "-- " signature delimiter, or "Sent from my iPhone" / "Enviado do meu iPhone".
    Lines starting with ">" are dropped wherever they are (answers interleaved with quotes survive).
    May return "" when the message was nothing but quotes; callers keep the full text as well.

    Linear in the length of the text: a message of a million blank lines costs one pass, not one
    pass per line (the Outlook-header check used to walk every following blank line again).
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    next_text = _next_non_blank(lines)
    kept: list[str] = []
    for index, line in enumerate(lines):
        if not line.strip():
            kept.append(line)  # a blank line starts nothing the next non-blank line would not
            continue
        if _starts_history(lines, index, next_text):
            break
        if not line.lstrip().startswith(">"):
            kept.append(line)
    return _trim_blank_lines(kept)


def _next_non_blank(lines: list[str]) -> list[int]:
    """For every index (and one past the end), the index of the first non-blank line at or after it."""
    found = [len(lines)] * (len(lines) + 1)
    for index in range(len(lines) - 1, -1, -1):
        found[index] = index if lines[index].strip() else found[index + 1]
    return found


def _starts_history(lines: list[str], index: int, next_text: list[int]) -> bool:
    line = lines[index]
    if line.strip() == REPLY_MARKER or _SIGNATURE.match(line) or _MOBILE_SIGNATURE.match(line):
        return True
    if _ORIGINAL_MESSAGE.match(line) or _is_attribution(lines, index):
        return True
    if _OUTLOOK_RULE.match(line):
        return _is_outlook_header(lines, next_text[index + 1]) or index + 1 == len(lines)
    return _is_outlook_header(lines, next_text[index])


def _is_attribution(lines: list[str], index: int) -> bool:
    line = lines[index]
    if not _ATTRIBUTION_START.match(line):
        return False
    if _ATTRIBUTION.match(line):
        return True
    following = lines[index + 1] if index + 1 < len(lines) else ""
    return bool(following.strip()) and bool(_ATTRIBUTION.match(f"{line} {following}"))


def _is_outlook_header(lines: list[str], index: int) -> bool:
    """Whether the (non-blank) line at `index` starts an Outlook "From: … Sent: …" block."""
    if index >= len(lines) or not _OUTLOOK_FROM.match(lines[index]):
        return False
    window = lines[index + 1 : index + 1 + _LOOKAHEAD_LINES]
    return any(_OUTLOOK_SENT.match(line) for line in window)


def _trim_blank_lines(lines: list[str]) -> str:
    """Lines joined without trailing spaces, blank lines at the ends or runs of more than one blank."""
    text = "\n".join(line.rstrip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def parse_message(data: bytes) -> EmailMessage:
    """Bytes off the wire as an `EmailMessage` (modern policy: decoded headers, `get_body`)."""
    message = BytesParser(policy=default_policy).parsebytes(data)
    assert isinstance(message, EmailMessage)  # the default policy's message factory
    return message


def plain_text_of(message: EmailMessage) -> str:
    """The readable body of a message: its text/plain part, else its text/html part as plain text.

    Quoted HTML (`<blockquote>`) comes out as "> " lines, so `strip_quoted_reply` removes it too.
    Only the first `MAX_HTML_CHARS` of HTML are read: the new text is at the top, converting costs a
    Python call per tag (1 MB of `<br>` took 0.7 s), and the raw message keeps the rest.
    """
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    content = _decoded_text(body)
    if body.get_content_subtype() == "html":
        return html_to_text(_html_head(content))
    return content.replace("\r\n", "\n")


def _html_head(html: str) -> str:
    """The first MAX_HTML_CHARS of the HTML, without a tag cut in half at the end."""
    if len(html) <= MAX_HTML_CHARS:
        return html
    head = html[:MAX_HTML_CHARS]
    return head[: head.rfind("<")] if head.rfind("<") > head.rfind(">") else head


def _decoded_text(part: MIMEPart) -> str:
    """The part's text in its declared charset, or as UTF-8 with replacements when that is unsafe.

    Only ordinary text charsets are honoured: `charset=punycode` decodes in quadratic time (a 1 MB
    body takes minutes), and an unknown or lying charset must not lose the message either.
    """
    charset = part.get_content_charset() or "us-ascii"
    if _is_text_charset(charset):
        try:
            return str(part.get_content())
        except (LookupError, UnicodeError, ValueError):
            pass
    payload = part.get_payload(decode=True)
    return payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""


def _is_text_charset(charset: str) -> bool:
    try:
        name = codecs.lookup(charset).name
    except (LookupError, ValueError):
        return False
    return bool(_TEXT_CODEC.match(name))


def html_to_text(html: str) -> str:
    """Readable text from HTML mail: blocks become lines, lists get "- ", quotes get "> "."""
    parser = _TextExtractor()
    parser.feed(_defused(html))
    parser.close()
    return parser.text()


def _defused(html: str) -> str:
    """The HTML with openers that are never closed written as text (`&lt;`), which reads the same.

    Python 3.11's HTMLParser rescans the rest of the document at every unclosed `<`, `<!--` or `<![`:
    20 KB of `<!--` took 10 s. After the last `>` (or `-->`, `]]>`) nothing can close them anyway.
    """
    last = html.rfind(">")
    html = html[: last + 1] + html[last + 1 :].replace("<", "&lt;")
    for opener, closer in (("<!--", "-->"), ("<![", "]]>")):
        end = html.rfind(closer)
        cut = end + len(closer) if end >= 0 else 0
        html = html[:cut] + html[cut:].replace(opener, "&lt;" + opener[1:])
    return html


class _TextExtractor(HTMLParser):
    _BLOCKS = frozenset(
        {"p", "div", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr"}
    )
    _SKIPPED = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._lines: list[str] = []
        self._current: list[str] = []
        self._quote_depth = 0
        self._skip_depth = 0
        self._pre_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIPPED:
            self._skip_depth += 1
        elif tag == "br":
            self._end_line(blank_allowed=True)
        elif tag == "blockquote":
            self._end_line()
            self._quote_depth += 1
        elif tag in self._BLOCKS:
            self._end_line()
            self._pre_depth += tag == "pre"
            if tag == "li":
                self._current.append("- ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIPPED:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag == "blockquote":
            self._end_line()
            self._quote_depth = max(0, self._quote_depth - 1)
        elif tag in self._BLOCKS:
            self._end_line()
            if tag == "p":
                self._end_line(blank_allowed=True)
            if tag == "pre":
                self._pre_depth = max(0, self._pre_depth - 1)

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if not self._pre_depth:
            self._current.append(re.sub(r"\s+", " ", data))
            return
        first, *rest = data.split("\n")
        self._current.append(first)
        for line in rest:
            self._end_line(blank_allowed=True)
            self._current.append(line)

    def _end_line(self, blank_allowed: bool = False) -> None:
        """Close the line being built; an empty one only counts where HTML asks for it (br, </p>)."""
        line = "".join(self._current) if self._pre_depth else "".join(self._current).strip()
        self._current = []
        if line or blank_allowed:
            # Deeper quotes are still quotes: a bounded prefix keeps 100,000 nested blockquotes linear.
            self._lines.append(f"{'> ' * min(self._quote_depth, _MAX_QUOTE_PREFIX)}{line}".rstrip())

    def text(self) -> str:
        self._end_line()
        return _trim_blank_lines(self._lines)
