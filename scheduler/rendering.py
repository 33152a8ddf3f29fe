"""Turning a claimed outbox row into the words and buttons a family receives, in its language."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from babel.dates import format_time

from domain.appointments import EVENING_BEFORE
from domain.life_events import WHERE_YOU_ARE_NOW
from domain.schedule import upcoming_for_child
from locales import BABEL_LOCALES, N_, format_day, gettext_for
from resources.message_plan import MessagePlan, Priority, Topic
from scheduler.outbox import Claimed

TOPIC_NAMES = {
    Topic.REVIEW: N_("health visitor reviews"),
    Topic.IMMUNISATION: N_("immunisations"),
    Topic.DENTAL: N_("teeth"),
    Topic.SAFE_SLEEP: N_("safe sleep"),
    Topic.FEEDING: N_("feeding"),
    Topic.CRYING: N_("crying and coping"),
    Topic.WELLBEING: N_("your wellbeing"),
    Topic.DADS: N_("dads and partners"),
}
UPCOMING_LABELS = {
    Topic.REVIEW: N_("Health visitor review"),
    Topic.IMMUNISATION: N_("Immunisations"),
}


@dataclass(frozen=True)
class Rendered:
    text: str
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (label, callback data)


def topic_name(topic: str, locale: str) -> str:
    return gettext_for(locale)(TOPIC_NAMES[Topic(topic)])


def _safety_basics(row: Claimed, today: date, locale: str) -> str:
    _ = gettext_for(locale)
    if row.birth_date is None:
        return _(
            "Get a safe sleep space ready: a cot, crib or Moses basket with a firm, flat, "
            "waterproof mattress, and nothing else in it."
        )
    months = (today.year - row.birth_date.year) * 12 + today.month - row.birth_date.month
    if months < 6:
        return _(
            "For every sleep, day and night: on their back, in a clear, flat cot in your room. "
            "Keep the room at 16 to 20 °C. Never fall asleep with your baby on a sofa or "
            "armchair."
        )
    if months < 12:
        return _(
            "Keep the cot clear and put your baby down on their back. Brush teeth twice a day "
            "from the first tooth, with a smear of fluoride toothpaste."
        )
    return _(
        "Brush teeth twice a day, and always last thing at night. "
        "Keep sugary food and drinks to mealtimes."
    )


def _where_you_are_now(row: Claimed, plan: MessagePlan, today: date) -> Rendered:
    """One message for a new child instead of a backlog: what is next, and the basics now."""
    locale = row.locale
    _ = gettext_for(locale)
    lines = [_("<b>Here is where you are now</b>")]
    coming = []
    for topic, label in UPCOMING_LABELS.items():
        nxt = upcoming_for_child(
            plan,
            born=row.birth_date,
            due=row.due_date,
            today=today,
            topics={topic},
            priority=Priority.CRITICAL,
            limit=1,
        )
        if nxt:
            day = format_day(nxt[0].day, locale, weekday=False)
            coming.append(
                _("• {what}: I will remind you around {date}").format(what=_(label), date=day)
            )
    if coming:
        lines += ["", _("Coming up next:"), *coming]
    lines += ["", _("<b>Safety basics for now</b>"), _safety_basics(row, today, locale)]
    lines += ["", _("You can see what is coming with /reminders.")]
    return Rendered("\n".join(lines))


def _appointment(row: Claimed, zone: ZoneInfo) -> Rendered:
    assert row.appointment_at is not None
    locale = row.locale
    _ = gettext_for(locale)
    local = row.appointment_at.astimezone(zone)
    at = format_time(local.time(), "short", locale=BABEL_LOCALES[locale])
    what = row.appointment_what or ""
    if row.entry_key == EVENING_BEFORE:
        text = _("⏰ Reminder: {what} is tomorrow, {date}, at {time}.").format(
            what=what, date=format_day(local.date(), locale), time=at
        )
    else:
        text = _("⏰ Reminder: {what} is today at {time}.").format(what=what, time=at)
    return Rendered(text)


def render(
    row: Claimed, plan: MessagePlan, *, today: date, zone: ZoneInfo, article_ids: frozenset[str]
) -> Rendered:
    """The message for one outbox row; `article_ids` are the library articles that exist."""
    if row.entry_key == WHERE_YOU_ARE_NOW:
        return _where_you_are_now(row, plan, today)
    if row.appointment_at is not None:
        return _appointment(row, zone)
    entry = plan.by_key[row.entry_key]
    _ = gettext_for(row.locale)
    buttons = []
    if entry.article and entry.article in article_ids:
        buttons.append((_("📖 Read more"), f"lib:a:{entry.article}"))
    if entry.priority is Priority.TIP:
        buttons.append((_("🔕 No more tips like this"), f"mute:{entry.topic.value}"))
    return Rendered(plan.text(entry.key, row.locale), buttons)
