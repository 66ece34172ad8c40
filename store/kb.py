"""The knowledge base: articles (CRUD and bulk upsert by url) and suggestions while a customer types.

Suggestions are full-text search in each article's own language (`pt_unaccent`, `en_unaccent`,
`es_unaccent`: accents stripped, then stemmed), so "configuracao" finds "configuração" and
"exporting" finds "export". A subject being typed is a sentence, not a query, so any of its words
matches (plus the last word as a prefix, as it may be half typed) and the ranking puts first the
articles that satisfy the whole query (`websearch_to_tsquery`: all words, "phrases", -exclusions),
then those matching in the title, then by cover density (`ts_rank_cd`). When no word matches, a
trigram comparison with titles catches typos and fragments.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Select,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import REGCONFIG, TSQUERY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import ReturningInsert

from store.kb_tables import TEXT_SEARCH_CONFIGS, kb_articles
from store.keyset import keyset

LANGUAGES = tuple(TEXT_SEARCH_CONFIGS)
CONTENT_KEYS = ("title", "body", "language", "product", "url", "tags")
ARTICLE = tuple(kb_articles.c[key] for key in ("id", *CONTENT_KEYS, "created_at", "updated_at"))

# Scores: satisfying the whole query outranks a title match, which outranks density alone (< 0.4).
WHOLE_QUERY_BONUS, TITLE_BONUS, DENSITY_WEIGHT, TRIGRAM_WEIGHT = 1.0, 0.5, 0.4, 0.3
PREFIX_MIN_CHARS = 3
MAX_WORDS = 16
TRIGRAM_THRESHOLD = 0.4
TRIGRAM_MIN_CHARS = 2  # a single letter is like every title
SNIPPET_CHARS = 200
# Control characters cannot occur in articles (the API refuses them), so they mark matches unambiguously
# until the snippet is HTML-escaped and they become <mark> tags.
_START, _STOP = "\x02", "\x03"
HEADLINE_OPTIONS = f"StartSel={_START}, StopSel={_STOP}, MinWords=12, MaxWords=30, MaxFragments=2"
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class UpsertCounts:
    created: int
    updated: int
    unchanged: int


def _content(article: Mapping[str, Any]) -> dict[str, Any]:
    """Only the fields an author writes; ids and timestamps are the store's."""
    content = {key: article.get(key) for key in CONTENT_KEYS}
    content["tags"] = list(content["tags"] or [])
    return content


async def create_article(conn: AsyncConnection, article: Mapping[str, Any]) -> dict[str, Any]:
    """Raises IntegrityError when another article has the url."""
    values = {"id": str(uuid.uuid4()), **_content(article)}
    row = (await conn.execute(insert(kb_articles).values(**values).returning(*ARTICLE))).mappings().one()
    return dict(row)


async def update_article(
    conn: AsyncConnection, article_id: str, article: Mapping[str, Any]
) -> dict[str, Any] | None:
    """Replace the content; None when there is no such article (IntegrityError for a taken url)."""
    statement = (
        update(kb_articles)
        .where(kb_articles.c.id == article_id)
        .values(**_content(article), updated_at=func.now())
        .returning(*ARTICLE)
    )
    row = (await conn.execute(statement)).mappings().first()
    return dict(row) if row else None


async def delete_article(conn: AsyncConnection, article_id: str) -> bool:
    result = await conn.execute(delete(kb_articles).where(kb_articles.c.id == article_id))
    return bool(result.rowcount)


async def get_article(conn: AsyncConnection, article_id: str) -> dict[str, Any] | None:
    row = (await conn.execute(select(*ARTICLE).where(kb_articles.c.id == article_id))).mappings().first()
    return dict(row) if row else None


async def list_articles(
    conn: AsyncConnection,
    *,
    language: str | None = None,
    product: str | None = None,
    limit: int = 100,
    after: tuple[Any, ...] | None = None,
) -> list[dict[str, Any]]:
    """By title (then id, so that pages are stable), continuing after the (title, id) `after`;
    `product` lists exactly that product's articles."""
    query = keyset(select(*ARTICLE), (kb_articles.c.title, kb_articles.c.id), after, limit)
    if language is not None:
        query = query.where(kb_articles.c.language == language)
    if product is not None:
        query = query.where(kb_articles.c.product == product)
    return [dict(row) for row in (await conn.execute(query)).mappings()]


