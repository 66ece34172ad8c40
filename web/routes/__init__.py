"""The portal's routes under /portal, every one behind the visitor and CSRF dependencies."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from web.csrf import csrf_guard
from web.links import PORTAL
from web.routes import (
    files,
    language,
    links,
    my_tickets,
    new_ticket,
    signin,
    signout,
    support_access,
    ticket_close,
    ticket_page,
    ticket_reply,
)
from web.visitor import visitor

router = APIRouter(dependencies=[Depends(visitor), Depends(csrf_guard)], include_in_schema=False)
for module in (
    signin,
    signout,
    language,
    my_tickets,
    new_ticket,
    ticket_page,
    ticket_reply,
    ticket_close,
    files,
    links,
    support_access,
):
    router.include_router(module.router, prefix=PORTAL)
