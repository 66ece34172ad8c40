"""Everything a service call needs: who asks, and the process's database, Temporal and settings.

A transport builds one per request (the API through a dependency, the web pages the same way,
inbound mail per message) and passes it to every service function, so services never reach into
a framework's state. The Temporal client is obtained on first use: reads must keep answering while
Temporal is away, and only writes fail (503) without it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from infra.settings import Settings
from infra.temporal_client import connect
from services.access import scope_for
from services.problems import unavailable
from store.identities import Principal
from store.scope import Scope

TemporalProvider = Callable[[], Awaitable[Client]]


@dataclass(frozen=True)
class Context:
    """One caller's request: the principal, the scope derived from it, and the shared resources."""

    principal: Principal
    engine: AsyncEngine
    settings: Settings
    temporal: TemporalProvider
    scope: Scope = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "scope", scope_for(self.principal))

    async def client(self) -> Client:
        """The Temporal client (connects lazily; raises a 503 Problem when Temporal is away)."""
        return await self.temporal()


def fixed_client(client: Client) -> TemporalProvider:
    """A provider for processes that already hold a connected client (inbound mail, tests)."""

    async def _client() -> Client:
        return client

    return _client


async def connected_client(state: Any) -> Client:
    """The process's Temporal client, connected on first use and kept on `state` (the app's state):
    the API and the pages start, and read, while Temporal is away; a write then answers 503."""
    if state.temporal is None:
        try:
            state.temporal = await connect(state.settings)
        except Exception as exc:
            raise unavailable("temporal") from exc
    client: Client = state.temporal
    return client


def lazy_client(state: Any) -> TemporalProvider:
    """A provider over `connected_client`, for a service `Context`."""

    async def _client() -> Client:
        return await connected_client(state)

    return _client
