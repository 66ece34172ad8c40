"""`escalator users ...`: find people by name or e-mail (staff keys), to assign or open tickets for them."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.context import CursorOption, JsonFlag, Limit, call, show
from cli.render import paged, users_table
from domain.actors import Role

app = typer.Typer(help="Find people.", no_args_is_help=True)


@app.command("find")
def find(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="Part of a name or e-mail address.")],
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation's people.")] = None,
    role: Annotated[list[Role] | None, typer.Option("--role", help="Repeat for several.")] = None,
    limit: Limit = 25,
    cursor: CursorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Best match first: the exact address, then names or addresses starting with QUERY, then the rest."""
    params = {
        "q": query,
        "org_id": org,
        "role": [r.value for r in role] if role else None,
        "limit": limit,
        "cursor": cursor,
    }
    page = call(ctx, "GET", "/v1/users", params=params, as_json=as_json)
    show(page, as_json, lambda p: paged(p, users_table))
