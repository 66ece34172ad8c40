"""What every command shares: the connection chosen by the root options, the one place where API
failures become messages and exit codes, and the switch between rich views and raw JSON.

Exit codes: 0 done, 1 the API refused (its problem detail is printed), 2 the API could not be reached.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console, RenderableType
from rich.text import Text

from cli.client import ApiProblem, ApiUnreachable, Connection, open_client, resolve_connection
from cli.render import problem_view

EXIT_PROBLEM = 1
EXIT_UNREACHABLE = 2

JsonFlag = Annotated[bool, typer.Option("--json", help="Print the API's JSON as is (for scripts and jq).")]
Limit = Annotated[int, typer.Option("--limit", min=1, max=100, help="At most this many per page.")]
CursorOption = Annotated[str | None, typer.Option("--cursor", help="From a previous page ('more: ...').")]


def connection_of(ctx: typer.Context) -> Connection:
    """The root callback stores the connection; a command invoked on its own resolves one."""
    found = ctx.find_root().obj
    return found if isinstance(found, Connection) else resolve_connection()


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def call(
    ctx: typer.Context,
    method: str,
    path: str,
    *,
    params: Mapping[str, Any] | None = None,
    body: Any = None,
    as_json: bool = False,
) -> Any:
    """One API request; on failure print why (and with --json the problem itself) and exit."""
    errors = Console(stderr=True)
    try:
        with open_client(connection_of(ctx)) as api:
            return api.request(method, path, params=params, body=body)
    except ApiProblem as exc:
        if as_json:
            _print_json(exc.problem)
        errors.print(problem_view(exc.status, exc.problem))
        raise typer.Exit(EXIT_PROBLEM) from None
    except ApiUnreachable as exc:
        errors.print(Text(str(exc), style="bold red"))
        raise typer.Exit(EXIT_UNREACHABLE) from None


def show(data: Any, as_json: bool, view: Callable[[Any], RenderableType]) -> None:
    """Raw JSON for `--json`, else the rich view of the same data."""
    if as_json:
        _print_json(data)
    else:
        Console().print(view(data))


def now() -> datetime:
    """The instant views measure "left" and "ago" from."""
    return datetime.now(UTC)
