"""`escalator admin ...`: organisations, users, API keys, calendars and SLA policies (admin keys only)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from cli.context import CursorOption, JsonFlag, Limit, call, show
from cli.render import document_view, key_view, orgs_table, paged, users_table
from domain.actors import Role

app = typer.Typer(help="Administration (needs an admin key).", no_args_is_help=True)
orgs = typer.Typer(help="Organisations.", no_args_is_help=True)
users = typer.Typer(help="Users.", no_args_is_help=True)
keys = typer.Typer(help="API keys.", no_args_is_help=True)
calendars = typer.Typer(help="Business-hours calendars (versioned).", no_args_is_help=True)
policies = typer.Typer(
    help="SLA policies (versioned; a new version re-targets open tickets).", no_args_is_help=True
)
app.add_typer(orgs, name="orgs")
app.add_typer(users, name="users")
app.add_typer(keys, name="keys")
app.add_typer(calendars, name="calendars")
app.add_typer(policies, name="policies")

Name = Annotated[str, typer.Argument(help="Lowercase letters, digits and dashes, e.g. default.")]
DocumentFile = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The JSON document to store.")
]


def _read_document(path: Path) -> dict[str, Any]:
    """The JSON body to PUT; a broken file is the caller's mistake, reported as a usage error."""
    try:
        doc = json.loads(path.read_text())
    except ValueError as exc:
        raise typer.BadParameter(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise typer.BadParameter(f"{path} must hold a JSON object")
    return {
        k: v for k, v in doc.items() if k not in ("name", "version", "rollout_workflow_id", "rollout_url")
    }


@orgs.command("list")
def list_orgs(
    ctx: typer.Context,
    q: Annotated[str | None, typer.Option("--q", help="Part of the name or slug.")] = None,
    limit: Limit = 25,
    cursor: CursorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Organisations by name, a page at a time."""
    params = {"q": q, "limit": limit, "cursor": cursor}
    show(
        call(ctx, "GET", "/v1/admin/orgs", params=params, as_json=as_json),
        as_json,
        lambda p: paged(p, orgs_table),
    )


@orgs.command("create")
def create_org(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Display name.")],
    slug: Annotated[str, typer.Argument(help="Unique, lowercase, e.g. acme.")],
    as_json: JsonFlag = False,
) -> None:
    """Create an organisation."""
    org = call(ctx, "POST", "/v1/admin/orgs", body={"name": name, "slug": slug}, as_json=as_json)
    show(org, as_json, lambda o: orgs_table([o]))


@users.command("list")
def list_users(
    ctx: typer.Context,
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation's users.")] = None,
    limit: Limit = 25,
    cursor: CursorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Users by name, optionally of one organisation, a page at a time."""
    params = {"org_id": org, "limit": limit, "cursor": cursor}
    data = call(ctx, "GET", "/v1/admin/users", params=params, as_json=as_json)
    show(data, as_json, lambda p: paged(p, users_table))


@users.command("create")
def create_user(
    ctx: typer.Context,
    org_id: Annotated[str, typer.Argument(help="The organisation's id.")],
    name: Annotated[str, typer.Option("--name")],
    email: Annotated[str, typer.Option("--email")],
    role: Annotated[Role, typer.Option("--role")] = Role.CUSTOMER,
    locale: Annotated[str, typer.Option("--locale", help="en or pt-BR.")] = "en",
    as_json: JsonFlag = False,
) -> None:
    """Create a user in an organisation."""
    body = {"name": name, "email": email, "role": role.value, "locale": locale}
    user = call(ctx, "POST", f"/v1/admin/orgs/{org_id}/users", body=body, as_json=as_json)
    show(user, as_json, lambda u: users_table([u]))


@keys.command("create")
def create_key(
    ctx: typer.Context,
    user_id: Annotated[str, typer.Argument(help="Whose key.")],
    name: Annotated[str, typer.Option("--name", help="What the key is for.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Issue an API key; the key itself is printed only this once."""
    key = call(ctx, "POST", f"/v1/admin/users/{user_id}/keys", body={"name": name}, as_json=as_json)
    show(key, as_json, key_view)


@keys.command("revoke")
def revoke_key(
    ctx: typer.Context,
    key_id: Annotated[str, typer.Argument(help="The key's id (not the key).")],
    as_json: JsonFlag = False,
) -> None:
    """Revoke an API key at once."""
    call(ctx, "DELETE", f"/v1/admin/keys/{key_id}", as_json=as_json)
    show({"revoked": key_id}, as_json, lambda d: Text(f"revoked {d['revoked']}"))


@calendars.command("get")
def get_calendar(ctx: typer.Context, name: Name, as_json: JsonFlag = False) -> None:
    """The current version of a calendar."""
    data = call(ctx, "GET", f"/v1/admin/calendars/{name}", as_json=as_json)
    show(data, as_json, lambda d: document_view("calendar", d))


@calendars.command("put")
def put_calendar(ctx: typer.Context, name: Name, file: DocumentFile, as_json: JsonFlag = False) -> None:
    """Store FILE as the calendar's new version (`calendars get NAME --json` gives a starting point)."""
    data = call(ctx, "PUT", f"/v1/admin/calendars/{name}", body=_read_document(file), as_json=as_json)
    show(data, as_json, lambda d: document_view("calendar", d))


@policies.command("get")
def get_policy(ctx: typer.Context, name: Name, as_json: JsonFlag = False) -> None:
    """The current version of an SLA policy."""
    data = call(ctx, "GET", f"/v1/admin/sla-policies/{name}", as_json=as_json)
    show(data, as_json, lambda d: document_view("SLA policy", d))


@policies.command("put")
def put_policy(ctx: typer.Context, name: Name, file: DocumentFile, as_json: JsonFlag = False) -> None:
    """Store FILE as the policy's new version; open tickets on it are re-targeted."""
    data = call(ctx, "PUT", f"/v1/admin/sla-policies/{name}", body=_read_document(file), as_json=as_json)
    show(data, as_json, lambda d: document_view("SLA policy", d))
