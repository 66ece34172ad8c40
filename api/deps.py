"""Shared resources of the API process as dependencies; routes take these, never `request.app.state`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from infra.settings import Settings
from integrations.jira.settings import JiraSettings
from services.context import TemporalProvider, connected_client, lazy_client


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> AsyncEngine:
    engine: AsyncEngine = request.app.state.engine
    return engine


def get_jira(request: Request) -> JiraSettings | None:
    """The JIRA connection settings, or None when no JIRA is configured."""
    jira: JiraSettings | None = request.app.state.jira
    return jira


async def get_temporal(request: Request) -> Client:
    """The Temporal client; connects lazily so the API starts (and answers 503) while Temporal is down."""
    return await connected_client(request.app.state)


def get_temporal_provider(request: Request) -> TemporalProvider:
    """Temporal on demand: for routes that may answer without it (a webhook for an unknown card, /readyz)."""
    return lazy_client(request.app.state)


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[AsyncEngine, Depends(get_engine)]
TemporalDep = Annotated[Client, Depends(get_temporal)]
JiraDep = Annotated[JiraSettings | None, Depends(get_jira)]
TemporalProviderDep = Annotated[TemporalProvider, Depends(get_temporal_provider)]
