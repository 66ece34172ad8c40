"""Reply-token addresses: made for one (ticket, user), recognised back, refused for anyone else."""

from __future__ import annotations

import pytest

from domain.reply_address import (
    MAC_LENGTH,
    parse_reply_address,
    reply_address,
    reply_mac,
    ticket_replied_to,
    verify_reply_token,
)

KEY = b"k" * 32
DOMAIN = "escalator.localhost"


def test_address_shape_and_round_trip() -> None:
    address = reply_address(KEY, 1000, "user-a", f"support@{DOMAIN}")
    local, _, domain = address.partition("@")
    assert domain == DOMAIN and local.startswith("support+t1000.")
    assert len(local.rpartition(".")[2]) == MAC_LENGTH
    token = parse_reply_address(address, DOMAIN)
    assert token is not None and token.ticket_id == 1000
    assert verify_reply_token(KEY, token, "user-a")


def test_token_is_bound_to_user_ticket_and_key() -> None:
    token = parse_reply_address(reply_address(KEY, 1000, "user-a", f"support@{DOMAIN}"))
    assert token is not None
    assert not verify_reply_token(KEY, token, "user-b")
    assert not verify_reply_token(b"other key", token, "user-a")
    moved = parse_reply_address(f"support+t1001.{token.mac}@{DOMAIN}")
    assert moved is not None and not verify_reply_token(KEY, moved, "user-a")


def test_case_folding_by_relays_does_not_break_the_token() -> None:
    address = reply_address(KEY, 7, "user-a", f"support@{DOMAIN}").upper()
    assert ticket_replied_to(KEY, [address], "user-a") == 7


@pytest.mark.parametrize(
    "address",
    [
        f"support@{DOMAIN}",
        f"support+t12@{DOMAIN}",
        f"support+t12.abc@{DOMAIN}",
        f"support+tx.{'a' * MAC_LENGTH}@{DOMAIN}",
        f"support+t12.{'1' * MAC_LENGTH}@{DOMAIN}",  # 1 is not base32
        "not an address",
    ],
)
def test_other_addresses_carry_no_token(address: str) -> None:
    assert parse_reply_address(address) is None


def test_domain_must_be_ours_when_asked() -> None:
    address = reply_address(KEY, 5, "u", "support@elsewhere.example")
    assert parse_reply_address(address, DOMAIN) is None
    assert parse_reply_address(address) is not None


def test_first_address_verified_for_the_sender_wins() -> None:
    theirs = reply_address(KEY, 1, "user-b", f"support@{DOMAIN}")
    mine = reply_address(KEY, 2, "user-a", f"support@{DOMAIN}")
    assert ticket_replied_to(KEY, [f"support@{DOMAIN}", theirs, mine], "user-a") == 2
    assert ticket_replied_to(KEY, [theirs], "user-a") is None


def test_mac_is_deterministic_lowercase_base32() -> None:
    mac = reply_mac(KEY, 3, "u")
    assert mac == reply_mac(KEY, 3, "u") and mac == mac.lower() and len(mac) == MAC_LENGTH
    with pytest.raises(ValueError):
        reply_address(KEY, 3, "u", "support+x@d.example")
