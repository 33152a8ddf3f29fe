"""What staff read about a request: the team group's post, its buttons, and the details that
"Open" sends privately. Plain text (no parse mode), so a family's words can never break markup.

The group post holds only what the whole team may see: reference, spoke, priority, the child's
age band, the time left to the target and the request's state. Never the family's answers,
name or phone: those are in the details, sent to one member at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from domain.referrals import EventKind
from domain.working_days import WorkingCalendar
from locales import gettext_for, ngettext_for
from resources.spokes import Spokes
from store.models import (
    ContactMethod,
    Referral,
    ReferralEvent,
    ReferralMessage,
    ReferralPriority,
    ReferralStatus,
)

# Callback data of the queue's buttons: "sq:<action>:<referral id>[:<choice id>]".
QUEUE_PREFIX = "sq"
ACTION_PATTERN = r"^sq:(claim|contacted|close|decline|open|back):(\d{1,12})$"
CHOICE_PATTERN = r"^sq:(outcome|reason):(\d{1,12}):([a-z0-9_]{1,32})$"
MAX_TEXT = 4000  # Telegram's limit is 4096; room for the cut mark


def action_data(action: str, referral_id: int, choice: str | None = None) -> str:
    parts = [QUEUE_PREFIX, action, str(referral_id)]
    if choice is not None:
        parts.append(choice)
    return ":".join(parts)


@dataclass(frozen=True)
class PostFacts:
    """What a post says about a request beyond the row itself: names from the staff table and
    the kinds of events that change its wording."""

    referral: Referral
    holder_name: str | None
    actor_name: str | None  # who made the last staff change (e.g. who declined)
    event_kinds: frozenset[str]
    cancelled_by_erasure: bool


def working_time(left: timedelta, calendar: WorkingCalendar, locale: str) -> str:
    """A span of working time as staff say it: "2 working days 3 h", "5 h 20 min"."""
    ngettext = ngettext_for(locale)
    _ = gettext_for(locale)
    minutes = int(abs(left).total_seconds() // 60)
    day_minutes = int(calendar.working_day_length.total_seconds() // 60)
    days, minutes = divmod(minutes, day_minutes)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(ngettext("%(n)d working day", "%(n)d working days", days) % {"n": days})
    if hours:
        parts.append(_("%(n)d h") % {"n": hours})
    if minutes and not days:
        parts.append(_("%(n)d min") % {"n": minutes})
    return " ".join(parts) or _("%(n)d min") % {"n": 0}


def time_to_target(
    referral: Referral, now: datetime, calendar: WorkingCalendar, locale: str
) -> str:
    _ = gettext_for(locale)
    left = calendar.time_left(now, referral.due_by)
    span = working_time(left, calendar, locale)
    if left < timedelta(0):
        return _("⚠️ overdue by %(time)s (working time)") % {"time": span}
    return _("%(time)s left (working time)") % {"time": span}


def state_line(facts: PostFacts, spokes: Spokes, locale: str) -> str:
    _ = gettext_for(locale)
    referral = facts.referral
    status = referral.status
    holder = facts.holder_name or _("a team member")
    if status is ReferralStatus.NEW:
        line = _("🆕 New: nobody has claimed it yet")
    elif status is ReferralStatus.CLAIMED:
        line = _("🙋 Claimed by %(name)s") % {"name": holder}
    elif status is ReferralStatus.CONTACTED:
        line = _("📞 Contacted by %(name)s") % {"name": holder}
    elif status is ReferralStatus.CLOSED:
        outcome = spokes.outcome(referral.outcome or "")
        line = _("✅ Closed by %(name)s: %(outcome)s") % {
            "name": holder,
            "outcome": outcome.label[locale] if outcome else referral.outcome or "",
        }
    elif status is ReferralStatus.DECLINED:
        reason = spokes.decline_reason(referral.decline_reason or "")
        line = _("❌ Declined by %(name)s: %(reason)s") % {
            "name": facts.actor_name or holder,
            "reason": reason.label[locale] if reason else referral.decline_reason or "",
        }
    elif facts.cancelled_by_erasure:
        line = _("🚫 Cancelled: the family erased their details")
    else:
        line = _("🚫 Cancelled by the family")
    if EventKind.ERASURE_ASKED in facts.event_kinds and referral.erased_at is None:
        line += "\n" + _("⚠️ The family asked to erase their data")
    return line


def post_text(
    facts: PostFacts,
    spokes: Spokes,
    calendar: WorkingCalendar,
    now: datetime,
    locale: str,
    *,
    overdue_repost: bool = False,
) -> str:
    """The group post: no words of the family, no name, no phone."""
    _ = gettext_for(locale)
    referral = facts.referral
    spoke = spokes.get(referral.spoke_id)
    lines = []
    if overdue_repost:
        lines.append(_("⏰ OVERDUE: posted again, still no first contact"))
    if referral.priority is ReferralPriority.URGENT:
        lines.append(_("🔴 URGENT"))
    lines.append(f"{referral.reference} · {spoke.name[locale] if spoke else referral.spoke_id}")
    lines.append(_("Child: %(band)s") % {"band": referral.child_age_band or _("not given")})
    if referral.status in (ReferralStatus.NEW, ReferralStatus.CLAIMED) or (
        referral.status is ReferralStatus.CONTACTED and referral.first_contact_at is None
    ):
        lines.append(
            _("Target: %(left)s") % {"left": time_to_target(referral, now, calendar, locale)}
        )
    lines.append(state_line(facts, spokes, locale))
    return "\n".join(lines)


def post_keyboard(referral: Referral, locale: str) -> InlineKeyboardMarkup:
    """The buttons that fit the request's state; Open always (the details, privately)."""
    _ = gettext_for(locale)
    status = referral.status
    row: list[tuple[str, str]] = []
    if status is ReferralStatus.NEW:
        row.append((_("🙋 Claim"), "claim"))
    if status is ReferralStatus.CLAIMED:
        row.append((_("📞 Contacted"), "contacted"))
    if status in (ReferralStatus.CLAIMED, ReferralStatus.CONTACTED):
        row.append((_("✅ Close"), "close"))
    if status in (ReferralStatus.NEW, ReferralStatus.CLAIMED, ReferralStatus.CONTACTED):
        row.append((_("❌ Decline"), "decline"))
    rows = [row] if row else []
    rows.append([(_("📂 Open"), "open")])
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(label, callback_data=action_data(action, referral.id))
                for label, action in line
            ]
            for line in rows
        ]
    )


