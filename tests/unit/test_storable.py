"""What the projections write is storable in PostgreSQL, whatever text reached the workflow."""

from __future__ import annotations

from datetime import UTC, datetime

from store.storable import REPLACEMENT, storable


def test_nul_is_replaced_in_nested_strings_and_keys() -> None:
    at = datetime(2026, 11, 22, tzinfo=UTC)
    value = {"body": "a\x00b", "k\x00": [("x\x00", 1), {"at": at}], "n": None}
    assert storable(value) == {
        "body": f"a{REPLACEMENT}b",
        f"k{REPLACEMENT}": [[f"x{REPLACEMENT}", 1], {"at": at}],
        "n": None,
    }


def test_clean_text_is_returned_as_it_is() -> None:
    text = "Exportação falha às 09:00 ✓"
    assert storable(text) is text
    assert storable({"subject": text}) == {"subject": text}
