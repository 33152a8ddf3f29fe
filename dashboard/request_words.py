"""How the dashboard words a request for staff, in English: statuses, the time left to the
target, sources, answers, the story's events, and what happened when a button was pressed.

The working-time wording is the Telegram side's (scheduler/staff_texts.py), so a member reads
"1 working day 3 h" in both places.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.referrals import ActionResult, EventKind, Lost, Refusal, Refused
from domain.working_days import WorkingCalendar
from resources.spokes import QuestionKind, Spokes
from scheduler.staff_texts import working_time
from store.models import Referral, ReferralStatus

STAFF_LOCALE = "en"  # the dashboard is for staff, in English

STATUS_LABELS = {
    ReferralStatus.NEW: "New: nobody holds it",
    ReferralStatus.CLAIMED: "Claimed",
    ReferralStatus.CONTACTED: "Contacted",
    ReferralStatus.CLOSED: "Closed",
    ReferralStatus.DECLINED: "Declined",
    ReferralStatus.CANCELLED: "Cancelled",
}


# Who acted, when it was not a member of staff (ReferralEvent.actor).
ACTORS = {
    "family": "The family",
    "system": "The service",
    "partner": "The partner",
    "staff": "Staff",
}

EVENT_LABELS: dict[str, str] = {
    EventKind.CREATED: "Request made",
    EventKind.CLAIMED: "Claimed",
    EventKind.ASSIGNED: "Handed over",
    EventKind.CONTACTED: "First contact recorded",
    EventKind.CLOSED: "Closed",
    EventKind.DECLINED: "Declined",
    EventKind.CANCELLED: "Cancelled",
    EventKind.URGENT: "Marked urgent",
    EventKind.FAMILY_MESSAGE: "Message from the family",
    EventKind.STAFF_MESSAGE: "Message to the family",
    EventKind.STAFF_NOTE: "Note for the team",
    EventKind.VIEWED: "Opened",
    EventKind.REFUSED: "Refused",
    EventKind.FAMILY_ERASED: "The family's details were erased",
    EventKind.ERASURE_ASKED: "The family asked to erase their data",
}


def action_label(action: str) -> str:
    """A request event or a dashboard audit action ("sign_in") in words."""
    return EVENT_LABELS.get(action) or action.replace("_", " ").capitalize()


def source_label(source: str) -> str:
    if source.startswith("partner:"):
        return f"Partner: {source.removeprefix('partner:')}"
    return "Family, in the bot" if source == "bot" else source


def spoke_name(spokes: Spokes, spoke_id: str) -> str:
    spoke = spokes.get(spoke_id)
    return spoke.name[STAFF_LOCALE] if spoke else spoke_id


def team_name(spokes: Spokes, team_id: str | None) -> str:
    team = spokes.teams.get(team_id or "")
    return team.name if team else "All teams"


def _sentence(text: str) -> str:
    """A label written to follow "closed:" or "because" in a notice, as a choice on its own."""
    return text[:1].upper() + text[1:]


def outcome_label(spokes: Spokes, outcome_id: str | None) -> str:
    label = spokes.outcome(outcome_id or "")
    return _sentence(label.label[STAFF_LOCALE]) if label else outcome_id or ""


def reason_label(spokes: Spokes, reason_id: str | None) -> str:
    label = spokes.decline_reason(reason_id or "")
    return _sentence(label.label[STAFF_LOCALE]) if label else reason_id or ""


def outcome_choices(spokes: Spokes) -> list[tuple[str, str]]:
    return [(label.id, _sentence(label.label[STAFF_LOCALE])) for label in spokes.outcomes]


def reason_choices(spokes: Spokes) -> list[tuple[str, str]]:
    return [(label.id, _sentence(label.label[STAFF_LOCALE])) for label in spokes.decline_reasons]


@dataclass(frozen=True)
class Target:
    """Where a request stands against its target to first contact: `text` for people,
    `overdue` for the badge (never colour alone: the text says it too)."""

    text: str
    overdue: bool


def target(referral: Referral, now: datetime, calendar: WorkingCalendar) -> Target:
    """Working time left (or overdue by) while nobody has made first contact; after that the
    clock has stopped, and a finished request has no target."""
    if referral.status not in (ReferralStatus.NEW, ReferralStatus.CLAIMED):
        if referral.first_contact_at is not None:
            return Target("First contact made", overdue=False)
        return Target("No target now", overdue=False)
    left = calendar.time_left(now, referral.due_by)
    span = working_time(left, calendar, STAFF_LOCALE)
    if left < timedelta(0):
        return Target(f"by {span} (working time)", overdue=True)
    return Target(f"{span} left (working time)", overdue=False)


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str


def answers(spokes: Spokes, referral: Referral) -> list[Answer]:
    """The family's answers with the spoke's questions and options in English, in the order
    the spoke asks them (answers to questions since removed come last, by their ids)."""
    spoke = spokes.get(referral.spoke_id)
    given = dict(referral.answers)
    shown: list[Answer] = []
    for question in spoke.questions if spoke else ():
        if question.id not in given:
            continue
        value = given.pop(question.id)
        if question.kind is QuestionKind.YES_NO or isinstance(value, bool):
            text = "Yes" if value else "No"
        elif question.kind is QuestionKind.CHOICE:
            option = question.option(str(value))
            text = option.label[STAFF_LOCALE] if option else str(value)
        else:
            text = str(value)
        shown.append(Answer(question.prompt[STAFF_LOCALE], text))
    shown.extend(Answer(key, str(value)) for key, value in given.items())
    return shown


def event_detail(spokes: Spokes, kind: str, detail: dict[str, Any]) -> str:
    """The part of an event's detail worth reading (never the family's words: those are in
    the message, shown beside it)."""
    if kind == EventKind.CLOSED:
        return outcome_label(spokes, detail.get("outcome"))
    if kind == EventKind.DECLINED:
        return reason_label(spokes, detail.get("reason"))
    if kind in (EventKind.CLAIMED, EventKind.ASSIGNED) and detail.get("to_name"):
        return f"to {detail['to_name']}"
    if kind == EventKind.URGENT:
        return str(detail.get("reason") or "")
    if kind == EventKind.REFUSED:
        action, reason = detail.get("action", "?"), detail.get("reason", "?")
        return f"{action}: {str(reason).replace('_', ' ')}"
    if kind == EventKind.CREATED and detail.get("source"):
        return source_label(str(detail["source"]))
    if kind == EventKind.CANCELLED and detail.get("why") == "family_erased":
        return "the family erased their details"
    return ""


def audit_detail(detail: dict[str, Any]) -> str:
    """An audit row's detail as "key: value" pairs; a note's words stay on the request page."""
    return ", ".join(
        f"{key.replace('_', ' ')}: {value}" for key, value in detail.items() if key != "note"
    )


def _refusal(result: Refused, spokes: Spokes) -> str:
    reason = result.reason
    if reason is Refusal.NOT_HOLDER:
        name = result.holder.name if result.holder is not None else "someone else"
        return f"Nothing changed: {name} holds this request. Only they (or an admin) can do that."
    if reason is Refusal.WRONG_STATUS and result.referral is not None:
        status = STATUS_LABELS[result.referral.status].split(":")[0].lower()
        return f"Nothing changed: that cannot be done now, this request is {status}."
    if reason is Refusal.OTHER_TEAM:
        team = team_name(spokes, result.referral.team_id if result.referral else None)
        return f"Nothing changed: only the {team} team can act on this request."
    if reason is Refusal.DISABLED:
        return "Nothing changed: your account is switched off. Please talk to your admin."
    if reason is Refusal.EMPTY_TEXT:
        return "Nothing changed: there were no words to send or keep."
    if reason is Refusal.NOT_COLLEAGUE:
        return "Nothing changed: choose a colleague who works this team's requests."
    if reason is Refusal.UNKNOWN_OUTCOME:
        return "Nothing changed: choose an outcome from the list."
    if reason is Refusal.UNKNOWN_REASON:
        return "Nothing changed: choose a reason from the list."
    if reason is Refusal.NOT_FOUND:
        return "Nothing changed: this request no longer exists."
    return "Nothing changed: that cannot be done now."


def result_text(action: str, result: ActionResult, spokes: Spokes) -> str:
    """What to tell the member after pressing a button: what happened, or why nothing did."""
    if isinstance(result, Lost):
        if result.holder is None:
            return "Too late: this request was closed or declined meanwhile."
        return f"Someone was quicker: {result.holder.name} holds this request now."
    if isinstance(result, Refused):
        return _refusal(result, spokes)
    referral = result.referral
    if action == "close":
        return f"Closed: {outcome_label(spokes, referral.outcome)}. The family is told."
    if action == "decline":
        reason = reason_label(spokes, referral.decline_reason)
        return f"Declined: {reason}. The family is told."
    words = {
        "claim": "You hold this request now. The family is told someone will be in touch.",
        "assign": "Handed over: your colleague holds this request now (under Held by me).",
        "contacted": "First contact recorded: the clock to the target has stopped.",
        "urgent": "Marked urgent: it shows first in the queue.",
        "note": "Note added. Only the team sees it.",
        "message": "Message sent to the family through the bot.",
    }
    return words[action]
