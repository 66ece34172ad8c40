"""The base of every request body."""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, model_validator

NUL = "\x00"


class StrictBody(BaseModel):
    """Unknown fields are refused so that a typo does not silently do nothing; so are booleans for
    numbers, and U+0000 in any text, because PostgreSQL cannot store it: accepted, it would reach a
    ticket's workflow whose projection could then never be written."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _refuse_booleans_as_numbers(cls, data: Any) -> Any:
        """Pydantic would read `true` as 1; a client sending `"severity": true` has a bug to hear about."""
        if not isinstance(data, dict):
            return data
        for name, info in cls.model_fields.items():
            if isinstance(data.get(name), bool) and _is_number(info.annotation):
                raise ValueError(f"{name} must be a number, not a boolean")
        return data

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul(cls, data: Any) -> Any:
        where = _nul_path(data)
        if where is not None:
            field = where or "the body"
            raise ValueError(f"{field} contains a NUL character (U+0000), which cannot be stored")
        return data


def _is_number(annotation: Any) -> bool:
    return annotation in (int, float) or any(arg in (int, float) for arg in get_args(annotation))


def _nul_path(value: Any, path: str = "") -> str | None:
    """The dotted path of the first text holding a NUL, or None."""
    if isinstance(value, str):
        return path if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and NUL in key:
                return path or "a field name"
            found = _nul_path(item, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _nul_path(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None
