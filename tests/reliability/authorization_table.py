"""Who may call what: one row per (method, path template) the app serves, with what each caller gets.

Why an explicit table rather than rules inferred from the code: the table is the reviewed statement of
intent, and `test_authorization_matrix` fails when the app serves a route missing from it (or the
table names one the app no longer serves), so a new endpoint cannot ship unclassified.

Cases: "own" is a member of organisation a on a's resources; "other" is a member of organisation b on
a's resources (for staff, who serve every organisation: staff on b's resources); "none" sends no key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum
from typing import Any

from tests.reliability.world import CUSTOMER_ROLES, ROLES, STAFF_ROLES, TEXT_FILE, Side, World, article_body


class Access(Enum):
    PUBLIC = "public"  # anyone, with or without a key
    KEY = "key"  # an API key (or support-access token); none → 401
    SIGNED = "signed"  # JIRA's HMAC signature; keys do not count → 401 without it


OK = frozenset({200, 201, 202, 204, 409, 422})  # 409/422: past authorisation, the rules refuse
ALL = frozenset(ROLES)
ADMIN = frozenset({"admin"})
DECIDERS = frozenset({"agent", "admin"})
NOT_FOUND = frozenset({404})


@dataclass(frozen=True)
class Call:
    """One cell of the matrix: who calls, on whose resources."""

    world: World
    role: str
    case: str  # own | other | none
    ids: Side  # the organisation whose ids fill the path and body

    @property
    def index(self) -> int:
        """Distinct per cell, so repeated writes do not collide (dates, names)."""
        return ROLES.index(self.role) * 2 + (self.case == "other")


Body = Callable[[Call], Any]


@dataclass(frozen=True)
class Rule:
    access: Access = Access.KEY
    roles: frozenset[str] = ALL  # let through at the HTTP layer; any other role → 403
    scoped: bool = False  # the path names a customer organisation's resource: other organisation → 404
    json: Body | None = None
    multipart: bool = False
    query: Body | None = None
    expect: dict[str, frozenset[int]] = field(default_factory=dict)  # per role, when not plain OK
    other: dict[str, frozenset[int]] = field(default_factory=dict)  # per role, "other" case only


def public() -> Rule:
    return Rule(access=Access.PUBLIC)


def admin(json: Body | None = None) -> Rule:
    return Rule(roles=ADMIN, json=json)


def scoped(json: Body | None = None, **kwargs: Any) -> Rule:
    return Rule(scoped=True, json=json, **kwargs)


def _requester(call: Call) -> dict[str, str]:
    """Customers open tickets for themselves; everyone else names the customer."""
    return {} if call.role == "customer" else {"requester_id": call.ids.customer.id}


def _ticket(call: Call) -> dict[str, Any]:
    return {
        "subject": f"Matrix ticket {call.role} {call.case}",
        "description": "Opened by the authorisation matrix",
        "allow_duplicate": True,
        **_requester(call),
    }


def _eta(call: Call) -> dict[str, str]:
    return {"eta": (date.today() + timedelta(days=30 + call.index)).isoformat()}


def _calendar(call: Call) -> dict[str, Any]:
    return {"timezone": "UTC", "weekly": [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]}


def _policy(call: Call) -> dict[str, Any]:
    rules = [
        {"severity": s, "first_response_minutes": 60 * s, "resolution_minutes": 240 * s} for s in (1, 2, 3, 4)
    ]
    return {"calendar": call.ids.scratch, "rules": rules}


def _org(call: Call) -> dict[str, str]:
    return {"name": "Matrix org", "slug": f"{call.ids.scratch}-{call.index}"}


def _user(call: Call) -> dict[str, str]:
    return {
        "name": "Matrix user",
        "email": f"{call.ids.scratch}-{call.index}@example.test",
        "role": "customer",
    }


NOT_GRANTED = frozenset({404})  # no support-access grant of one's own to read or revoke
NO_SUCH_ID = "00000000-0000-4000-8000-000000000000"
NO_SUCH = frozenset({404, 422})  # an id that does not exist: not found, or refused naming the field
NO_SUCH_FOR_ADMIN = {"admin": NO_SUCH}
MACRO_ROLES = frozenset({"agent", "admin"})  # checked before the macro is looked up
NO_SUCH_FOR_MACROS = dict.fromkeys(MACRO_ROLES, NO_SUCH)

# Order matters only for what the calls leave behind: reads first, the grant is used before it is
# revoked, and the ticket is closed and merged last. Cells accept 409 where the state has moved on.
TABLE: dict[tuple[str, str], Rule] = {
    ("GET", "/openapi.json"): public(),
    ("GET", "/docs"): public(),
    ("GET", "/docs/oauth2-redirect"): public(),
    ("GET", "/redoc"): public(),
    ("GET", "/metrics"): public(),
    ("GET", "/healthz"): public(),
    ("GET", "/readyz"): public(),
    ("POST", "/v1/webhooks/jira"): Rule(access=Access.SIGNED, json=lambda call: {}),
    ("GET", "/v1/me"): Rule(),
    ("GET", "/v1/tickets"): Rule(query=lambda call: {"q": call.ids.marker}),
    ("GET", "/v1/tickets/{ticket_id}"): scoped(),
    ("GET", "/v1/escalations"): Rule(),
    ("GET", "/v1/escalations/{escalation_id}"): scoped(),
    ("POST", "/v1/attachments"): Rule(multipart=True),
    ("GET", "/v1/attachments/{attachment_id}"): scoped(),
    ("GET", "/v1/attachments/{attachment_id}/content"): scoped(),
    ("GET", "/v1/reports/satisfaction"): Rule(roles=ALL - {"customer"}),
    ("GET", "/v1/reports/sla"): Rule(
        roles=frozenset(STAFF_ROLES),
        query=lambda call: {"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"},
    ),
    ("GET", "/v1/kb/suggestions"): Rule(query=lambda call: {"q": "export"}),
    ("GET", "/v1/users"): Rule(roles=frozenset(STAFF_ROLES), query=lambda call: {"q": "customer"}),
    ("GET", "/v1/orgs"): Rule(roles=frozenset(STAFF_ROLES), query=lambda call: {"q": "org"}),
    ("PUT", "/v1/me/support-access"): Rule(roles=frozenset(CUSTOMER_ROLES), json=lambda call: {"hours": 1}),
    ("GET", "/v1/me/support-access"): Rule(expect=dict.fromkeys(STAFF_ROLES, NOT_GRANTED)),
    ("GET", "/v1/support-access"): Rule(roles=frozenset(STAFF_ROLES)),
    ("POST", "/v1/support-access/{user_id}/tokens"): Rule(roles=frozenset({"agent", "admin"})),
    ("DELETE", "/v1/me/support-access"): Rule(expect=dict.fromkeys(STAFF_ROLES, NOT_GRANTED)),
    ("POST", "/v1/tickets"): Rule(json=_ticket, other={"org_admin": frozenset({422})}),
    ("POST", "/v1/tickets/{ticket_id}/replies"): scoped(lambda call: {"body": "Matrix reply"}),
    ("POST", "/v1/tickets/{ticket_id}/feedback"): scoped(lambda call: {"satisfied": True}),
    ("POST", "/v1/tickets/{ticket_id}/resolve"): scoped(),
    ("POST", "/v1/tickets/{ticket_id}/reopen"): scoped(),
    ("POST", "/v1/tickets/{ticket_id}/assign"): scoped(
        lambda call: {"assignee_id": call.world.staff["agent"].id}
    ),
    ("POST", "/v1/tickets/{ticket_id}/reclassify"): scoped(lambda call: {"impact": f"matrix {call.index}"}),
    ("POST", "/v1/tickets/{ticket_id}/transfer"): scoped(lambda call: {"tier": "L2"}),
    ("POST", "/v1/tickets/{ticket_id}/convert"): scoped(),
    ("POST", "/v1/tickets/{ticket_id}/conference/accept"): scoped(),
    ("POST", "/v1/tickets/{ticket_id}/escalations"): scoped(
        lambda call: {"target": "engineering", "summary": "Matrix escalation"}
    ),
    ("POST", "/v1/escalations/{escalation_id}/stage"): scoped(lambda call: {"stage": "in_review"}),
    ("PUT", "/v1/escalations/{escalation_id}/eta"): scoped(_eta),
    ("POST", "/v1/escalations/{escalation_id}/cards"): scoped(lambda call: {"create": True}),
    ("DELETE", "/v1/escalations/{escalation_id}/cards/{key}"): scoped(
        expect=dict.fromkeys(STAFF_ROLES, frozenset({422}))  # ESC-1 is not linked
    ),
    ("POST", "/v1/escalations/{escalation_id}/verification"): scoped(lambda call: {"fixed": True}),
    # before the ticket is closed, so that "no such macro" is what staff are told
    ("POST", "/v1/tickets/{ticket_id}/tags"): scoped(lambda call: {"add": ["matrix"]}),
    ("POST", "/v1/tickets/{ticket_id}/macros/{macro_id}"): Rule(roles=MACRO_ROLES, expect=NO_SUCH_FOR_MACROS),
    ("POST", "/v1/tickets/{ticket_id}/macros/{macro_id}/preview"): Rule(
        roles=MACRO_ROLES, expect=NO_SUCH_FOR_MACROS
    ),
    ("POST", "/v1/tickets/{ticket_id}/close"): scoped(),
    ("POST", "/v1/tickets/{ticket_id}/merge"): scoped(lambda call: {"into": call.ids.spare_ticket_id}),
    ("POST", "/v1/admin/orgs"): admin(_org),
    ("GET", "/v1/admin/orgs"): admin(),
    ("PATCH", "/v1/admin/orgs/{org_id}"): admin(lambda call: {"name": f"Renamed {call.index}"}),
    ("POST", "/v1/admin/orgs/{org_id}/users"): admin(_user),
    ("GET", "/v1/admin/users"): admin(),
    ("POST", "/v1/admin/users/{user_id}/keys"): admin(lambda call: {"name": "matrix"}),
    ("DELETE", "/v1/admin/keys/{key_id}"): admin(),
    ("POST", "/v1/admin/kb"): admin(lambda call: article_body()),
    ("GET", "/v1/admin/kb"): admin(),
    ("POST", "/v1/admin/kb/import"): admin(lambda call: []),
    ("GET", "/v1/admin/kb/{article_id}"): admin(),
    ("PUT", "/v1/admin/kb/{article_id}"): admin(lambda call: article_body()),
    ("DELETE", "/v1/admin/kb/{article_id}"): admin(),
    ("POST", "/v1/admin/webhooks"): admin(
        lambda call: {"url": "https://hooks.invalid/escalator", "events": ["ticket.created"]}  # 422: no DNS
    ),
    ("GET", "/v1/admin/webhooks"): admin(),
    ("PATCH", "/v1/admin/webhooks/{endpoint_id}"): Rule(
        roles=ADMIN, json=lambda call: {"status": "disabled"}, expect={"admin": frozenset({404})}
    ),
    ("DELETE", "/v1/admin/webhooks/{endpoint_id}"): Rule(roles=ADMIN, expect={"admin": frozenset({404})}),
    # Suspended mail: staff read it, agents and admins decide; no such message here, so 404 past the role check.
    ("GET", "/v1/suspended-mail"): Rule(roles=frozenset(STAFF_ROLES)),
    ("GET", "/v1/suspended-mail/{mail_id}"): Rule(
        roles=frozenset(STAFF_ROLES), expect=dict.fromkeys(STAFF_ROLES, NOT_FOUND)
    ),
    ("POST", "/v1/suspended-mail/{mail_id}/accept"): Rule(
        roles=DECIDERS, expect=dict.fromkeys(DECIDERS, NOT_FOUND)
    ),
    ("POST", "/v1/suspended-mail/{mail_id}/reject"): Rule(
        roles=DECIDERS, expect=dict.fromkeys(DECIDERS, NOT_FOUND)
    ),
    ("PUT", "/v1/admin/calendars/{name}"): admin(_calendar),
    ("GET", "/v1/admin/calendars/{name}"): admin(),
    ("PUT", "/v1/admin/sla-policies/{name}"): admin(_policy),
    ("GET", "/v1/admin/sla-policies/{name}"): admin(),
    # Queues, routing, tags and macros (the queues merge). Ids of groups, rules and macros are ones
    # that do not exist: admins get 404 (or 422 naming the field), everyone else 403 first.
    ("GET", "/v1/queues"): Rule(roles=frozenset(STAFF_ROLES)),
    ("GET", "/v1/macros"): Rule(roles=frozenset(STAFF_ROLES)),
    ("POST", "/v1/admin/groups"): admin(
        lambda call: {"name": f"Matrix group {call.ids.scratch} {call.index}"}
    ),
    ("GET", "/v1/admin/groups"): admin(),
    ("POST", "/v1/admin/groups/{group_id}/members"): Rule(
        roles=ADMIN, json=lambda call: {"user_id": call.world.staff["agent"].id}, expect=NO_SUCH_FOR_ADMIN
    ),
    ("DELETE", "/v1/admin/groups/{group_id}/members/{user_id}"): Rule(roles=ADMIN, expect=NO_SUCH_FOR_ADMIN),
    ("POST", "/v1/admin/routing-rules"): admin(lambda call: {"group_id": NO_SUCH_ID}),
    ("GET", "/v1/admin/routing-rules"): admin(),
    ("PUT", "/v1/admin/routing-rules/order"): admin(lambda call: {"tier": "L2", "ids": [NO_SUCH_ID]}),
    ("DELETE", "/v1/admin/routing-rules/{rule_id}"): Rule(roles=ADMIN, expect=NO_SUCH_FOR_ADMIN),
    ("POST", "/v1/admin/macros"): admin(
        lambda call: {"name": f"Matrix macro {call.index}", "reply": "Hello"}
    ),
    ("GET", "/v1/admin/macros"): admin(),
    ("DELETE", "/v1/admin/macros/{macro_id}"): Rule(roles=ADMIN, expect=NO_SUCH_FOR_ADMIN),
    ("GET", "/v1/admin/calendars"): admin(),
    ("GET", "/v1/admin/sla-policies"): admin(),
    ("GET", "/v1/admin/audit"): admin(),
    ("GET", "/v1/admin/sla-policies/{name}/versions/{version}/rollout"): Rule(
        roles=ADMIN,
        expect={"admin": frozenset({200, 404})},  # 404 until a PUT has started one
    ),
}


def path_values(call: Call) -> dict[str, str]:
    """What fills each path parameter; a parameter missing here fails the matrix by name."""
    ids = call.ids
    return {
        "ticket_id": str(ids.ticket_id),
        "escalation_id": ids.escalation_id,
        "attachment_id": ids.attachment_id,
        "user_id": ids.customer.id,
        "org_id": ids.org.id,
        "key_id": ids.spare_key_id,
        "key": "ESC-1",
        "article_id": ids.article_id,
        "endpoint_id": NO_SUCH_ID,  # no such webhook: admins get 404
        "group_id": NO_SUCH_ID,
        "rule_id": NO_SUCH_ID,
        "macro_id": NO_SUCH_ID,
        "name": ids.scratch,
        "mail_id": "00000000-0000-4000-8000-000000000000",  # no such held message: staff get 404
        "version": "1",
    }


def expected(rule: Rule, call: Call) -> frozenset[int]:
    """The statuses this cell may answer."""
    if rule.access is Access.PUBLIC:
        return frozenset({200})
    if rule.access is Access.SIGNED or call.case == "none":
        return frozenset({401})
    if call.role not in rule.roles:
        return frozenset({403})
    if call.case == "other" and call.role in CUSTOMER_ROLES:
        if rule.scoped:
            return frozenset({404})
        if call.role in rule.other:
            return rule.other[call.role]
    return rule.expect.get(call.role, OK)


def multipart_file() -> dict[str, tuple[str, bytes, str]]:
    return {"file": ("matrix.txt", TEXT_FILE, "text/plain")}
