"""Who may see what: the one place that decides visibility.

`scope_for` turns a principal into the `Scope` every store query enforces in SQL, so lists, details,
timelines, files, escalations, reports and users agree by construction, and a row outside the
scope reads as absent (404, never 403: ids must not leak).

- staff (agent, engineer, admin): every organisation, internal notes included;
- org admin: every ticket of their organisation, no internal notes;
- customer: the tickets of their organisation they requested or are cc'd on;
- an agent acting through a support-access grant sees exactly what the user who granted it sees
  (the principal is that user, with `acting_agent_id` set).
"""

from __future__ import annotations

from domain.actors import Role, is_staff
from store.identities import Principal
from store.scope import Scope

__all__ = ["Scope", "scope_for"]


def scope_for(principal: Principal) -> Scope:
    """What this principal may read."""
    if is_staff(principal.role):
        return Scope(viewer_id=principal.user_id, org_id=None, participant_id=None, internal=True)
    if principal.role is Role.ORG_ADMIN:
        return Scope(
            viewer_id=principal.user_id, org_id=principal.org_id, participant_id=None, internal=False
        )
    return Scope(
        viewer_id=principal.user_id,
        org_id=principal.org_id,
        participant_id=principal.user_id,
        internal=False,
    )
