"""The pure pieces of web/: the pt-BR catalog is complete, redirects stay local, languages are negotiated."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from web.i18n import PT_BR, catalog, from_accept_language, supported_locale, translate
from web.links import local_path, sign_in_url
from web.timefmt import time_tag

ROOT = Path(__file__).resolve().parents[2]


def extracted_msgids() -> set[str]:
    """Every text the pages and the sign-in mail can show, as pybabel extracts it (web/babel.cfg)."""
    method_map = [("web/**.py", "python"), ("web/templates/**.html", "jinja2")]
    options = {"web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "gettext": None, "N_": None}
    found = extract_from_dir(str(ROOT), method_map, options, keywords=keywords)
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


def test_every_text_of_the_pages_has_a_pt_br_translation() -> None:
    ids = extracted_msgids()
    assert "Send sign-in link" in ids and "Email" in ids  # the extraction itself works
    assert sorted(ids - set(catalog(PT_BR))) == []


def test_translations_keep_their_placeholders() -> None:
    for msgid, text in catalog(PT_BR).items():
        if isinstance(msgid, str) and isinstance(text, str):
            for placeholder in ("%(email)s", "%(minutes)s", "{name}", "{link}", "{minutes}"):
                assert (placeholder in msgid) == (placeholder in text), msgid
    assert translate(PT_BR, "My tickets") == "Meus tickets"
    assert translate(PT_BR, "A text nobody translated") == "A text nobody translated"


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("/portal", "/portal"),
        ("/portal/tickets/7?x=1", "/portal/tickets/7?x=1"),
        ("/portal?status=open", "/portal?status=open"),
        ("https://evil.example/portal", "/portal"),
        ("//evil.example/portal", "/portal"),
        ("/portal//evil.example", "/portal"),
        ("/portalx", "/portal"),
        ("/portal\\@evil", "/portal"),
        ("", "/portal"),
        (None, "/portal"),
    ],
)
def test_redirects_never_leave_the_portal(candidate: str | None, expected: str) -> None:
    assert local_path(candidate) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("pt-BR,pt;q=0.9,en;q=0.8", "pt-BR"),
        ("en-US,en;q=0.9,pt;q=0.8", "en"),
        ("fr-FR,pt;q=0.5,en;q=0.4", "pt-BR"),
        ("fr, de", None),
        ("pt;q=0, en;q=0.1", "en"),
        ("", None),
        (None, None),
    ],
)
def test_the_browser_language_is_the_best_one_we_have(header: str | None, expected: str | None) -> None:
    assert from_accept_language(header) == expected


def test_locale_names_are_normalised() -> None:
    assert [supported_locale(v) for v in ("pt_br", "PT", "en-GB", "es", None)] == [
        "pt-BR",
        "pt-BR",
        "en",
        None,
        None,
    ]


def test_a_time_tag_carries_the_instant_and_a_readable_utc_text() -> None:
    tag = time_tag("2026-12-04T14:08:00-03:00", "en")
    assert tag.startswith('<time datetime="2026-12-04T17:08:00Z" data-local-time>')
    assert "5:08" in tag and "UTC</time>" in tag
    assert "UTC" in time_tag(datetime(2026, 12, 4, 17, 8, tzinfo=UTC), PT_BR)
    assert time_tag(None, "en") == ""
    with pytest.raises(ValueError, match="naive"):
        time_tag(datetime(2026, 12, 4, 17, 8), "en")


def test_the_sign_in_link_opens_the_confirmation_page() -> None:
    assert (
        sign_in_url("https://help.example/", "abc_-1")
        == "https://help.example/portal/sign-in/confirm?token=abc_-1"
    )
