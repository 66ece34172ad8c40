"""The portal's routes under /portal, every one behind the visitor and CSRF dependencies."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from web.csrf import csrf_guard
from web.links import PORTAL
from web.routes import language, links, my_tickets, signin, signout, support_access
from web.visitor import visitor

router = APIRouter(dependencies=[Depends(visitor), Depends(csrf_guard)], include_in_schema=False)
for module in (signin, signout, language, my_tickets, links, support_access):
    router.include_router(module.router, prefix=PORTAL)
