"""Which actions a ticket allows, and what each one changes.

`decide` turns a command into event drafts (or refuses it); `evolve` applies a numbered event to
the state. The workflow validator calls `decide` on a copy to refuse an impossible transition
before it enters history; the handler calls it again on the live state.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from domain.actors import CUSTOMER_ROLES, STAFF_ROLES, Actor, Role, refuse_attestation
from domain.errors import ActionForbidden, InvalidCommand, TransitionRejected
from domain.events import Change, Event
from domain.sla import SlaDeadline, retarget, sync_clocks
from domain.ticket.commands import (
    AbsorbMerge,
    AcceptConference,
    ApplyMacro,
    Assign,
    Close,
    ConvertChat,
    Escalate,
    Feedback,
    MergeInto,
    Reclassify,
    Reopen,
    Reply,
    Resolve,
    Tag,
    TicketCommand,
    Transfer,
)
from domain.ticket.lifecycle import survey_answered
from domain.ticket.macro_plan import STEPS, described
from domain.ticket.state import (
    SEVERITIES,
    EscalationView,
    Satisfaction,
    TicketState,
    TicketStatus,
    Tier,
)
from domain.ticket.tags import check_count, checked_tags

S = TicketStatus
NOT_CLOSED = frozenset({S.OPEN, S.PENDING, S.ESCALATED, S.RESOLVED})
MAX_BODY = 64_000


@dataclass(frozen=True)
class Rule:
    statuses: frozenset[TicketStatus]
    roles: frozenset[Role]


RULES: dict[str, Rule] = {
    "reply": Rule(NOT_CLOSED, STAFF_ROLES),
    "note": Rule(NOT_CLOSED, STAFF_ROLES),
    "customer_reply": Rule(NOT_CLOSED, CUSTOMER_ROLES),
    "resolve": Rule(frozenset({S.OPEN, S.PENDING}), STAFF_ROLES),
    "reopen": Rule(frozenset({S.RESOLVED}), STAFF_ROLES | CUSTOMER_ROLES),
    "close": Rule(NOT_CLOSED, CUSTOMER_ROLES),
    "assign": Rule(NOT_CLOSED, STAFF_ROLES),
    "reclassify": Rule(NOT_CLOSED, STAFF_ROLES),
    "transfer": Rule(NOT_CLOSED, frozenset({Role.AGENT, Role.ADMIN})),
    "escalate": Rule(frozenset({S.OPEN, S.PENDING}), frozenset({Role.AGENT, Role.ADMIN})),
    # The requester only (checked in _decide_feedback), whether customer or org admin; a closed
    # ticket only while its workflow keeps the feedback window open (decide's `late_feedback`).
    "feedback": Rule(frozenset({S.RESOLVED, S.CLOSED}), CUSTOMER_ROLES),
    "merge": Rule(NOT_CLOSED, frozenset({Role.AGENT, Role.ADMIN})),
    "absorb_merge": Rule(NOT_CLOSED, frozenset({Role.AGENT, Role.ADMIN})),
    "convert_chat": Rule(frozenset({S.OPEN, S.PENDING}), frozenset({Role.AGENT, Role.ADMIN})),
    "accept_conference": Rule(NOT_CLOSED - {S.RESOLVED}, STAFF_ROLES),
    "tag": Rule(NOT_CLOSED, STAFF_ROLES),
    "macro": Rule(NOT_CLOSED, frozenset({Role.AGENT, Role.ADMIN})),
}


def allowed_actions(state: TicketState, role: Role) -> list[str]:
    """The actions this role may take now; shown to clients when a transition is refused."""
    return [name for name, rule in RULES.items() if state.status in rule.statuses and role in rule.roles]


def action_name(command: TicketCommand) -> str:
    """Map a command to its rule name; a reply's author role decides customer vs agent reply."""
    if isinstance(command, Reply):
        if command.actor.role in CUSTOMER_ROLES:
            return "customer_reply"
        return "note" if command.internal else "reply"
    return {
        Resolve: "resolve",
        Reopen: "reopen",
        Close: "close",
        Assign: "assign",
        Reclassify: "reclassify",
        Transfer: "transfer",
        Escalate: "escalate",
        Feedback: "feedback",
        MergeInto: "merge",
        AbsorbMerge: "absorb_merge",
        ConvertChat: "convert_chat",
        AcceptConference: "accept_conference",
        Tag: "tag",
        ApplyMacro: "macro",
    }[type(command)]


