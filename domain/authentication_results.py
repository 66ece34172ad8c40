"""A minimal reading of `Authentication-Results` (RFC 8601): did a relay we trust see DMARC pass?

Mail that reaches us through a relay which checks SPF, DKIM and DMARC (the MX in front of us) carries
that relay's verdict in an `Authentication-Results` header named by its authserv-id. A header with
any other authserv-id was written by someone else, possibly the sender, and says nothing; so does a
`dmarc=pass` for another domain than the one in `From`. The relay must remove headers carrying its
own authserv-id from what it receives (RFC 8601 §5); that is what makes its id trustworthy.

Deliberately small (the inbound parser of integrations/mail may bring a complete one: this module's
one entry point, `trusted_dmarc_pass`, is what to swap at merge). Pure and stdlib only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_COMMENT = re.compile(r"\([^()]*\)")
_RESULT = re.compile(r"^\s*dmarc\s*=\s*([A-Za-z]+)\b(.*)$", re.IGNORECASE | re.DOTALL)
_HEADER_FROM = re.compile(r"\bheader\.from\s*=\s*\"?([^\s;\"]+)\"?", re.IGNORECASE)


def trusted_dmarc_pass(headers: Iterable[str], authserv_id: str | None, sender_domain: str) -> bool:
    """True when a header of our trusted relay says `dmarc=pass` for exactly `sender_domain`."""
    if not authserv_id or not sender_domain:
        return False
    return any(_passes(value, authserv_id, sender_domain) for value in headers)


def _passes(value: str, authserv_id: str, sender_domain: str) -> bool:
    text = _strip_comments(value)
    first, *results = text.split(";")
    words = first.split()
    if not words or words[0].lower() != authserv_id.lower():
        return False
    for result in results:
        found = _RESULT.match(result)
        if found is None or found.group(1).lower() != "pass":
            continue
        domain = _HEADER_FROM.search(found.group(2))
        if domain is not None and domain.group(1).lower().rstrip(".") == sender_domain.lower():
            return True
    return False


def _strip_comments(value: str) -> str:
    """RFC 5322 comments removed (nested ones too), so `(dmarc=pass)` in a comment counts for nothing."""
    previous = None
    while previous != value:
        previous, value = value, _COMMENT.sub(" ", value)
    return " ".join(value.split())
