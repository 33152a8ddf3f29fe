"""Emergency signposting at any step, in all four languages; the step then carries on."""

from __future__ import annotations

import pytest

from bot.safety import signposting
from domain.safety import Emergency
from local_bot_api.server import BotApiServer
from tests.e2e.test_bad_input import DUE_QUESTION, at_date_question
from tests.e2e.transcript import says


@pytest.mark.parametrize(
    ("locale", "typed", "kind"),
    [
        ("en", "my baby is not breathing", Emergency.BABY_UNWELL),
        ("en", "he has gone blue and floppy", Emergency.BABY_UNWELL),
        ("en", "i want to kil myself", Emergency.SELF_HARM),
        ("en", "my partner hits me", Emergency.ABUSE),
        ("pl", "moje dziecko nie oddycha", Emergency.BABY_UNWELL),
        ("pl", "chce umrzec", Emergency.SELF_HARM),
        ("pt", "o meu bebé não está a respirar", Emergency.BABY_UNWELL),
        ("pt", "quero morrer", Emergency.SELF_HARM),
        ("ar", "طفلي لا يتنفس", Emergency.BABY_UNWELL),
        ("ar", "زوجي يضربني", Emergency.ABUSE),
    ],
)
async def test_an_emergency_message_gets_signposting_in_the_familys_language(
    bot: object, bot_api: BotApiServer, locale: str, typed: str, kind: Emergency
) -> None:
    user = bot_api.user(user_id=4000 + hash(typed) % 900, first_name="Hana", language_code=locale)
    replies = await says(user, typed)
    assert replies[0].text == signposting(kind, locale)
    assert "999" in replies[0].visible_text
    if locale != "en":
        assert replies[0].text != signposting(kind, "en"), "the reply must be translated"


async def test_after_signposting_the_question_in_progress_carries_on(
    bot: object, bot_api: BotApiServer
) -> None:
    user = await at_date_question(bot_api, 4999, "I'm expecting a baby")
    signpost, again = await says(user, "my baby isnt breathing")
    assert "call 999 now" in signpost.visible_text
    assert again.visible_text == DUE_QUESTION
    [check] = await says(user, "3/4/2027")
    assert check.visible_text.startswith("Just to check")


def test_every_signposting_text_names_999_and_says_no_one_watches_all_the_time() -> None:
    for kind in Emergency:
        text = signposting(kind, "en")
        assert "999" in text
        assert "No one reads these messages all day and night" in text