def decide(state: TicketState, command: TicketCommand, *, late_feedback: bool = False) -> list[Change]:
    """Refuse the command or return the changes it makes; pure and side-effect free.

    `late_feedback`: the workflow keeps a closed ticket's feedback window open now (it alone knows
    the clock and whether the run is old enough to have completed at the close instead).
    """
    action = action_name(command)
    _check_allowed(state, action, command.actor)
    if action == "feedback" and state.status is S.CLOSED and not late_feedback:
        raise TransitionRejected(
            "feedback", state.status.value, [], "the time to rate this closed ticket is over"
        )
    return _DECIDERS[action](state, command)


def _check_allowed(state: TicketState, action: str, actor: Actor) -> None:
    rule = RULES[action]
    if actor.role not in rule.roles:
        raise TransitionRejected(
            action, state.status.value, allowed_actions(state, actor.role), f"a {actor.role} cannot {action}"
        )
    if state.status not in rule.statuses:
        raise TransitionRejected(
            action,
            state.status.value,
            allowed_actions(state, actor.role),
            f"cannot {action} a ticket that is {state.status}",
        )


def _status_change(state: TicketState, to: TicketStatus, reason: str) -> list[Change]:
    if state.status is to:
        return []
    return [Change("status_changed", {"from": state.status.value, "to": to.value, "reason": reason})]


def _check_body(body: str) -> None:
    if not body.strip():
        raise InvalidCommand("body", "must not be empty")
    if len(body) > MAX_BODY:
        raise InvalidCommand("body", f"at most {MAX_BODY} characters")


def _decide_reply(state: TicketState, command: Any) -> list[Change]:
    assert isinstance(command, Reply)
    _check_body(command.body)
    if command.await_customer and state.status not in (S.OPEN, S.PENDING):
        raise TransitionRejected(
            "reply",
            state.status.value,
            allowed_actions(state, command.actor.role),
            f"cannot wait for the customer on a ticket that is {state.status}",
        )
    changes = [Change("reply_added", _reply_data(command, author="agent"))]
    if command.await_customer:
        changes += _status_change(state, S.PENDING, "waiting for the customer")
    elif state.status is S.PENDING:
        changes += _status_change(state, S.OPEN, "agent replied without waiting for the customer")
    return changes


def _decide_note(state: TicketState, command: Any) -> list[Change]:
    assert isinstance(command, Reply)
    _check_body(command.body)
    if command.await_customer:
        raise InvalidCommand("await_customer", "an internal note does not wait for the customer")
    return [Change("note_added", _reply_data(command, author="agent"))]


def _decide_customer_reply(state: TicketState, command: Any) -> list[Change]:
    assert isinstance(command, Reply)
    _check_body(command.body)
    if command.internal:
        raise InvalidCommand("internal", "customers cannot write internal notes")
    changes = [Change("reply_added", _reply_data(command, author="customer"))]
    if state.status in (S.PENDING, S.RESOLVED):
        changes += _status_change(state, S.OPEN, "customer replied")
    return changes


def _reply_data(command: Reply, author: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "body": command.body,
        "internal": command.internal,
        "author": author,
        "attachments": list(command.attachments or []),
    }
    if command.resources:
        for n, resource in enumerate(command.resources):
            _check_https(f"resources[{n}].url", resource.get("url", ""))
        data["resources"] = [dict(r) for r in command.resources]
    return data


def _check_https(field: str, url: str) -> None:
    """Links shown to customers (shared resources, the meeting) open from a mail or a page: https only,
    so no `javascript:`, `data:` or plain-http link can be planted in front of them."""
    if not url.lower().startswith("https://") or len(url) <= len("https://"):
        raise InvalidCommand(field, "an https:// link")


def _decide_resolve(state: TicketState, command: Any) -> list[Change]:
    assert isinstance(command, Resolve)
    return _status_change(state, S.RESOLVED, command.comment or "resolved by support")


