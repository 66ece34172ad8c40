"""The minimal Authentication-Results reading: only our relay's dmarc=pass for the From's own domain."""

from __future__ import annotations

from domain.authentication_results import trusted_dmarc_pass

RELAY = "mx.escalator.example"


def test_pass_from_the_trusted_relay_for_the_sender_domain() -> None:
    header = f"{RELAY}; spf=pass smtp.mailfrom=acme.example; dkim=pass header.d=acme.example; dmarc=pass (p=reject) header.from=acme.example"
    assert trusted_dmarc_pass([header], RELAY, "acme.example")
    assert trusted_dmarc_pass([header.upper()], RELAY, "acme.example")


def test_another_authserv_id_counts_for_nothing() -> None:
    forged = "attacker.example; dmarc=pass header.from=acme.example"
    assert not trusted_dmarc_pass([forged], RELAY, "acme.example")


def test_pass_for_another_domain_or_not_a_pass() -> None:
    assert not trusted_dmarc_pass([f"{RELAY}; dmarc=pass header.from=evil.example"], RELAY, "acme.example")
    assert not trusted_dmarc_pass([f"{RELAY}; dmarc=fail header.from=acme.example"], RELAY, "acme.example")
    assert not trusted_dmarc_pass([f"{RELAY}; dmarc=none header.from=acme.example"], RELAY, "acme.example")


def test_a_pass_inside_a_comment_is_ignored() -> None:
    header = f"{RELAY}; dmarc=fail (was dmarc=pass header.from=acme.example) header.from=acme.example"
    assert not trusted_dmarc_pass([header], RELAY, "acme.example")


def test_no_trusted_relay_configured_trusts_nothing() -> None:
    header = f"{RELAY}; dmarc=pass header.from=acme.example"
    assert not trusted_dmarc_pass([header], None, "acme.example")
    assert not trusted_dmarc_pass([header], "", "acme.example")


def test_version_after_the_authserv_id_and_several_headers() -> None:
    headers = [
        "other.example; dmarc=fail header.from=acme.example",
        f"{RELAY} 1; dmarc=pass header.from=acme.example",
    ]
    assert trusted_dmarc_pass(headers, RELAY, "acme.example")
