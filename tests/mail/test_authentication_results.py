"""RFC 8601 Authentication-Results: the trusted relay's DMARC verdict for the From domain, nothing else."""

from __future__ import annotations

import pytest

from domain.authentication_results import MethodResult, dmarc_pass, parse_authentication_results

RELAY = "mx.escalator.example"
PASS = f"{RELAY}; spf=pass smtp.mailfrom=demo.example; dkim=pass header.d=demo.example; dmarc=pass header.from=demo.example"


def test_parses_methods_properties_comments_and_versions() -> None:
    header = parse_authentication_results(
        f'{RELAY} 1; dkim/1 = pass (good (nested) sig) header.d=demo.example header.b="ab;cd";'
        " dmarc=pass (p=reject dis=none) header.from=Demo.Example"
    )
    assert header is not None and header.authserv_id == RELAY
    assert header.results == [
        MethodResult("dkim", "pass", {"header.d": "demo.example", "header.b": "ab;cd"}),
        MethodResult("dmarc", "pass", {"header.from": "Demo.Example"}),
    ]
    none = parse_authentication_results(f'"{RELAY}"; none')
    assert none is not None and none.authserv_id == RELAY and none.results == []
    assert parse_authentication_results("") is None


@pytest.mark.parametrize(
    ("values", "domain", "expected"),
    [
        ([PASS], "demo.example", True),
        ([PASS.replace(RELAY, RELAY.upper())], "DEMO.example", True),
        ([PASS], "other.example", False),
        ([PASS.replace(RELAY, "mx.attacker.example")], "demo.example", False),
        ([f"{RELAY}; dmarc=fail header.from=demo.example"], "demo.example", False),
        ([f"{RELAY}; dmarc=pass"], "demo.example", False),
        ([PASS, f"{RELAY}; dmarc=fail header.from=demo.example"], "demo.example", False),
        ([f"{RELAY}; dmarc=fail (header.from=demo.example) header.from=evil.example"], "demo.example", False),
        ([f'{RELAY}; dmarc=fail reason="dmarc=pass header.from=demo.example"'], "demo.example", False),
        ([f"{RELAY}; dmarc=none header.from=demo.example"], "demo.example", False),
        ([f"{RELAY}; none"], "demo.example", False),
        ([], "demo.example", False),
        ([PASS], "", False),
        ([f"{RELAY}; dmarc=pass header.from=\x010\x01"], "demo.example", False),
    ],
)
def test_dmarc_pass_only_from_the_trusted_relay_for_the_from_domain(
    values: list[str], domain: str, expected: bool
) -> None:
    assert dmarc_pass(values, RELAY, domain) is expected