def _decide_reopen(state: TicketState, command: Any) -> list[Change]:
    assert isinstance(command, Reopen)
    return _status_change(state, S.OPEN, command.reason or "reopened")


def _decide_close(state: TicketState, command: Any) -> list[Change]:
    """The requester or their org admin closes; a cc may reply but not close, nor may support access."""
    assert isinstance(command, Close)
    refuse_attestation(command.actor, "close", state.status.value)
    if command.actor.role is Role.CUSTOMER and command.actor.user_id != state.requester_id:
        reason = "only the requester or an org admin closes a ticket"
        raise ActionForbidden("close", state.status.value, reason)
    return _status_change(state, S.CLOSED, command.reason or "closed by the requester")


def _decide_assign(state: TicketState, command: Any) -> list[Change]:
    assert isinstance(command, Assign)
    if command.assignee_id == state.assignee_id:
        raise InvalidCommand("assignee_id", "the ticket is already assigned so")
    return [Change("assigned", {"from": state.assignee_id, "to": command.assignee_id})]


def _decide_reclassify(state: TicketState, command: Any) -> list[Change]:
    assert isinstance(command, Reclassify)
    data: dict[str, Any] = {}
    if command.severity is not None:
        if command.severity not in SEVERITIES:
            raise InvalidCommand("severity", "must be 1, 2, 3 or 4")
        if command.severity != state.severity:
            data["severity"] = {"from": state.severity, "to": command.severity}
    if command.impact is not None and command.impact != state.impact:
        data["impact"] = {"from": state.impact, "to": command.impact}
    if not data:
        raise InvalidCommand("severity", "nothing to change: give a new severity or impact")
    return [Change("reclassified", data)]


def _decide_transfer(state: TicketState, command: Any) -> list[Change]:
    """To another tier, another group, or both; the group travels only when one is named."""
    assert isinstance(command, Transfer)
    same_group = command.group_id is None or command.group_id == state.group_id
    if command.tier == state.tier and same_group:
        what = "group" if command.group_id else "tier"
        raise InvalidCommand(
            "group_id" if command.group_id else "tier", f"the ticket is already in that {what}"
        )
    data: dict[str, Any] = {"from": state.tier.value, "to": command.tier.value, "reason": command.reason}
    if command.group_id is not None:
        data["group_from"] = state.group_id
        data["group_to"] = command.group_id
    return [Change("transferred", data)]


def _decide_tag(state: TicketState, command: Any) -> list[Change]:
    assert isinstance(command, Tag)
    wanted, unwanted = checked_tags(command.add, "add"), checked_tags(command.remove, "remove")
    if set(wanted) & set(unwanted):
        raise InvalidCommand("remove", "a tag cannot be both added and removed")
    add = [t for t in wanted if t not in state.tags]
    remove = [t for t in unwanted if t in state.tags]
    if not add and not remove:
        raise InvalidCommand("add", "nothing to change: the ticket already has (or lacks) these tags")
    check_count([t for t in state.tags if t not in remove] + add)
    return [Change("tags_changed", {"added": add, "removed": remove})]


def _decide_macro(state: TicketState, command: Any) -> list[Change]:
    """Every step of the macro decided by its ordinary rule, on a copy that each step moves on; one
    refused step refuses the whole macro (409 with what is allowed now), so nothing is half-applied."""
    assert isinstance(command, ApplyMacro)
    work = copy.deepcopy(state)
    changes: list[Change] = []
    did: list[dict[str, object]] = []
    for step in STEPS:
        sub = step(work, command)
        if sub is None:
            continue
        try:
            sub_changes = decide(work, sub)
        except TransitionRejected as exc:
            allowed = allowed_actions(state, command.actor.role)
            raise TransitionRejected(
                "macro", state.status.value, allowed, f"macro {command.name!r}: {exc.reason}"
            ) from None
        except InvalidCommand as exc:
            raise InvalidCommand(exc.field, f"macro {command.name!r}: {exc.reason}") from None
        _rehearse(work, sub_changes, command.actor)
        changes += sub_changes
        did.append(described(sub))
    if not changes:
        raise InvalidCommand("macro_id", f"macro {command.name!r} would change nothing on this ticket")
    applied = {"macro_id": command.macro_id, "name": command.name, "did": did}
    return [Change("macro_applied", applied), *changes]


