"""The shape of every list answer: `{items, next_cursor}`."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """Subclass per item type (`class UserPage(Page[UserOut])`) so the OpenAPI names read well."""

    items: list[T]
    next_cursor: str | None = Field(description="pass as `cursor` to get the next page; null on the last")
