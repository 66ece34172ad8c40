"""An escalation's clocks: which deadlines exist, when each is due, and what each one records.

Verification reminder (N business days after the fix was handed to the customer) and
auto-confirmation (after M calendar days), the estimated date passing (end of its local day), and
the periodic reconcile of dev cards (a side effect the workflow runs: nothing recorded here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from domain.business_days import business_days_later, end_of_local_day
from domain.calendar import BusinessCalendar
from domain.escalation.state import EscalationState, Stage, decide_auto_confirm
from domain.events import Change


class EscalationClock(StrEnum):
    REMIND = "remind"
    AUTO_CONFIRM = "auto_confirm"
    ETA_PASSED = "eta_passed"
    RECONCILE = "reconcile"


@dataclass(frozen=True)
class VerificationPeriods:
    """How long the customer has: a reminder after business days, confirmation after calendar days."""

    reminder_business_days: int
    timeout_days: int


@dataclass(frozen=True)
class EscalationDeadline:
    action: EscalationClock
    due: datetime
    summary: str


def escalation_deadlines(
    state: EscalationState,
    calendar: BusinessCalendar,
    periods: VerificationPeriods,
    next_reconcile: datetime | None,
) -> list[EscalationDeadline]:
    """Every deadline still to come, in a fixed order (the first of equal instants fires first)."""
    found: list[EscalationDeadline] = []
    if state.stage is Stage.VERIFYING and state.verification_requested_at is not None:
        asked = state.verification_requested_at
        if not state.verification_reminded:
            remind = business_days_later(calendar, asked, periods.reminder_business_days)
            found.append(EscalationDeadline(EscalationClock.REMIND, remind, "verification reminder"))
        timeout = asked + timedelta(days=periods.timeout_days)
        summary = f"auto-confirm after {periods.timeout_days} days"
        found.append(EscalationDeadline(EscalationClock.AUTO_CONFIRM, timeout, summary))
    if state.eta is not None and not state.eta_passed:
        end_of_eta = end_of_local_day(calendar, date.fromisoformat(state.eta))
        found.append(
            EscalationDeadline(EscalationClock.ETA_PASSED, end_of_eta, "estimated resolution date passed")
        )
    if state.cards and next_reconcile is not None:
        found.append(EscalationDeadline(EscalationClock.RECONCILE, next_reconcile, "reconcile dev cards"))
    return found


def next_escalation_deadline(
    state: EscalationState,
    calendar: BusinessCalendar,
    periods: VerificationPeriods,
    next_reconcile: datetime | None,
) -> EscalationDeadline | None:
    deadlines = escalation_deadlines(state, calendar, periods, next_reconcile)
    return min(deadlines, key=lambda d: d.due) if deadlines else None


def decide_deadline(state: EscalationState, action: EscalationClock) -> list[Change]:
    """What a due deadline records (the reconcile records only what the cards' news changes)."""
    if action is EscalationClock.REMIND:
        return [Change("verification_reminder", {"asked_at": str(state.verification_requested_at)})]
    if action is EscalationClock.AUTO_CONFIRM:
        return decide_auto_confirm(state)
    if action is EscalationClock.ETA_PASSED:
        return [Change("eta_passed", {"eta": state.eta})]
    return []
