"""Turning a claimed outbox row into the words and buttons a family receives, in its language."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from html import escape
from zoneinfo import ZoneInfo

from domain.appointments import EVENING_BEFORE
from domain.dates import months_old
from domain.outbox import WHERE_YOU_ARE_NOW, Claimed, ReferralNotice
from domain.schedule import upcoming_for_child
from locales import N_, format_clock, format_day, gettext_for, in_reading_order
from resources.message_plan import MessagePlan, PlanEntry, Priority
from resources.spokes import NoticeKind, Spoke, Spokes, shipped_spokes
from resources.topics import Topic

TOPIC_NAMES = {
    Topic.REVIEWS: N_("health visitor reviews"),
    Topic.IMMUNISATIONS: N_("immunisations"),
    Topic.ORAL_HEALTH: N_("teeth"),
    Topic.SAFE_SLEEP: N_("safe sleep"),
    Topic.FEEDING: N_("feeding"),
    Topic.CRYING: N_("crying and coping"),
    Topic.MENTAL_HEALTH: N_("your wellbeing"),
    Topic.FATHERS: N_("dads and partners"),
}
# Answers to a campaign's question: "ask:yes:<plan key>" or "ask:no:<plan key>".
QUESTION_ANSWER = "ask"
QUESTION_ANSWER_PATTERN = r"^ask:(yes|no):[a-z][a-z0-9_]{0,47}$"
# The button under a targeted campaign's message: no more campaigns (bot/campaign_opt_out.py).
STOP_CAMPAIGNS = "camp:stop"
UPCOMING_LABELS = {
    Topic.REVIEWS: N_("Health visitor review"),
    Topic.IMMUNISATIONS: N_("Immunisations"),
}


@dataclass(frozen=True)
class Rendered:
    text: str
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (label, callback data)


def support_button(spoke: Spoke, locale: str) -> tuple[str, str]:
    """Under an article or reminder on the spoke's topic: opens 'Get support' at that spoke."""
    return f"🤝 {spoke.name[locale]}", f"sup:s:{spoke.id}"


def topic_name(topic: str, locale: str) -> str:
    return gettext_for(locale)(TOPIC_NAMES[Topic(topic)])


def _safety_basics(row: Claimed, today: date, locale: str) -> str:
    _ = gettext_for(locale)
    if row.birth_date is None:
        return _(
            "Get a safe sleep space ready: a cot, crib or Moses basket with a firm, flat, "
            "waterproof mattress, and nothing else in it."
        )
    months = months_old(row.birth_date, today)
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
    at = format_clock(local.time(), locale)
    what = escape(row.appointment_what or "", quote=False)  # the family's own words
    if row.entry_key == EVENING_BEFORE:
        text = _("⏰ Reminder: {what} is tomorrow, {date}, at {time}.").format(
            what=what, date=format_day(local.date(), locale), time=at
        )
    else:
        text = _("⏰ Reminder: {what} is today at {time}.").format(what=what, time=at)
    return Rendered(text)


def referral_notice(notice: ReferralNotice, spokes: Spokes, locale: str) -> Rendered:
    """What a family is told about its request, in its language (texts in spokes.yaml).

    Names and labels the file no longer has (a spoke or outcome removed since) show as their
    id rather than stop the notice: the family still hears what happened."""
    kind = NoticeKind(notice.event_kind)
    spoke = spokes.get(notice.spoke_id)
    outcome = spokes.outcome(notice.outcome or "")
    reason = spokes.decline_reason(notice.decline_reason or "")
    values = {
        "reference": notice.reference,
        "spoke": spoke.name[locale] if spoke else notice.spoke_id,
        "outcome": outcome.label[locale] if outcome else notice.outcome or "",
        "reason": reason.label[locale] if reason else notice.decline_reason or "",
        "text": notice.text or "",
    }
    template = spokes.notices[kind][locale]
    text = template.format(**{key: escape(value, quote=False) for key, value in values.items()})
    _ = gettext_for(locale)
    buttons = []
    if kind is NoticeKind.STAFF_MESSAGE:  # the family can answer the team (bot/my_requests.py)
        buttons.append((_("↩️ Reply"), f"req:reply:{notice.reference}"))
    return Rendered(in_reading_order(text, locale), buttons)


def render(
    row: Claimed,
    plan: MessagePlan,
    *,
    today: date,
    zone: ZoneInfo,
    article_ids: frozenset[str],
    spokes: Spokes | None = None,
) -> Rendered:
    """The message for one outbox row; `article_ids` are the library articles that exist,
    `spokes` the words for notices about requests for support (the shipped file if None)."""
    if row.notice is not None:
        return referral_notice(row.notice, spokes or shipped_spokes(), row.locale)
    if row.campaign_text is not None:
        return campaign_message(row.campaign_text, row.locale)
    if row.entry_key == WHERE_YOU_ARE_NOW:
        return _where_you_are_now(row, plan, today)
    if row.appointment_at is not None:
        return _appointment(row, zone)
    asking = plan.asking(row.entry_key)
    if asking is not None:
        return _question(asking, row.locale)
    return plan_message(
        plan, plan.entry(row.entry_key), row.locale, article_ids, spokes or shipped_spokes()
    )


def plan_message(
    plan: MessagePlan,
    entry: PlanEntry,
    locale: str,
    article_ids: frozenset[str],
    spokes: Spokes | None = None,
) -> Rendered:
    """A plan entry's message, with 'Read more' if its article exists, the support a person
    can give on its topic (`spokes`), and 'No more tips like this' under a tip."""
    _ = gettext_for(locale)
    buttons = []
    if entry.article and entry.article in article_ids:
        buttons.append((_("📖 Read more"), f"lib:a:{entry.article}"))
    if spokes is not None:
        buttons += [support_button(spoke, locale) for spoke in spokes.for_topic(entry.topic)]
    if entry.priority is Priority.TIP:
        buttons.append((_("🔕 No more tips like this"), f"mute:{entry.topic.value}"))
    return Rendered(plan.text(entry.key, locale), buttons)


def campaign_message(text: str, locale: str) -> Rendered:
    """A targeted campaign's message (domain/campaigns.py), as the admin wrote it (plain
    text, never markup), with a button to stop campaigns that leaves reminders on."""
    _ = gettext_for(locale)
    return Rendered(
        in_reading_order(escape(text, quote=False), locale),
        [(_("🔕 No more messages like this"), STOP_CAMPAIGNS)],
    )


def question_answer(answer: str, key: str) -> str:
    """The callback data of an answer to a campaign's question: 'ask:yes:<plan key>'."""
    return f"{QUESTION_ANSWER}:{answer}:{key}"


def _question(entry: PlanEntry, locale: str) -> Rendered:
    """A campaign's question to a family that may have a child of its cohort too old to add."""
    assert entry.born_from is not None and entry.born_until is not None
    _ = gettext_for(locale)
    text = _(
        "<b>A quick question</b>\n"
        "Do you have a child born between {first} and {last}? "
        "I have some health information for children born then."
    ).format(
        first=format_day(entry.born_from, locale, weekday=False),
        last=format_day(entry.born_until, locale, weekday=False),
    )
    return Rendered(
        text,
        [
            (_("Yes, I do"), question_answer("yes", entry.key)),
            (_("No, I don't"), question_answer("no", entry.key)),
        ],
    )
