"""Form state for pages: what the person typed and what is wrong with it, field by field.

A route that refuses a form renders the same page again with `FormState(values, errors)`: the
`field` macros of templates/partials/forms.html put each error next to its field (linked with
aria-describedby) and keep the typed value, so nothing has to be typed twice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from starlette.datastructures import FormData

from web.csrf import CSRF_FIELD
from web.i18n import N_

# Deliberately loose: the real check is whether a sign-in mail arrives.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class FormState:
    """Values to show again and errors (English msgids, translated by the template) per field name."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, form: FormData | Mapping[str, str], *names: str) -> FormState:
        """The text fields `names` of a submitted form, trimmed; files and the CSRF token are left out."""
        values = {}
        for name in names:
            value = form.get(name)
            values[name] = value.strip() if isinstance(value, str) and name != CSRF_FIELD else ""
        return cls(values=values)

    def value(self, name: str) -> str:
        return self.values.get(name, "")

    def error(self, name: str) -> str | None:
        return self.errors.get(name)

    def refuse(self, name: str, message: str) -> None:
        """Record why `name` is not acceptable (the first reason wins)."""
        self.errors.setdefault(name, message)

    def require(self, name: str, message: str = N_("This field is required.")) -> None:
        if not self.value(name):
            self.refuse(name, message)

    @property
    def ok(self) -> bool:
        return not self.errors