def choices_keyboard(
    referral_id: int, kind: str, choices: Sequence[tuple[str, str]], locale: str
) -> InlineKeyboardMarkup:
    """Outcome or decline-reason buttons (one a row), and a way back to the post's buttons."""
    _ = gettext_for(locale)
    rows = [
        [InlineKeyboardButton(label, callback_data=action_data(kind, referral_id, choice))]
        for choice, label in choices
    ]
    rows.append(
        [InlineKeyboardButton(_("↩️ Back"), callback_data=action_data("back", referral_id))]
    )
    return InlineKeyboardMarkup(rows)


def overdue_keyboard(referral: Referral, locale: str) -> InlineKeyboardMarkup:
    """A repost carries Open only: the live post (which it replies to) has the actions."""
    _ = gettext_for(locale)
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(_("📂 Open"), callback_data=action_data("open", referral.id))]]
    )


def _answer_text(
    spokes: Spokes, referral: Referral, question_id: str, value: object, locale: str
) -> str:
    _ = gettext_for(locale)
    spoke = spokes.get(referral.spoke_id)
    question = spoke.question(question_id) if spoke else None
    if isinstance(value, bool):
        shown = _("yes") if value else _("no")
    elif question is not None and question.options:
        option = question.option(str(value))
        shown = option.label[locale] if option else str(value)
    else:
        shown = str(value)
    prompt = question.prompt[locale] if question else question_id
    return f"• {prompt}\n  {shown}"


def details_text(
    facts: PostFacts,
    spokes: Spokes,
    calendar: WorkingCalendar,
    now: datetime,
    locale: str,
    *,
    messages: Sequence[ReferralMessage],
    events: Sequence[ReferralEvent],
    names: dict[int, str],
) -> str:
    """Everything about one request, for the member who pressed Open, in their private chat.

    Ends with how to write to the family: a reply to this message (the reference at the top is
    how the bot knows which request a reply is for)."""
    _ = gettext_for(locale)
    referral = facts.referral
    zone = calendar.zone

    def when(moment: datetime) -> str:
        return moment.astimezone(zone).strftime("%d %b %Y %H:%M")

    parts = [post_text(facts, spokes, calendar, now, locale)]
    parts.append(
        _("Made: %(at)s · due by: %(due)s")
        % {"at": when(referral.created_at), "due": when(referral.due_by)}
    )
    if referral.urgent_reason:
        parts.append(_("Marked urgent: %(why)s") % {"why": referral.urgent_reason})
    if referral.erased_at is not None:
        parts.append(_("The family erased their details: answers and messages are gone."))
    else:
        answers = [
            _answer_text(spokes, referral, key, value, locale)
            for key, value in referral.answers.items()
        ]
        parts.append(_("Answers:") + "\n" + ("\n".join(answers) or "–"))
        if referral.partner_contact:  # a partner's referral: the family may not use the bot
            sent = "\n".join(f"{key}: {value}" for key, value in referral.partner_contact.items())
            partner = (referral.source or "").removeprefix("partner:")
            parts.append(_("From the partner %(partner)s:") % {"partner": partner} + "\n" + sent)
        if referral.contact_method is ContactMethod.PHONE:
            parts.append(
                _("Contact: a phone call to %(phone)s, %(window)s")
                % {"phone": referral.phone or "?", "window": referral.call_window or "?"}
            )
        else:
            parts.append(_("Contact: by message in this chat (reply to this message)"))
    if messages:
        family = _("Family")
        lines = [
            f"{when(m.at)} {names.get(m.staff_id or 0, '?') if m.sender == 'staff' else family}: "
            f"{m.text}"
            for m in messages
        ]
        parts.append(_("Messages:") + "\n" + "\n".join(lines))
    history = [
        f"{when(e.at)} {e.kind}"
        + (f" ({names.get(e.staff_id, '?')})" if e.staff_id else f" ({e.actor})")
        for e in events
    ]
    parts.append(_("History:") + "\n" + "\n".join(history))
    parts.append(_("To write to the family, reply to this message."))
    text = "\n\n".join(parts)
    if len(text) > MAX_TEXT:
        # Keep the top (reference first) and the end (how to reply); cut the middle.
        head, tail = text[: MAX_TEXT - 600], text[-500:]
        text = head + "\n…\n" + tail
    return text


def relay_text(referral: Referral, message: ReferralMessage, locale: str) -> str:
    """A family's message passed to the member holding the request."""
    _ = gettext_for(locale)
    return (
        _("💬 %(reference)s: a message from the family") % {"reference": referral.reference}
        + f"\n\n{message.text}\n\n"
        + _("To answer, reply to this message.")
    )
