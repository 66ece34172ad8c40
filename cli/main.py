"""The `escalator` command: global connection options and the command groups.

Installed as the console script `escalator = "cli.main:app"`; `python -m cli.main` works too.
Shell completion comes from Typer: `escalator --install-completion`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cli import admin, escalations, tickets, users
from cli.client import resolve_connection
from cli.queue import queue

app = typer.Typer(
    name="escalator",
    help="Staff command line for Escalator: tickets, escalations and administration over the HTTP API.",
    no_args_is_help=True,
)
app.add_typer(tickets.app, name="tickets")
app.add_typer(escalations.app, name="escalations")
app.add_typer(users.app, name="users")
app.add_typer(admin.app, name="admin")
app.command("queue")(queue)


@app.callback()
def connect(
    ctx: typer.Context,
    url: Annotated[
        str | None,
        typer.Option("--url", help="API base URL (env ESCALATOR_URL; default http://localhost:8000)."),
    ] = None,
    key: Annotated[
        str | None,
        typer.Option(
            "--key",
            help="API key (env ESCALATOR_API_KEY; else the agent key in .data/demo-keys.json).",
        ),
    ] = None,
) -> None:
    """Choose the API and the key once, for whichever command follows."""
    ctx.obj = resolve_connection(url, key)


if __name__ == "__main__":
    app()