async def upsert_articles(conn: AsyncConnection, articles: Sequence[Mapping[str, Any]]) -> UpsertCounts:
    """Insert new urls, update changed ones, leave identical ones alone (so a re-import is a no-op).

    One statement; the urls must be distinct, as Postgres refuses to update a row twice in it.
    """
    if not articles:
        return UpsertCounts(0, 0, 0)
    urls = [article["url"] for article in articles]
    if len(set(urls)) != len(urls):
        raise ValueError("the urls of an import must be distinct")
    rows = pg_insert(kb_articles).values([{"id": str(uuid.uuid4()), **_content(a)} for a in articles])
    new = rows.excluded
    changed = or_(*(kb_articles.c[key].is_distinct_from(new[key]) for key in CONTENT_KEYS if key != "url"))
    statement: ReturningInsert[Any] = rows.on_conflict_do_update(
        index_elements=[kb_articles.c.url],
        set_={**{key: new[key] for key in CONTENT_KEYS}, "updated_at": func.now()},
        where=changed,
    ).returning(literal_column("xmax = 0").label("created"))  # xmax is 0 only on a freshly inserted row
    written = [row.created for row in await conn.execute(statement)]
    created = sum(1 for is_new in written if is_new)
    return UpsertCounts(created, len(written) - created, len(articles) - len(written))


@dataclass(frozen=True)
class _Terms:
    """What the customer typed, prepared for Postgres's query parsers and for the trigram comparison."""

    strict: str  # verbatim, for websearch_to_tsquery: all words, "phrases", -exclusions
    loose: str  # the words joined with `or`: any of them matches
    prefix: str | None  # the last word, perhaps half typed, for to_tsquery's `:*`
    plain: str  # the words, for the trigram comparison; empty when they are all single letters


def _terms(q: str) -> _Terms | None:
    """None when there is no word at all. Words are letters and digits only, so no parser syntax leaks."""
    words = [word for word in _WORD.findall(q) if word.lower() != "or"][:MAX_WORDS]
    if not words:
        return None
    last = words[-1]
    prefix = f"{last}:*" if len(last) >= PREFIX_MIN_CHARS else None
    plain = " ".join(words) if max(map(len, words)) >= TRIGRAM_MIN_CHARS else ""
    return _Terms(strict=q, loose=" or ".join(words), prefix=prefix, plain=plain)


def _query_of(lang: str, terms: _Terms) -> Select[Any]:
    """One row: the language, its configuration, and the strict and loose queries parsed in it."""
    config = cast(literal(TEXT_SEARCH_CONFIGS[lang]), REGCONFIG)
    strict = func.websearch_to_tsquery(config, terms.strict, type_=TSQUERY)
    loose: ColumnElement[Any] = func.websearch_to_tsquery(config, terms.loose, type_=TSQUERY)
    if terms.prefix is not None:
        loose = loose.op("||", return_type=TSQUERY)(func.to_tsquery(config, terms.prefix))
    return select(
        literal(lang).label("lang"), config.label("config"), strict.label("strict"), loose.label("loose")
    )


def _queries(terms: _Terms, languages: Sequence[str]) -> CTE:
    """A row per language searched, so that each article is matched with its own language's query."""
    rows = [_query_of(lang, terms) for lang in languages]
    return (union_all(*rows) if len(rows) > 1 else rows[0]).cte("queries")


def _score(queries: CTE) -> ColumnElement[float]:
    """Tiers rather than one rank, so that many body mentions cannot outrank a title that says it all."""
    search = kb_articles.c.search
    whole = case((search.op("@@")(queries.c.strict), WHOLE_QUERY_BONUS), else_=0.0)
    in_title = func.ts_filter(search, literal_column("'{a}'")).op("@@")(queries.c.loose)
    title = case((in_title, TITLE_BONUS), else_=0.0)
    density = func.ts_rank_cd(search, queries.c.loose, 32)  # 32: rank / (rank + 1), below 1
    return whole + title + DENSITY_WEIGHT * density


