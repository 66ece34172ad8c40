"""Is a message's `From` one plain mailbox? Anything else cannot be matched to one user.

Several `From` headers, a `From` naming several addresses, or one without a usable address are the
shapes forgeries take to show one address to a person and another to software; such mail is held
for an agent instead of being attributed to anyone. The inbound parser may bring its own verdict
(`sender_problem`); this is the fallback for messages that carry none. Pure and stdlib only.
"""

from __future__ import annotations

from email.utils import getaddresses

_MAX_ADDRESS = 254  # RFC 5321's path limit


def sender_problem_of(from_values: list[str]) -> str | None:
    """Why these `From` header values do not name exactly one mailbox, or None when they do."""
    if len(from_values) != 1:
        return f"{len(from_values)} From headers"
    addresses = [address for _, address in getaddresses(from_values) if address]
    if len(addresses) != 1:
        return f"From names {len(addresses)} addresses"
    address = addresses[0]
    local, at, domain = address.rpartition("@")
    if not at or not local or "." not in domain or len(address) > _MAX_ADDRESS:
        return "From is not a mailbox address"
    return None
