"""The FastAPI application: `uvicorn api.app:app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from api.body_limits import install_body_limits
from api.metrics_endpoint import install_metrics
from api.offline_docs import install_offline_docs
from api.openapi_responses import document_problems
from api.operation_ids import operation_id
from api.problems import install_problem_handlers, problem_response, unavailable
from api.rate_limit import install_rate_limit
from api.request_context import request_context
from api.request_spans import install_request_spans
from api.routers import (
    admin,
    attachments,
    audit,
    directory,
    escalations,
    health,
    jira_webhooks,
    kb,
    macros,
    me,
    queues,
    reports,
    sla_admin,
    sla_report,
    support_access,
    suspended_mail,
    tickets,
    webhooks,
)
from infra.log import configure_logging
from infra.settings import Settings, get_settings
from integrations.jira.cards import load_jira_settings
from integrations.jira.settings import JiraSettings
from store.db import create_engine
from web.mount import PAGE_BODY_LIMITS, mount_web

_FROM_ENVIRONMENT: object = object()


def create_app(
    settings: Settings | None = None,
    engine: AsyncEngine | None = None,
    temporal: Client | None = None,
    jira: JiraSettings | object | None = _FROM_ENVIRONMENT,
) -> FastAPI:
    """Tests pass their own engine and client; the server process builds them from settings."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_engine = app.state.engine is None
        if own_engine:
            app.state.engine = create_engine(
                app.state.settings.database_url, app.state.settings.database_pool_size
            )
        yield
        if own_engine:
            await app.state.engine.dispose()

    app = FastAPI(
        title="Escalator",
        version="0.1.0",
        description="Support tickets and escalations as durable Temporal workflows.",
        lifespan=lifespan,
        docs_url=None,  # served from local assets by install_offline_docs
        redoc_url=None,
        generate_unique_id_function=operation_id,
    )
    app.state.settings = settings or get_settings()
    app.state.engine = engine
    app.state.temporal = temporal
    app.state.jira = load_jira_settings() if jira is _FROM_ENVIRONMENT else jira
    install_problem_handlers(app)
    install_body_limits(app, by_prefix=PAGE_BODY_LIMITS)
    install_rate_limit(app)
    app.middleware("http")(request_context)
    install_metrics(app)
    install_request_spans(app)

    @app.exception_handler(OperationalError)
    @app.exception_handler(DBAPIError)
    async def _database_down(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(unavailable("postgres"), request.url.path)

    routers = (
        health.router,
        me.router,
        tickets.router,
        escalations.router,
        directory.users_router,
        directory.orgs_router,
        attachments.router,
        jira_webhooks.router,
        reports.router,
        kb.router,
        support_access.router,
        admin.router,
        audit.router,
        kb.admin_router,
        sla_admin.router,
        queues.router,
        queues.admin_router,
        macros.router,
        macros.staff_router,
        macros.admin_router,
        sla_report.router,
        webhooks.router,
        suspended_mail.router,
    )
    for router in routers:
        app.include_router(router)
    document_problems(app)
    install_offline_docs(app)
    mount_web(app)  # the people's pages (/portal): the one place where api/ meets web/
    return app


def _server_app() -> FastAPI:
    settings = get_settings()
    configure_logging(settings)
    return create_app(settings)


app = _server_app()
