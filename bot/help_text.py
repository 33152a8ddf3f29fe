"""The help text: what the bot does, its commands, and that it is not an emergency service."""

from __future__ import annotations

from locales import gettext_for


def help_text(locale: str) -> str:
    _ = gettext_for(locale)
    return "\n".join(
        [
            _("<b>How I can help</b>"),
            _("I send you reminders and tips that fit your baby's age, in your language."),
            "",
            _("/menu – the main menu"),
            _("/library – trusted answers for parents. You can also just type a question."),
            _("/reminders – what is coming up, and which tips you get"),
            _("/appointment – add an appointment, and I will remind you"),
            _(
                "/settings – change your language, message time or area, add a child, "
                "or tell me your baby is born"
            ),
            _("/pause – stop messages for a while"),
            _("/resume – start messages again"),
            _("/mydata – see everything I keep about you"),
            _("/delete – delete all your details"),
            _("/help – this message"),
            "",
            _(
                "<b>Please remember:</b> no one reads these messages all day and night, "
                "and I am not an emergency service."
            ),
            _(
                "In an emergency, call 999. For urgent advice, call NHS 111. "
                "You can talk to Samaritans at any time on 116 123."
            ),
        ]
    )
