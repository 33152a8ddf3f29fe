"""Emergency signposting: runs before every other handler, in every step, in the right language."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import MessageHandler, filters

from bot.context import GrowWellContext
from bot.language import family_locale
from domain.safety import Emergency, detect_emergency
from locales import gettext_for


def signposting(kind: Emergency, locale: str) -> str:
    _ = gettext_for(locale)
    not_watched = _(
        "I am a chat bot. No one reads these messages all day and night, "
        "so please do not wait for a reply from me."
    )
    if kind is Emergency.BABY_UNWELL:
        lines = [
            _(
                "🚨 <b>If your baby is not breathing, has gone blue or grey, is floppy, "
                "will not wake up or is having a fit: call 999 now.</b>"
            ),
            _("If you are worried but it is not an emergency, call NHS 111."),
        ]
    elif kind is Emergency.SELF_HARM:
        lines = [
            _("💛 <b>You are not alone. You deserve help right now.</b>"),
            _("If you might act on these thoughts, or you are in danger, call 999 or go to A&E."),
            _(
                "For urgent mental health help, call NHS 111 and choose option 2. "
                "It is there day and night."
            ),
            _(
                "You can talk to Samaritans at any time on 116 123. It is free. "
                "Or send a text with the word SHOUT to 85258."
            ),
        ]
    else:
        lines = [
            _("💛 <b>I am sorry this is happening. You deserve to be safe.</b>"),
            _("If you or your children are in danger now, call 999."),
            _(
                "You can talk to Samaritans at any time on 116 123. It is free. "
                "Or send a text with the word SHOUT to 85258."
            ),
            _("Your health visitor or GP can help you too. It is safe to tell them."),
        ]
    return "\n\n".join([*lines, not_watched])


async def emergency_check(update: Update, context: GrowWellContext) -> None:
    """Answer at once if a message reads like an emergency; the step in progress carries on."""
    message = update.effective_message
    text = (message.text or message.caption or "") if message else ""
    kind = detect_emergency(text) if text else None
    if kind is None or message is None:
        return
    context.emergency_shown = True
    locale = await family_locale(update, context)
    await message.reply_text(signposting(kind, locale), parse_mode=ParseMode.HTML)


def handlers() -> list[MessageHandler[GrowWellContext, None]]:
    return [MessageHandler((filters.TEXT | filters.CAPTION) & ~filters.COMMAND, emergency_check)]