def _rehearse(work: TicketState, changes: list[Change], actor: Actor) -> None:
    """Apply changes to the macro's working copy so the next step sees them (never the live state)."""
    for change in changes:
        seq = work.version + 1
        evolve(work, Event(seq, change.type, work.updated_at, actor.user_id, actor.role.value, change.data))


def _decide_escalate(state: TicketState, command: Any) -> list[Change]:
    assert isinstance(command, Escalate)
    if state.escalation_active:
        assert state.escalation is not None
        raise TransitionRejected(
            "escalate",
            state.status.value,
            allowed_actions(state, command.actor.role),
            f"escalation {state.escalation.id} is still in progress",
        )
    if command.target not in ("engineering", "product"):
        raise InvalidCommand("target", "engineering or product")
    if not command.summary.strip():
        raise InvalidCommand("summary", "must not be empty")
    data = {"escalation_id": command.escalation_id, "target": command.target, "summary": command.summary}
    return [Change("escalated", data)] + _status_change(
        state, S.ESCALATED, f"escalated as {command.escalation_id}"
    )


def _decide_feedback(state: TicketState, command: Any) -> list[Change]:
    assert isinstance(command, Feedback)
    refuse_attestation(command.actor, "feedback", state.status.value)
    if command.actor.user_id != state.requester_id:
        raise TransitionRejected(
            "feedback", state.status.value, [], "only the requester answers the satisfaction survey"
        )
    if survey_answered(state):
        raise TransitionRejected(
            "feedback", state.status.value, [], "the survey was already answered for this resolution"
        )
    if command.comment is not None and len(command.comment) > 4000:
        raise InvalidCommand("comment", "at most 4000 characters")
    data = {"satisfied": command.satisfied, "comment": command.comment, "assignee_id": state.assignee_id}
    return [Change("feedback_given", data)]


def _decide_merge(state: TicketState, command: Any) -> list[Change]:
    assert isinstance(command, MergeInto)
    if command.target_id == state.id:
        raise InvalidCommand("into", "a ticket cannot be merged into itself")
    merged = [Change("merged_into", {"target_id": command.target_id})]
    return merged + _status_change(state, S.CLOSED, f"duplicate of #{command.target_id}")


def _decide_absorb(state: TicketState, command: Any) -> list[Change]:
    assert isinstance(command, AbsorbMerge)
    if command.source_id == state.id:
        raise InvalidCommand("into", "a ticket cannot be merged into itself")
    participants = [p for p in [command.requester_id, *command.cc] if p != state.requester_id]
    data = {"source_id": command.source_id, "participants": participants, "messages": command.messages}
    return [Change("merged_from", data)]


def _decide_convert_chat(state: TicketState, command: Any) -> list[Change]:
    assert isinstance(command, ConvertChat)
    if not state.chat_pending:
        raise InvalidCommand("channel", "only a live chat can be turned into a regular ticket")
    return [Change("chat_converted", {})]


def _decide_accept_conference(state: TicketState, command: Any) -> list[Change]:
    assert isinstance(command, AcceptConference)
    if state.conference is None:
        raise InvalidCommand("conference", "this ticket has no conference call")
    if state.conference.status == "accepted" and command.link in (None, state.conference.link):
        raise InvalidCommand("conference", "the call is already accepted")
    if command.link:
        _check_https("link", command.link)
    data = {"link": command.link or state.conference.link, "code": command.code or state.conference.code}
    return [Change("conference_accepted", data)]


def decide_pending_reminder(state: TicketState, auto_resolve_at: datetime) -> list[Change]:
    if state.status is not S.PENDING or state.pending_reminded:
        return []
    return [Change("pending_reminder", {"auto_resolve_at": auto_resolve_at.isoformat()})]


def decide_conference_reminder(state: TicketState) -> list[Change]:
    conference = state.conference
    if conference is None or conference.reminded or state.status is S.CLOSED:
        return []
    return [Change("conference_reminder", {"scheduled_at": conference.scheduled_at.isoformat()})]


