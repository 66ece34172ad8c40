"""Page languages: English (the msgids themselves) and Brazilian Portuguese (web/locales/pt_BR.po).

The catalog is a plain gettext .po file, read with Babel at start-up: translators use the usual
tools (`pybabel extract -F web/babel.cfg`), and there is no compile step. A missing translation
shows the English text rather than failing a page.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.messages.pofile import read_po

EN = "en"
PT_BR = "pt-BR"
LOCALES = (EN, PT_BR)
# Each language named in itself, for the switch on every page.
LANGUAGE_NAMES = {EN: "English", PT_BR: "Português (Brasil)"}
CATALOGS = Path(__file__).with_name("locales")


def N_(message: str) -> str:
    """Marks an English msgid in Python code for extraction; translated later, where the locale is known."""
    return message


def supported_locale(value: str | None) -> str | None:
    """`pt-BR`, `pt_br`, `pt` → `pt-BR`; `en-GB`, `en` → `en`; anything else → None."""
    if not value:
        return None
    language = value.strip().replace("_", "-").lower().split("-")[0]
    return {"pt": PT_BR, "en": EN}.get(language)


def from_accept_language(header: str | None) -> str | None:
    """The browser's most preferred language that we have, from an Accept-Language header."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        locale = supported_locale(tag)
        if locale and quality > 0:
            ranked.append((-quality, position, locale))
    return min(ranked)[2] if ranked else None


@lru_cache
def catalog(locale: str) -> dict[str | tuple[str, ...], str | tuple[str, ...]]:
    """msgid → translation for `locale`; empty for English, whose texts are the msgids."""
    path = CATALOGS / f"{locale.replace('-', '_')}.po"
    if locale == EN or not path.exists():
        return {}
    with path.open("rb") as po:
        messages = read_po(po, locale=locale.replace("-", "_"))
    return {_form(m.id): _form(m.string) for m in messages if m.id and m.string and not m.fuzzy}


def _form(text: str | tuple[str, ...] | list[str]) -> str | tuple[str, ...]:
    """A message id or translation as a str, or a tuple of plural forms."""
    return text if isinstance(text, str) else tuple(text)


def translate(locale: str, message: str) -> str:
    """`message` in `locale`, or the English text when the catalog has no translation."""
    found = catalog(locale).get(message)
    return found if isinstance(found, str) else message


def translate_plural(locale: str, singular: str, plural: str, n: int) -> str:
    """The singular or plural form for `n` (both our languages use "one" and "other")."""
    found = catalog(locale).get((singular, plural))
    forms = found if isinstance(found, tuple) else (singular, plural)
    return forms[0] if n == 1 else forms[1]


def babel_locale(locale: str) -> Locale:
    """Babel's `Locale` for dates and numbers (`pt-BR` → pt_BR)."""
    return Locale.parse(locale.replace("-", "_"))
