"""Knowledge base endpoints: administration (admins) and article suggestions (anyone signed in).

Suggestions serve the ticket form: while a customer types a subject the client asks for articles
that may answer it, in the customer's language and for the chosen product.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from api.auth import CurrentUser, require_roles
from api.context import ContextDep
from api.deps import EngineDep
from api.pagination import Cursor, Limit
from api.schemas.kb import (
    MAX_IMPORT,
    KbArticleIn,
    KbArticleOut,
    KbArticlePage,
    KbImportResult,
    KbSuggestion,
    Language,
)
from domain.actors import Role
from services.audit import audit
from services.pagination import decode_cursor, page_of
from services.problems import Problem, not_found
from store import kb

admin_router = APIRouter(
    prefix="/v1/admin/kb", tags=["knowledge base"], dependencies=[require_roles(Role.ADMIN)]
)
router = APIRouter(prefix="/v1/kb", tags=["knowledge base"])

INVALID = "/problems/invalid-request"
IMPORT_BODY = Body(description=f"a JSON array of at most {MAX_IMPORT} articles (as in POST /v1/admin/kb)")


def _url_taken() -> Problem:
    return Problem(409, "another article has this url", type_="/problems/conflict")


@admin_router.post("", status_code=201, response_model=KbArticleOut, summary="Create an article")
async def create_article(body: KbArticleIn, context: ContextDep, response: Response) -> KbArticleOut:
    try:
        async with context.engine.begin() as conn:
            article = await kb.create_article(conn, body.content())
            await audit(context, "kb_article.created", f"kb_article:{article['id']}", _about(body), conn)
    except IntegrityError as exc:
        raise _url_taken() from exc
    response.headers["Location"] = f"/v1/admin/kb/{article['id']}"
    return KbArticleOut.model_validate(article)


def _about(body: KbArticleIn) -> dict[str, Any]:
    """What the audit log keeps of an article: enough to recognise it, not its text."""
    return {"title": body.title, "url": str(body.url), "language": body.language}


@admin_router.get("", response_model=KbArticlePage, summary="List articles (by title)")
async def list_articles(
    engine: EngineDep,
    language: Language | None = None,
    product: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    limit: Limit = 25,
    cursor: Cursor = None,
) -> KbArticlePage:
    after = decode_cursor(cursor, (str, str))
    async with engine.connect() as conn:
        rows = await kb.list_articles(conn, language=language, product=product, limit=limit + 1, after=after)
    page = page_of(rows, limit, lambda row: (row["title"], row["id"]))
    items = [KbArticleOut.model_validate(row) for row in page.items]
    return KbArticlePage(items=items, next_cursor=page.next_cursor)


@admin_router.post("/import", response_model=KbImportResult, summary="Import articles (upsert by url)")
async def import_articles(items: Annotated[list[Any], IMPORT_BODY], context: ContextDep) -> KbImportResult:
    """All or nothing: one bad item refuses the import, naming the index of every bad item."""
    articles = _validated(items)
    async with context.engine.begin() as conn:
        counts = await kb.upsert_articles(conn, [article.content() for article in articles])
        await audit(context, "kb.imported", "kb", asdict(counts), conn)
    return KbImportResult(**asdict(counts))


@admin_router.get("/{article_id}", response_model=KbArticleOut, summary="An article")
async def get_article(article_id: str, engine: EngineDep) -> KbArticleOut:
    async with engine.connect() as conn:
        article = await kb.get_article(conn, article_id)
    if article is None:
        raise not_found("article")
    return KbArticleOut.model_validate(article)


@admin_router.put("/{article_id}", response_model=KbArticleOut, summary="Replace an article")
async def replace_article(article_id: str, body: KbArticleIn, context: ContextDep) -> KbArticleOut:
    try:
        async with context.engine.begin() as conn:
            article = await kb.update_article(conn, article_id, body.content())
            if article is None:
                raise not_found("article")
            await audit(context, "kb_article.replaced", f"kb_article:{article_id}", _about(body), conn)
    except IntegrityError as exc:
        raise _url_taken() from exc
    return KbArticleOut.model_validate(article)


@admin_router.delete("/{article_id}", status_code=204, summary="Delete an article")
async def delete_article(article_id: str, context: ContextDep) -> Response:
    async with context.engine.begin() as conn:
        if not await kb.delete_article(conn, article_id):
            raise not_found("article")
        await audit(context, "kb_article.deleted", f"kb_article:{article_id}", {}, conn)
    return Response(status_code=204)


@router.get("/suggestions", response_model=list[KbSuggestion], summary="Articles for a subject being typed")
async def suggestions(
    _: CurrentUser,
    engine: EngineDep,
    q: Annotated[str, Query(min_length=2, max_length=200, description="the subject typed so far")],
    product: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    lang: Annotated[Language | None, Query(description="the customer's language; all if absent")] = None,
    limit: Annotated[int, Query(ge=1, le=10)] = 3,
) -> list[KbSuggestion]:
    """Best first; general articles (no product) are suggested for every product."""
    async with engine.connect() as conn:
        found = await kb.suggest(conn, q, product=product, lang=lang, limit=limit)
    return [KbSuggestion.model_validate(row) for row in found]


def _validated(items: list[Any]) -> list[KbArticleIn]:
    """Every item checked, so one answer lists all the problems of a file."""
    if len(items) > MAX_IMPORT:
        raise Problem(
            422,
            f"at most {MAX_IMPORT} articles per import, got {len(items)}",
            type_=INVALID,
            errors=[{"field": "", "message": f"at most {MAX_IMPORT} items"}],
        )
    articles: list[KbArticleIn] = []
    errors: list[dict[str, Any]] = []
    first_with_url: dict[str, int] = {}
    for index, item in enumerate(items):
        try:
            article = KbArticleIn.model_validate(item)
        except ValidationError as exc:
            errors.extend(_item_errors(index, exc))
            continue
        url = str(article.url)
        if url in first_with_url:
            errors.append(_error(index, ("url",), f"repeats the url of item {first_with_url[url]}"))
        first_with_url.setdefault(url, index)
        articles.append(article)
    if errors:
        raise _invalid_items(errors, len(items))
    return articles


def _error(index: int, loc: tuple[Any, ...], message: str) -> dict[str, Any]:
    return {"index": index, "field": ".".join(str(part) for part in (index, *loc)), "message": message}


def _item_errors(index: int, exc: ValidationError) -> list[dict[str, Any]]:
    return [_error(index, tuple(err["loc"]), err["msg"]) for err in exc.errors()]


def _invalid_items(errors: list[dict[str, Any]], total: int) -> Problem:
    indexes = sorted({error["index"] for error in errors})
    shown = ", ".join(map(str, indexes[:20])) + (", …" if len(indexes) > 20 else "")
    return Problem(
        422,
        f"{len(indexes)} of {total} articles are invalid (items {shown}); nothing was imported",
        type_=INVALID,
        errors=errors,
        invalid_items=indexes,
    )
