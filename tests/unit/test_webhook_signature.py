"""X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw body>, verified in constant time."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from domain.webhook_signature import HEADER, sign, verify

BODY = b'{"webhookEvent":"jira:issue_updated","issue":{"key":"ESC-1"}}'


def test_sign_matches_an_independent_hmac():
    expected = hmac.new(b"s3cret", BODY, hashlib.sha256).hexdigest()
    assert sign("s3cret", BODY) == f"sha256={expected}"
    assert sign(b"s3cret", BODY) == sign("s3cret", BODY)
    assert HEADER == "X-Hub-Signature"


def test_verify_accepts_the_signature_in_the_contract_format():
    header = sign("s3cret", BODY)
    assert verify("s3cret", BODY, header)
    assert verify("s3cret", BODY, header.upper().replace("SHA256=", "sha256="))  # hex case does not matter
    assert verify("s3cret", BODY, "SHA256=" + header.split("=", 1)[1])
    assert verify("s3cret", BODY, f"  {header} ")


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256",
        "sha256=",
        "sha1=" + hashlib.sha1(BODY).hexdigest(),
        "sha256=" + "zz" * 32,
        "sha256=" + "ab" * 31,
        sign("other", BODY),
    ],
)
def test_verify_rejects_missing_malformed_or_foreign_signatures(header):
    assert not verify("s3cret", BODY, header)


def test_a_tampered_body_fails_verification():
    header = sign("s3cret", BODY)
    assert not verify("s3cret", BODY.replace(b"ESC-1", b"ESC-2"), header)
    assert not verify("s3cret", BODY + b"\n", header)  # re-serialising changes the bytes


def test_an_empty_secret_is_a_configuration_error():
    with pytest.raises(ValueError):
        sign("", BODY)
    with pytest.raises(ValueError):
        verify(b"", BODY, "sha256=" + "00" * 32)
