"""The service `Context` of a page: the signed-in person plus the process's engine, settings and Temporal.

Pages hand it to the same service functions the API routes call (services.tickets, services.commands),
so a page can never see or do more than the person could through the API.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.context import Context, lazy_client
from web.auth import PortalUser
from web.state import engine_of, settings_of


def portal_context(request: Request, principal: PortalUser) -> Context:
    """The context of a customer or org admin on a portal page."""
    return Context(principal, engine_of(request), settings_of(request), lazy_client(request.app.state))


PortalContext = Annotated[Context, Depends(portal_context)]