def decide_escalation_update(
    state: TicketState, view: EscalationView, shown_after_close: bool = False
) -> list[Change]:
    """News from the escalation workflow: show its progress, and resolve or reopen the ticket at its end.

    `shown_after_close`: a closed ticket still shows how its escalation ended (withdrawn because of
    the close, or resolved at the same moment), so the two never disagree; its status stays closed.
    """
    if state.status is S.CLOSED and not shown_after_close:
        return []
    current = state.escalation
    if current is not None and current.id == view.id and asdict(current) == asdict(view):
        return []
    changes = [Change("escalation_updated", asdict(view))]
    if state.status is S.CLOSED:
        return changes
    if state.status is S.ESCALATED and view.stage == "resolved":
        changes += _status_change(state, S.RESOLVED, f"escalation {view.id} resolved")
    elif state.status is S.ESCALATED and view.stage == "declined":
        changes += _status_change(
            state, S.OPEN, f"escalation {view.id} declined: {view.reason or ''}".strip()
        )
    return changes


_DECIDERS = {
    "reply": _decide_reply,
    "note": _decide_note,
    "customer_reply": _decide_customer_reply,
    "resolve": _decide_resolve,
    "reopen": _decide_reopen,
    "close": _decide_close,
    "assign": _decide_assign,
    "reclassify": _decide_reclassify,
    "transfer": _decide_transfer,
    "escalate": _decide_escalate,
    "feedback": _decide_feedback,
    "merge": _decide_merge,
    "absorb_merge": _decide_absorb,
    "convert_chat": _decide_convert_chat,
    "accept_conference": _decide_accept_conference,
    "tag": _decide_tag,
    "macro": _decide_macro,
}


def decide_lifecycle(state: TicketState, action: str) -> list[Change]:
    """Changes made by the ticket's own clocks (auto-resolve, auto-close)."""
    if action == "auto_resolve" and state.status is S.PENDING:
        return _status_change(state, S.RESOLVED, "no customer reply: resolved automatically")
    if action == "auto_close" and state.status is S.RESOLVED:
        return _status_change(state, S.CLOSED, "closed automatically after resolution")
    return []


def decide_sla(state: TicketState, deadline: SlaDeadline) -> list[Change]:
    """What a due SLA warning or breach records, plus the policy's breach actions."""
    sla = state.sla
    if sla is None:
        return []
    clock = sla.clock(deadline.clock)
    if clock.running_since is None or clock.stopped:
        return []
    data = {
        "clock": clock.name,
        "target_seconds": clock.target_seconds,
        "used_seconds": round(clock.used(sla.calendar, deadline.due)),
        "due": deadline.due.isoformat(),
        "policy": sla.policy.name,
        "policy_version": sla.policy.version,
    }
    if deadline.kind == "warning":
        return [] if clock.warned else [Change("sla_warning", data)]
    if clock.breached:
        return []
    changes = [Change("sla_breached", data)]
    actions = sla.policy.breach_actions
    if actions.transfer_to_l2 and state.tier is Tier.L1:
        changes.append(
            Change("transferred", {"from": "L1", "to": "L2", "reason": f"SLA {clock.name} breached"})
        )
    if actions.raise_severity and state.severity > 1:
        changes.append(
            Change("reclassified", {"severity": {"from": state.severity, "to": state.severity - 1}})
        )
    return changes


def evolve(state: TicketState, event: Event) -> None:
    """Apply a numbered event to the state; the only place state changes."""
    state.version = event.seq
    state.updated_at = event.at
    handler = _EVOLVERS.get(event.type)
    if handler is not None:
        handler(state, event)
    if state.sla is not None and not state.chat_pending:
        sync_clocks(state.sla, state.status.value, state.first_response_at, event.at, state.verifying)


def _evolve_reply(state: TicketState, event: Event) -> None:
    public = not event.data.get("internal")
    if (
        event.data.get("author") == "agent"
        and public
        and state.first_response_at is None
        and not state.chat_pending
    ):
        state.first_response_at = event.at
    if public:
        for resource in event.data.get("resources", []):
            if resource not in state.resources:
                state.resources.append(dict(resource))


