"""The caller's service context as a dependency: what every route hands to the services."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from api.auth import CurrentUser
from api.deps import EngineDep, SettingsDep, TemporalProviderDep
from services.context import Context


def get_context(
    principal: CurrentUser, engine: EngineDep, settings: SettingsDep, temporal: TemporalProviderDep
) -> Context:
    """Temporal is connected only when a service needs it, so reads answer while it is away."""
    return Context(principal, engine, settings, temporal)


ContextDep = Annotated[Context, Depends(get_context)]
