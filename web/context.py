"""The service `Context` of a page: the signed-in person plus the process's engine, settings and Temporal.

Pages hand it to the same service functions the API routes call (services.tickets, services.commands),
so a page can never see or do more than the person could through the API.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from temporalio.client import Client

from infra.temporal_client import connect
from services.context import Context, TemporalProvider
from services.problems import unavailable
from web.auth import PortalUser
from web.state import engine_of, settings_of


def temporal_provider(request: Request) -> TemporalProvider:
    """Temporal on first use (reads answer while it is away; writes fail with a 503 Problem)."""

    async def temporal() -> Client:
        state = request.app.state
        if state.temporal is None:
            try:
                state.temporal = await connect(state.settings)
            except Exception as exc:
                raise unavailable("temporal") from exc
        client: Client = state.temporal
        return client

    return temporal


def portal_context(request: Request, principal: PortalUser) -> Context:
    """The context of a customer or org admin on a portal page."""
    return Context(principal, engine_of(request), settings_of(request), temporal_provider(request))


PortalContext = Annotated[Context, Depends(portal_context)]