def _evolve_status(state: TicketState, event: Event) -> None:
    to = TicketStatus(event.data["to"])
    state.status = to
    state.pending_reminded = False
    state.pending_since = event.at if to is S.PENDING else None
    if to is S.RESOLVED:
        state.resolved_at = event.at
    elif to is not S.CLOSED:
        state.resolved_at = None
    if to is S.CLOSED:
        state.closed_at = event.at
        state.close_reason = event.data.get("reason")


def _evolve_assigned(state: TicketState, event: Event) -> None:
    state.assignee_id = event.data["to"]


def _evolve_reclassified(state: TicketState, event: Event) -> None:
    if "severity" in event.data:
        state.severity = int(event.data["severity"]["to"])
        if state.sla is not None:
            state.sla = retarget(
                state.sla,
                state.sla.policy,
                event.at,
                state.severity,
                state.product,
                state.module,
                state.kind.value,
            )
    if "impact" in event.data:
        state.impact = event.data["impact"]["to"]


def _evolve_transferred(state: TicketState, event: Event) -> None:
    state.tier = Tier(event.data["to"])
    if "group_to" in event.data:
        state.group_id = event.data["group_to"]


def _evolve_tags(state: TicketState, event: Event) -> None:
    removed = set(event.data.get("removed", []))
    state.tags = [t for t in state.tags if t not in removed] + [
        t for t in event.data.get("added", []) if t not in state.tags
    ]


def _evolve_sla_warning(state: TicketState, event: Event) -> None:
    if state.sla is not None:
        state.sla.clock(event.data["clock"]).warned = True


def _evolve_sla_breached(state: TicketState, event: Event) -> None:
    if state.sla is not None:
        clock = state.sla.clock(event.data["clock"])
        clock.breached = True
        clock.breached_at = datetime.fromisoformat(event.data["due"])


def _evolve_escalated(state: TicketState, event: Event) -> None:
    state.escalation = EscalationView(
        id=event.data["escalation_id"], stage="submitted", target=event.data.get("target", "engineering")
    )


def _evolve_escalation_updated(state: TicketState, event: Event) -> None:
    state.escalation = EscalationView(**event.data)


def _evolve_feedback(state: TicketState, event: Event) -> None:
    state.satisfaction = Satisfaction(
        event.data["satisfied"], event.data.get("comment"), event.at, state.resolved_at
    )


def _evolve_merged_from(state: TicketState, event: Event) -> None:
    for participant in event.data.get("participants", []):
        if participant not in state.cc:
            state.cc.append(participant)


def _evolve_merged_into(state: TicketState, event: Event) -> None:
    state.merged_into = int(event.data["target_id"])


def _evolve_chat_converted(state: TicketState, event: Event) -> None:
    state.chat_pending = False
    if state.sla is not None:
        for clock in state.sla.clocks:
            clock.running_since = event.at


def _evolve_conference_accepted(state: TicketState, event: Event) -> None:
    if state.conference is not None:
        state.conference.status = "accepted"
        state.conference.link = event.data.get("link") or state.conference.link
        state.conference.code = event.data.get("code")


def _evolve_conference_reminder(state: TicketState, event: Event) -> None:
    if state.conference is not None:
        state.conference.reminded = True


def _evolve_pending_reminder(state: TicketState, event: Event) -> None:
    state.pending_reminded = True


_EVOLVERS = {
    "pending_reminder": _evolve_pending_reminder,
    "chat_converted": _evolve_chat_converted,
    "conference_accepted": _evolve_conference_accepted,
    "conference_reminder": _evolve_conference_reminder,
    "merged_from": _evolve_merged_from,
    "merged_into": _evolve_merged_into,
    "feedback_given": _evolve_feedback,
    "escalated": _evolve_escalated,
    "escalation_updated": _evolve_escalation_updated,
    "sla_warning": _evolve_sla_warning,
    "sla_breached": _evolve_sla_breached,
    "reply_added": _evolve_reply,
    "status_changed": _evolve_status,
    "assigned": _evolve_assigned,
    "reclassified": _evolve_reclassified,
    "transferred": _evolve_transferred,
    "tags_changed": _evolve_tags,
}