def _for_product(product: str | None) -> ColumnElement[bool]:
    """An article without a product is general: it is suggested for any product."""
    if product is None:
        return literal(True)
    return or_(kb_articles.c.product.is_(None), kb_articles.c.product == product)


def _ranked(terms: _Terms, product: str | None, languages: Sequence[str], limit: int) -> Select[Any]:
    """The best `limit` matches; snippets (the costly part) are made for these only."""
    queries, articles = _queries(terms, languages), kb_articles
    score = _score(queries).label("score")
    on = and_(articles.c.language == queries.c.lang, articles.c.search.op("@@")(queries.c.loose))
    ranked = (
        select(articles.c.id, queries.c.config, queries.c.loose, score)
        .select_from(articles.join(queries, on))
        .where(_for_product(product))
        .order_by(score.desc(), articles.c.id)
        .limit(limit)
        .subquery("ranked")
    )
    snippet = func.ts_headline(ranked.c.config, articles.c.body, ranked.c.loose, HEADLINE_OPTIONS)
    return (
        select(
            articles.c.title,
            articles.c.url,
            articles.c.language,
            articles.c.product,
            ranked.c.score,
            snippet.label("snippet"),
        )
        .join_from(articles, ranked, articles.c.id == ranked.c.id)
        .order_by(ranked.c.score.desc(), articles.c.id)
    )


def _marked_html(headline: str) -> str:
    """Escaped text with matches in <mark>: safe to show as HTML whatever the article contains."""
    return html.escape(headline, quote=False).replace(_START, "<mark>").replace(_STOP, "</mark>")


def _lead(body: str) -> str:
    """The opening of an article, cut at a word boundary."""
    if len(body) <= SNIPPET_CHARS:
        return html.escape(body, quote=False)
    return html.escape(body[:SNIPPET_CHARS].rsplit(maxsplit=1)[0], quote=False) + " …"


async def _similar_titles(
    conn: AsyncConnection, terms: _Terms, product: str | None, languages: Sequence[str], limit: int
) -> list[dict[str, Any]]:
    """Titles containing something like the typed words: typos and fragments full-text search misses."""
    if not terms.plain:
        return []
    threshold = func.set_config("pg_trgm.word_similarity_threshold", str(TRIGRAM_THRESHOLD), True)
    await conn.execute(select(threshold))  # `true`: for this transaction only
    needle = func.f_unaccent(func.lower(terms.plain))
    title = func.f_unaccent(func.lower(kb_articles.c.title))
    similarity = func.word_similarity(needle, title)
    a = kb_articles.c
    query = (
        select(a.title, a.url, a.language, a.product, a.body, (TRIGRAM_WEIGHT * similarity).label("score"))
        .where(needle.op("<%")(title), a.language.in_(languages), _for_product(product))
        .order_by(similarity.desc(), a.id)
        .limit(limit)
    )
    rows = (await conn.execute(query)).mappings()
    return [{**_suggestion(dict(row)), "snippet": _lead(row["body"])} for row in rows]


def _suggestion(row: Mapping[str, Any]) -> dict[str, Any]:
    suggestion = {key: row[key] for key in ("title", "url", "language", "product")}
    suggestion["score"] = round(float(row["score"]), 4)
    if "snippet" in row:
        suggestion["snippet"] = _marked_html(row["snippet"])
    return suggestion


async def suggest(
    conn: AsyncConnection, q: str, product: str | None = None, lang: str | None = None, limit: int = 3
) -> list[dict[str, Any]]:
    """Articles for what the customer is typing, best first: title, url, snippet, language, product, score.

    `lang` None searches all three languages; `product` None means no product chosen (all articles).
    """
    languages = (lang,) if lang is not None else LANGUAGES
    terms = _terms(q)
    if terms is None:
        return []
    rows = (await conn.execute(_ranked(terms, product, languages, limit))).mappings().all()
    if rows:
        return [_suggestion(dict(row)) for row in rows]
    return await _similar_titles(conn, terms, product, languages, limit)
