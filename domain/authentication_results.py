"""Did a relay we trust find DMARC passing for the From domain? (RFC 8601 `Authentication-Results`)

Anyone can write an `Authentication-Results` header; only the ones stamped by our own receiving relay
(its `authserv-id`, configured) mean anything, and that relay removes forged copies carrying its id
(RFC 8601 §5). DESIGN.md lets such a verdict authenticate an inbound mail when there is no reply
token, so the reading is strict: comments and quoted strings are honoured (a `reason="…"` cannot
smuggle a property), the DMARC result must name the From domain in `header.from`, and one failing
DMARC result from the trusted relay outweighs any passing one.

Pure and stdlib only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_METHOD = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*(?:/\s*[0-9]+\s*)?=\s*([A-Za-z0-9_-]+)(.*)$", re.DOTALL)
_PROPERTY = re.compile(r"(?:^|\s)([A-Za-z0-9_-]+)\s*\.\s*([A-Za-z0-9_-]+)\s*=\s*(\S+)")
_AUTHSERV = re.compile(r"^\s*(\S+)(?:\s+[0-9]+)?\s*$")
_PLACEHOLDER = re.compile(r"\x01([0-9]+)\x01")


@dataclass(frozen=True)
class MethodResult:
    """One `method=result ptype.property=value …` of a header, names in lower case."""

    method: str
    result: str
    properties: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AuthenticationResults:
    """One header: who stamped it and what it found (no results for `; none` or an unreadable one)."""

    authserv_id: str
    results: list[MethodResult]


def dmarc_pass(values: Iterable[str], trusted_authserv_id: str, from_domain: str) -> bool:
    """True when the trusted relay reports `dmarc=pass` for `from_domain` and no other DMARC result for it."""
    domain = _domain(from_domain)
    verdicts = [
        result.result
        for header in map(parse_authentication_results, values)
        if header is not None and header.authserv_id == trusted_authserv_id.strip().lower()
        for result in header.results
        if result.method == "dmarc" and _domain(result.properties.get("header.from", "")) == domain
    ]
    return bool(domain) and bool(verdicts) and all(verdict == "pass" for verdict in verdicts)


def parse_authentication_results(value: str) -> AuthenticationResults | None:
    """The header's authserv-id and results; None when even the authserv-id cannot be read."""
    quoted: list[str] = []
    segments = _segments(value.replace("\x01", " "), quoted)  # \x01 marks our placeholders
    authserv = _AUTHSERV.match(segments[0])
    if authserv is None:
        return None
    results = [found for found in (_method_result(segment, quoted) for segment in segments[1:]) if found]
    return AuthenticationResults(_unquote(authserv.group(1), quoted).lower(), results)


def _method_result(segment: str, quoted: list[str]) -> MethodResult | None:
    found = _METHOD.match(segment)
    if found is None:
        return None
    properties: dict[str, str] = {}
    for ptype, prop, pvalue in _PROPERTY.findall(found.group(3)):
        properties.setdefault(f"{ptype}.{prop}".lower(), _unquote(pvalue, quoted))
    return MethodResult(found.group(1).lower(), found.group(2).lower(), properties)


def _segments(value: str, quoted: list[str]) -> list[str]:
    """The header split at `;`, comments dropped, quoted strings swapped for \\x01n\\x01 (see `quoted`)."""
    segments: list[str] = []
    current: list[str] = []
    depth, index = 0, 0
    while index < len(value):
        char = value[index]
        if char == "\\" and depth:
            index += 2
            continue
        if char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            current.append(" ")
        elif depth:
            pass
        elif char == '"':
            index = _take_quoted(value, index, quoted, current)
            continue
        elif char == ";":
            segments.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    segments.append("".join(current))
    return segments


def _take_quoted(value: str, start: int, quoted: list[str], current: list[str]) -> int:
    """Read the quoted string opening at `start`; returns the index after its closing quote."""
    text: list[str] = []
    index = start + 1
    while index < len(value) and value[index] != '"':
        if value[index] == "\\" and index + 1 < len(value):
            index += 1
        text.append(value[index])
        index += 1
    current.append(f"\x01{len(quoted)}\x01")
    quoted.append("".join(text))
    return index + 1


def _unquote(token: str, quoted: list[str]) -> str:
    return _PLACEHOLDER.sub(lambda found: quoted[int(found.group(1))], token)


def _domain(value: str) -> str:
    """The domain of `example.com`, `user@example.com` or `example.com.`, in lower case."""
    return value.rpartition("@")[2].strip().rstrip(".").lower()


def trusted_dmarc_pass(headers: Iterable[str], authserv_id: str | None, sender_domain: str) -> bool:
    """`dmarc_pass` when a trusted relay is configured; without one, nothing is trusted."""
    return bool(authserv_id) and dmarc_pass(headers, authserv_id or "", sender_domain)
