"""Bounds on an inbound message's shape, checked before the expensive parts of parsing see it.

Python's `email` package is correct but not built for hostile input: structured header parsing is
quadratic in a field's length (a 256 KB encoded-word Subject took 4.6 s), the feed parser checks
every line against every enclosing MIME boundary and recurses once per nesting level (2,000 levels
raise RecursionError; 100,000 empty parts in 1 MB take 6.6 s). Real mail is nowhere near these
bounds, so a message beyond them is refused with a permanent 554: sending it again cannot help.

`check_raw` runs first on the bytes (linear scans only); `BoundedPolicy` refuses an oversized header
field at the moment anything (the parser included) asks for its parsed value; `check_tree` verifies
depth and part count exactly once the message is parsed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage, MIMEPart
from email.policy import EmailPolicy
from functools import lru_cache
from typing import Any

_LINE_BREAK = re.compile(r"[\r\n]")
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_CONTAINER = re.compile(rb"(?im)^content-type:[ \t]*(?:\r?\n[ \t]+)?(?:multipart|message)/")
_BOUNDARY = re.compile(rb'(?i)boundary[ \t]*=[ \t]*(?:"([^"\r\n]{1,200})"|([^;\s"]{1,200}))')


@dataclass(frozen=True)
class MailLimits:
    """How big each part of a message may be. Defaults fit any real mail with room to spare."""

    max_header_bytes: int = 64 * 1024  # all header fields of the message (or of one MIME part)
    max_field_bytes: int = 8 * 1024  # one header field, folded lines included, before decoding
    max_subject_bytes: int = 2 * 1024
    max_containers: int = 32  # multipart/* and message/* declarations anywhere in the bytes
    max_depth: int = 8  # nesting of MIME parts
    max_parts: int = 100  # MIME parts (boundary lines) in the whole message


class MailRefused(Exception):
    """The message is outside `MailLimits`; `smtp_reply` is the permanent answer to send."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.smtp_reply = f"554 5.6.0 message refused: {reason}"[:500]


def check_raw(data: bytes, limits: MailLimits) -> None:
    """Linear checks on the raw bytes: header block size, MIME container and boundary-line counts."""
    end = _HEADER_END.search(data, 0, limits.max_header_bytes + 4)
    if end is None and len(data) > limits.max_header_bytes:
        raise MailRefused(f"headers longer than {limits.max_header_bytes} bytes")
    containers = sum(1 for _ in _CONTAINER.finditer(data))
    if containers > limits.max_containers:
        raise MailRefused(f"more than {limits.max_containers} nested MIME containers")
    boundaries = {quoted or bare for quoted, bare in _BOUNDARY.findall(data)}
    if len(boundaries) > limits.max_containers:
        raise MailRefused(f"more than {limits.max_containers} MIME boundaries")
    if boundaries and _boundary_lines(data, boundaries) > limits.max_parts + len(boundaries):
        raise MailRefused(f"more than {limits.max_parts} MIME parts")


def _boundary_lines(data: bytes, boundaries: set[bytes]) -> int:
    """How many lines start a MIME part or end a multipart (`--boundary`, `--boundary--`)."""
    pattern = re.compile(rb"(?m)^--(?:" + b"|".join(re.escape(b) for b in boundaries) + rb")")
    return sum(1 for _ in pattern.finditer(data))


def check_tree(message: EmailMessage, limits: MailLimits) -> None:
    """Exact depth, part count and per-part header size of a parsed message (iterative, no recursion)."""
    stack: list[tuple[Any, int]] = [(message, 1)]
    parts = 0
    while stack:
        part, depth = stack.pop()
        parts += 1
        if depth > limits.max_depth:
            raise MailRefused(f"MIME parts nested deeper than {limits.max_depth}")
        if parts > limits.max_parts:
            raise MailRefused(f"more than {limits.max_parts} MIME parts")
        _check_headers(part, limits)
        payload = part.get_payload() if isinstance(part, MIMEPart) else None
        if isinstance(payload, list):
            stack.extend((child, depth + 1) for child in payload)


def _check_headers(part: MIMEPart, limits: MailLimits) -> None:
    raw = list(part.raw_items())
    total = sum(len(name) + len(str(value)) + 4 for name, value in raw)
    if total > limits.max_header_bytes:
        raise MailRefused(f"headers longer than {limits.max_header_bytes} bytes")
    for name, value in raw:
        _check_field(name, str(value), limits)


def raw_values(part: MIMEPart, name: str, limits: MailLimits) -> list[str]:
    """Every value of header `name` as sent (encoded words not decoded), each within the field limit.

    For checks that must see what the sender wrote, e.g. the From header: decoding first would turn
    `=?utf-8?q?victim=40corp.com?= <attacker@evil.example>` into a different address.
    """
    values = [str(value) for key, value in part.raw_items() if key.lower() == name.lower()]
    for value in values:
        _check_field(name, value, limits)
    return values


def _check_field(name: str, value: str, limits: MailLimits) -> None:
    limit = limits.max_subject_bytes if name.lower() == "subject" else limits.max_field_bytes
    if len(value) > limit:
        raise MailRefused(f"{name} header longer than {limit} bytes")


class BoundedPolicy(EmailPolicy):
    """The modern `email.policy.default`, refusing to parse a header field longer than the limits.

    Parsed values are cached: the parser and `get_body` ask for a part's Content-Type many times.
    """

    limits: MailLimits = MailLimits()

    def header_fetch_parse(self, name: str, value: str) -> Any:
        if hasattr(value, "name"):  # already a parsed header object
            return value
        _check_field(name, value, self.limits)
        return _parsed_header(self.header_factory, name, _LINE_BREAK.sub("", value))


@lru_cache(maxsize=512)
def _parsed_header(factory: Any, name: str, value: str) -> Any:
    return factory(name, value)


def bounded_policy(limits: MailLimits) -> BoundedPolicy:
    """A policy enforcing `limits`, otherwise identical to `email.policy.default`."""
    options: dict[str, Any] = {"limits": limits}  # a policy attribute the stubs do not know of
    policy: BoundedPolicy = BoundedPolicy().clone(**options)
    return policy
