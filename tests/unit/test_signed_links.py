"""Signed links: a link reads back as what was signed, and nothing else passes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.signed_links import (
    LinkClaims,
    LinkExpired,
    LinkPurpose,
    LinkRejected,
    link_expiry,
    read_link,
    sign_link,
)

KEY = b"k" * 32
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def claims(purpose: LinkPurpose = LinkPurpose.SURVEY_YES) -> LinkClaims:
    return LinkClaims("user-1", 1042, purpose, link_expiry(NOW, timedelta(days=7)))


def test_a_signed_link_reads_back_as_its_claims() -> None:
    token = sign_link(KEY, claims())
    assert read_link(KEY, token, NOW) == claims()


def test_another_key_rejects_the_link() -> None:
    with pytest.raises(LinkRejected):
        read_link(b"x" * 32, sign_link(KEY, claims()), NOW)


def test_changing_the_purpose_breaks_the_signature() -> None:
    """A "survey yes" link cannot be turned into "verification fixed" by editing it."""
    yes = sign_link(KEY, claims(LinkPurpose.SURVEY_YES))
    fixed_payload = sign_link(KEY, claims(LinkPurpose.VERIFY_FIXED)).split(".")[0]
    forged = f"{fixed_payload}.{yes.split('.')[1]}"
    with pytest.raises(LinkRejected):
        read_link(KEY, forged, NOW)


@pytest.mark.parametrize("token", ["", ".", "abc", "abc.", ".abc", "a.b.c"])
def test_malformed_tokens_are_rejected(token: str) -> None:
    with pytest.raises(LinkRejected):
        read_link(KEY, token, NOW)


def test_an_expired_link_says_so_and_keeps_its_claims() -> None:
    token = sign_link(KEY, claims())
    with pytest.raises(LinkExpired) as expired:
        read_link(KEY, token, NOW + timedelta(days=7))
    assert expired.value.claims.ticket_id == 1042
    assert read_link(KEY, token, NOW + timedelta(days=7) - timedelta(seconds=1)).ticket_id == 1042
