"""Request and response bodies of the knowledge base endpoints."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, HttpUrl

from api.schemas.pages import Page
from api.strict_body import StrictBody

Language = Literal["pt", "en", "es"]
MAX_IMPORT = 1000

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _printable(value: str) -> str:
    """Control characters (other than newlines and tabs) are refused: suggestion snippets use them as
    match markers, and they have no business in a help article anyway."""
    if _CONTROL.search(value):
        raise ValueError("control characters are not allowed")
    return value


Title = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_printable)]
Body = Annotated[str, Field(min_length=1, max_length=100_000), AfterValidator(_printable)]
Tag = Annotated[str, Field(min_length=1, max_length=40)]


class KbArticleIn(StrictBody):
    """An article as its author writes it; PUT replaces all of it."""

    title: Title
    body: Body = Field(description="plain text")
    language: Language
    product: str | None = Field(
        default=None, min_length=1, max_length=100, description="null: a general article, for any product"
    )
    url: HttpUrl = Field(description="where the article is published; an import updates the article by it")
    tags: list[Tag] = Field(default_factory=list, max_length=20)

    def content(self) -> dict[str, object]:
        """The store's shape: the url as the text it was normalised to."""
        return {**self.model_dump(), "url": str(self.url)}


class KbArticleOut(BaseModel):
    id: str
    title: str
    body: str
    language: Language
    product: str | None
    url: str
    tags: list[str]
    created_at: datetime
    updated_at: datetime


class KbArticlePage(Page[KbArticleOut]):
    """Articles by title."""


class KbImportResult(BaseModel):
    """How an import changed the knowledge base; a repeated import reports everything unchanged."""

    created: int
    updated: int
    unchanged: int


class KbSuggestion(BaseModel):
    title: str
    url: str
    snippet: str = Field(description="HTML-escaped text of the article, the matched words in <mark>…</mark>")
    language: Language
    product: str | None
    score: float = Field(description="higher is better; only comparable within one answer")
