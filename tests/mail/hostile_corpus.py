"""Hostile inbound mails, generated: each names what the server must do with it.

Shared by tests/mail/test_hostile_mail.py (the behaviour) and bench/hostile_mail.py (the time).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

from integrations.mail.inbound_message import InboundMail

SENDER = "carla@demo-customer.example"
HEAD = f"From: Carla <{SENDER}>\r\nTo: support@escalator.localhost\r\nMessage-ID: <h@x.example>\r\n".encode()


@dataclass(frozen=True)
class Hostile:
    """One mail; `refused` when the answer must be 554, else `check` holds for the parsed mail.

    `long_lines`: lines over SMTP's 1,000 characters, which the SMTP server itself refuses (500)
    before our parser sees them; the bench still times the parser on them.
    """

    name: str
    data: bytes
    refused: bool = False
    long_lines: bool = False
    check: Callable[[InboundMail], bool] = lambda mail: True


def normal_mail() -> bytes:
    """The baseline: a reply with quoted history, an HTML twin and a PDF."""
    message = EmailMessage()
    message["From"] = f"Carla <{SENDER}>"
    message["To"] = "support@escalator.localhost"
    message["Subject"] = "RES: [#12] Exportação parou"
    message["Message-ID"] = "<n@x.example>"
    message.set_content("Firefox 128.\n\nEm seg., Ana <ana@x.example> escreveu:\n> Qual navegador?\n")
    message.add_alternative("<p>Firefox 128.</p><blockquote>Qual navegador?</blockquote>", subtype="html")
    message.add_attachment(b"%PDF-1.4\n" * 1000, maintype="application", subtype="pdf", filename="log.pdf")
    return message.as_bytes()


def _text(
    body: bytes, charset: str = "utf-8", subject: bytes = b"x", extra: bytes = b"", wrap: bool = True
) -> bytes:
    """A text/plain mail; `wrap` breaks the body into lines SMTP carries (at most 1,000 characters)."""
    content_type = f"Content-Type: text/plain; charset={charset}\r\n".encode()
    if wrap:
        body = b"\r\n".join(_chunks(line, 900) for line in body.split(b"\r\n"))
    return HEAD + b"Subject: " + subject + b"\r\n" + extra + content_type + b"\r\n" + body


def _chunks(line: bytes, size: int) -> bytes:
    return b"\r\n".join(line[start : start + size] for start in range(0, len(line), size)) or line


def _nested(depth: int) -> bytes:
    opening = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i) for i in range(depth)
    )
    return HEAD + b"Subject: deep\r\n" + opening + b"Content-Type: text/plain\r\n\r\nhi\r\n"


def _many_parts(count: int) -> bytes:
    parts = b"--B\r\n\r\nx\r\n" * count
    return (
        HEAD + b'Subject: parts\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n' + parts + b"--B--\r\n"
    )


def _zip_bomb() -> bytes:
    """A 100 MB file of zeros compressed into a ~100 KB zip: we store attachments, never unpack them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.txt", b"\0" * 100 * 1024 * 1024)
    return buffer.getvalue()


def _with_attachment(content: bytes) -> bytes:
    message = EmailMessage()
    message["From"] = f"Carla <{SENDER}>"
    message["Subject"] = "zip"
    message.set_content("see attached")
    message.add_attachment(content, maintype="application", subtype="zip", filename="logs.zip")
    return message.as_bytes()


def hostile_mails() -> list[Hostile]:
    """The corpus: each case is what the security review (issue #15) or our own reading found."""
    flood = b"Hi\r\n" + b"\r\n" * 500_000 + b"On Mon, Ana wrote:\r\n> old\r\n"
    zipped = _zip_bomb()
    return [
        Hostile("deep MIME nesting (2,000 levels)", _nested(2000), refused=True),
        Hostile("MIME nesting 12 levels", _nested(12), refused=True),
        Hostile("100,000 empty MIME parts in 1 MB", _many_parts(100_000), refused=True),
        Hostile("150 MIME parts", _many_parts(150), refused=True),
        Hostile(
            "256 KB Subject of encoded words",
            _text(b"x", subject=b"=?utf-8?q?abc?=\r\n " * 16_384),
            refused=True,
        ),
        Hostile(
            "20 KB header field", _text(b"x", extra=b"X-Junk: " + b"a\r\n " * 5_000 + b"\r\n"), refused=True
        ),
        Hostile("100 KB of header fields", _text(b"x", extra=b"X-A: b\r\n" * 12_800), refused=True),
        Hostile("headers without end (1 MB)", HEAD + b"X-A: b\r\n" * 130_000, refused=True),
        Hostile("1 MB blank-line flood", _text(flood), check=lambda mail: mail.body == "Hi"),
        Hostile(
            "1 MB blank lines in HTML",
            _text(b"<p>Hi</p>" + b"<br>\r\n" * 170_000 + b"<blockquote>old</blockquote>", "utf-8").replace(
                b"text/plain", b"text/html"
            ),
            check=lambda mail: mail.body == "Hi",
        ),
        Hostile(
            "100,000 nested blockquotes",
            _text(b"<p>Hi</p>" + b"<blockquote>q" * 100_000).replace(b"text/plain", b"text/html"),
            check=lambda mail: mail.body == "Hi",
        ),
        Hostile(
            "HTML of 200,000 unclosed comments",
            _text(b"Hi<!--" * 200_000).replace(b"text/plain", b"text/html"),
            check=lambda mail: mail.body.startswith("Hi"),
        ),
        Hostile(
            "HTML of 250,000 unclosed '<a title=\"'",
            _text(b"<p>Hi</p>" + b'<a title="' * 100_000 + b"Hi <" * 50_000).replace(
                b"text/plain", b"text/html"
            ),
            check=lambda mail: mail.body.startswith("Hi"),
        ),
        Hostile(
            "1 MB body in charset=punycode",
            _text(b"a" * 1_000_000, "punycode"),
            check=lambda m: len(m.body) > 0,
        ),
        Hostile("unknown charset", _text(b"ol\xe1", "x-klingon"), check=lambda m: m.body == "ol\ufffd"),
        Hostile(
            "bad bytes and charsets in headers",
            _text(b"hi", subject=b"=?x-bogus?q?abc?= =?utf-8?b?###?= \xff\xfe", extra=b"X-A: \x80\x81\r\n"),
            check=lambda mail: mail.body == "hi",
        ),
        Hostile(
            "NUL bytes",
            _text(b"hi\0there\r\n\0\0\0" * 1000, extra=b"X-Nul: a\0b\r\n"),
            check=lambda m: "hi" in m.body,
        ),
        Hostile(
            "1 MB single line",
            _text(b"On " + b"x " * 500_000, wrap=False),
            check=lambda m: m.body.startswith("On x"),
            long_lines=True,
        ),
        Hostile(
            "zip bomb attachment",
            _with_attachment(zipped),
            check=lambda mail: [a.content for a in mail.attachments] == [zipped],
        ),
    ]
