"""Emergency signposting: runs before every other handler, in every step, in the right language.

Each kind of emergency has its own reply with the right action first. The numbers and actions
follow `domain-facts.md` section 7 ("Emergency and crisis numbers", "Red flags").
"""

from __future__ import annotations

from collections.abc import Callable

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import MessageHandler, filters

from bot.context import GrowWellContext
from bot.language import family_locale
from domain.safety import Emergency
from locales import gettext_for

_Gettext = Callable[[str], str]


def safety_net_line(locale: str) -> str:
    """The one line under answers that may touch a red flag, and under media we cannot read."""
    _ = gettext_for(locale)
    return _("If this is happening now, call 999. If you are worried, call NHS 111.")


def _first_lines(kind: Emergency, _: _Gettext) -> list[str]:
    if kind is Emergency.BABY_UNWELL:
        return [
            _(
                "🚨 <b>Call 999 now if your baby or child is not breathing, is struggling to "
                "breathe, has gone blue, grey or very pale, is floppy, will not wake up, is "
                "having a fit, has a rash that does not fade when you press a glass on it, or "
                "has a swollen face, lips or tongue.</b>"
            ),
            _("If you are worried but it is not an emergency, call NHS 111."),
        ]
    if kind is Emergency.SHAKEN_BABY:
        return [
            _("🚨 <b>If a baby has been shaken, call 999 now, even if they seem well.</b>"),
            _("Shaking can hurt a baby's brain in a way you cannot see."),
            _(
                "If the crying is getting to you, put your baby down somewhere safe, like their "
                "cot, and walk away for a few minutes. Come back when you feel calmer."
            ),
        ]
    if kind is Emergency.CHOKING:
        return [
            _(
                "🚨 <b>If your child is choking and it does not clear, or they are struggling "
                "to breathe: call 999 now.</b>"
            ),
            _("If you are worried but it is not an emergency, call NHS 111."),
        ]
    if kind is Emergency.SWALLOWED_BATTERY:
        return [
            _(
                "🚨 <b>Go to A&E now if your child has swallowed, or might have swallowed, a "
                "button battery or a magnet.</b> Do not wait for signs."
            ),
            _("Do not try to make them sick. Take the packaging with you if you can."),
            _("If they are struggling to breathe or are very unwell, call 999."),
        ]
    if kind is Emergency.POISONING:
        return [
            _(
                "🚨 <b>If your child has swallowed tablets, medicine, bleach, a washing or "
                "dishwasher capsule or another chemical: go to A&E now.</b>"
            ),
            _("Call 999 if they are struggling to breathe, very sleepy or having a fit."),
        ]
    if kind is Emergency.INJURY:
        return [
            _(
                "🚨 <b>Call 999 or go to A&E now for a serious accident or injury.</b> For "
                "example: a head injury followed by being sick, being very sleepy, a fit or not "
                "acting normally; a burn bigger than your child's hand, or on the face, hands, "
                "feet or private parts; or a cut that will not stop bleeding."
            ),
            _("If you are worried but it is not an emergency, call NHS 111."),
        ]
    if kind is Emergency.YOUNG_BABY_FEVER:
        return [
            _(
                "🌡️ <b>A baby under 3 months with a temperature of 38C or more needs help "
                "today. Call NHS 111 or your GP straight away.</b>"
            ),
            _(
                "Call 999 if your baby is also struggling to breathe, is floppy, will not wake "
                "up, has a fit, or has a rash that does not fade under a glass."
            ),
        ]
    if kind is Emergency.SELF_HARM:
        return [
            _("💛 <b>You are not alone. You deserve help right now.</b>"),
            _(
                "If you have taken too many tablets or hurt yourself, or you might act on these "
                "thoughts, call 999 or go to A&E now."
            ),
            _(
                "For urgent mental health help, call NHS 111 and choose option 2. "
                "It is there day and night."
            ),
            _(
                "You can talk to Samaritans at any time on 116 123. It is free. "
                "Or send a text with the word SHOUT to 85258."
            ),
        ]
    return [
        _("💛 <b>If you or your children are in danger now, call 999.</b>"),
        _(
            "The National Domestic Abuse Helpline is free, private and open day and night: "
            "0808 2000 247."
        ),
        _("For men, the Men's Advice Line is on 0808 801 0327."),
        _("I am sorry this is happening. You deserve to be safe."),
        _("Your health visitor or GP can also help you."),
    ]


def signposting(kind: Emergency, locale: str) -> str:
    """The whole reply for one kind of emergency, in the family's language."""
    _ = gettext_for(locale)
    not_watched = _(
        "I am a chat bot. No one reads these messages all day and night, "
        "so please do not wait for a reply from me."
    )
    return "\n\n".join([*_first_lines(kind, _), not_watched])


async def emergency_check(update: Update, context: GrowWellContext) -> None:
    """Answer at once if a message reads like an emergency; the step in progress carries on."""
    message = update.effective_message
    text = (message.text or message.caption or "") if message else ""
    if not text or message is None:
        return
    assessment = context.services.safety.assess(text)
    context.red_flag_named = assessment.red_flag
    if assessment.emergency is None:
        return
    context.emergency_shown = True
    locale = await family_locale(update, context)
    await message.reply_text(signposting(assessment.emergency, locale), parse_mode=ParseMode.HTML)


def handlers() -> list[MessageHandler[GrowWellContext, None]]:
    return [MessageHandler((filters.TEXT | filters.CAPTION) & ~filters.COMMAND, emergency_check)]
