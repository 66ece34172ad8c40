"""RFC 9457 problem details for every error the API returns; services raise `Problem`, this renders it."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError

from services.problems import Problem, unavailable

PROBLEM_JSON = "application/problem+json"
INVALID = "/problems/invalid-request"
UNIQUE_VIOLATION = "23505"  # Postgres SQLSTATE


def problem_response(problem: Problem, instance: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {
        "type": problem.type,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
    }
    if instance:
        body["instance"] = instance
    body.update(problem.extensions)
    return JSONResponse(body, status_code=problem.status, headers=problem.headers, media_type=PROBLEM_JSON)


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body",)]
        errors.append({"field": ".".join(loc), "message": err.get("msg", "invalid")})
    return errors


def install_problem_handlers(app: FastAPI) -> None:
    """Every error path answers problem+json, including framework-raised ones."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _field_errors(exc)
        malformed = any(e["message"].startswith("JSON decode error") for e in errors)
        status = 400 if malformed else 422
        first = errors[0] if errors else {"field": "", "message": "invalid request"}
        detail = f"{first['field'] or 'body'}: {first['message']}"
        problem = Problem(status, detail, type_="/problems/invalid-request", errors=errors)
        return problem_response(problem, request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        problem = Problem(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))
        return problem_response(problem, request.url.path)

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: DataError) -> JSONResponse:
        """Postgres refused a value the request carried (a NUL character, a number out of range):
        the request is at fault, and retrying it would fail again, so not the generic 503."""
        problem = Problem(
            422,
            "the request carries a value that cannot be stored (for instance a NUL character)",
            type_=INVALID,
        )
        return problem_response(problem, request.url.path)

    @app.exception_handler(IntegrityError)
    async def _refused_by_constraint(request: Request, exc: IntegrityError) -> JSONResponse:
        """A constraint the handler did not check first: a duplicate conflicts (409), anything else
        (a required value missing, a reference to nothing) is an invalid request (422); never a 503."""
        duplicate = getattr(exc.orig, "sqlstate", None) == UNIQUE_VIOLATION
        status, detail = (
            (409, "conflicts with what is stored") if duplicate else (422, "breaks a rule of the data")
        )
        problem = Problem(
            status, f"the request {detail}", type_="/problems/conflict" if duplicate else INVALID
        )
        return problem_response(problem, request.url.path)

    @app.exception_handler(WorkflowUpdateRPCTimeoutOrCancelledError)
    async def _update_timed_out(
        request: Request, exc: WorkflowUpdateRPCTimeoutOrCancelledError
    ) -> JSONResponse:
        """A workflow update that did not finish in time is retryable, wherever a handler forgot to say so."""
        return problem_response(unavailable("temporal", retry_after=2), request.url.path)
