"""The signed-in person of a page, as the same `Principal` the API gives its routes.

Pages pass it to the same service functions the API calls, so a page can never do more than the
person could do with their API key.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from domain.actors import CUSTOMER_ROLES, Role
from store.identities import Principal
from web.errors import PageForbidden, SignInRequired
from web.i18n import N_
from web.visitor import VisitorDep


async def signed_in(request: Request, visitor: VisitorDep) -> Principal:
    """The principal of the session; otherwise the visitor is sent to sign in and brought back here."""
    if visitor.principal is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(path if request.method == "GET" else "")
    return visitor.principal


SignedIn = Annotated[Principal, Depends(signed_in)]


async def portal_customer(principal: SignedIn) -> Principal:
    """Customers and org admins: the portal is their side of the desk."""
    if Role(principal.role) not in CUSTOMER_ROLES:
        raise PageForbidden(N_("The customer portal is for customers. Support staff work from the API."))
    return principal


PortalUser = Annotated[Principal, Depends(portal_customer)]
