"""Who sent a mail, read strictly: exactly one From header with exactly one plain address.

`email.utils.parseaddr` is forgiving in the wrong way: `victim@corp.com <attacker@evil.com>` comes
out as the victim. A sender we would match against our users must leave no doubt, so anything
unusual (two From headers, two addresses, a group, a parse defect, a display name that shows another
address) yields a `problem` instead of a guess; the caller treats that mail as untrusted.

Pure and stdlib only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import AddressHeader, HeaderRegistry

_ADDRESS_LIKE = re.compile(r"[^\s<>\"'@]+@[^\s<>\"'@]+")
_REGISTRY = HeaderRegistry()


@dataclass(frozen=True)
class Sender:
    """The From address (lower case, "" when there is no single trustworthy one) and why not, if so."""

    address: str
    name: str
    problem: str | None = None


def sender_of(from_values: Sequence[str]) -> Sender:
    """The sender named by the message's From header values (as they appear, one per header)."""
    if len(from_values) != 1:
        return Sender("", "", f"{len(from_values)} From headers; exactly one is required")
    header = _REGISTRY("from", from_values[0])
    assert isinstance(header, AddressHeader)
    if header.defects:
        return Sender("", "", f"From header is malformed: {header.defects[0]}")
    if any(group.display_name is not None for group in header.groups):
        return Sender("", "", "From header is a group, not a mailbox")
    if len(header.addresses) != 1:
        return Sender("", "", f"From header names {len(header.addresses)} addresses; exactly one is required")
    return _checked(
        header.addresses[0].display_name, header.addresses[0].username, header.addresses[0].domain
    )


def _checked(name: str, local_part: str, domain: str) -> Sender:
    address = f"{local_part}@{domain}".lower()
    if not local_part or not domain or domain.startswith("["):
        return Sender("", name, f"From address {address!r} is not a mailbox at a domain")
    shown = {found.lower() for found in _ADDRESS_LIKE.findall(name)}
    if shown - {address}:
        return Sender(address, name, f"From display name {name!r} shows another address than {address}")
    return Sender(address, name)
