"""Shared resources of the API process, reached through the app state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from api.problems import unavailable
from infra.settings import Settings
from infra.temporal_client import connect


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> AsyncEngine:
    engine: AsyncEngine = request.app.state.engine
    return engine


async def get_temporal(request: Request) -> Client:
    """The Temporal client; connects lazily so the API starts (and answers 503) while Temporal is down."""
    state = request.app.state
    if state.temporal is None:
        try:
            state.temporal = await connect(state.settings)
        except Exception as exc:
            raise unavailable("temporal") from exc
    client: Client = state.temporal
    return client


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[AsyncEngine, Depends(get_engine)]
TemporalDep = Annotated[Client, Depends(get_temporal)]
