"""Emergency signposting at any step, in all four languages; the step then carries on."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import GrowWellApplication
from bot.safety import signposting
from domain.safety import Emergency
from local_bot_api.server import BotApiServer
from locales import SUPPORTED_LOCALES
from tests.conftest import Clock
from tests.e2e.test_bad_input import DUE_QUESTION, at_date_question
from tests.e2e.transcript import PROGRESS, flat, says
from tests.scheduler.conftest import make_family

Sessions = async_sessionmaker[AsyncSession]


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
        ("en", "baby swallowed a button battery", Emergency.SWALLOWED_BATTERY),
        ("en", "he hits me", Emergency.ABUSE),
        ("en", "I took too many tablets", Emergency.SELF_HARM),
        ("pl", "dziecko się dusi", Emergency.CHOKING),
        ("pt", "o bebé está a sufocar", Emergency.CHOKING),
        ("pt", "ele bebeu lixívia", Emergency.POISONING),
        ("ar", "ابني بلع بطارية", Emergency.SWALLOWED_BATTERY),
        ("pl", "noworodek ma gorączkę 38,5", Emergency.YOUNG_BABY_FEVER),
        ("en", "she fell and hit her head and now she keeps being sick", Emergency.INJURY),
        ("en", "my partner shook the baby", Emergency.SHAKEN_BABY),
        ("pt", "o meu marido sacudiu o bebé com força", Emergency.SHAKEN_BABY),
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
    assert signpost.visible_text.startswith("🚨 Call 999 now")
    assert again.visible_text == DUE_QUESTION
    [check] = await says(user, "3/4/2027")
    assert check.visible_text.startswith("Just to check")


def test_every_signposting_text_names_999_and_says_no_one_watches_all_the_time() -> None:
    for kind in Emergency:
        text = signposting(kind, "en")
        assert "999" in text
        assert "No one reads these messages all day and night" in text


def test_each_kind_of_emergency_has_its_own_reply_in_every_language() -> None:
    for locale in SUPPORTED_LOCALES:
        replies = {signposting(kind, locale) for kind in Emergency}
        assert len(replies) == len(Emergency), locale


def test_a_swallowed_button_battery_says_go_to_a_and_e_now_before_anything_else() -> None:
    first = signposting(Emergency.SWALLOWED_BATTERY, "en").split("\n")[0]
    assert first.startswith("🚨 <b>Go to A&amp;E now") or first.startswith("🚨 <b>Go to A&E now")


def test_the_abuse_reply_gives_999_first_then_the_helplines_and_never_promises_safety() -> None:
    text = signposting(Emergency.ABUSE, "en")
    assert text.index("999") < text.index("0808 2000 247") < text.index("0808 801 0327")
    assert "Men's Advice Line" in text
    assert "It is safe to tell them" not in text


async def signed_up_family(
    bot: GrowWellApplication, sessions: Sessions, clock: Clock, chat_id: int, locale: str = "en"
) -> None:
    plan = bot.bot_data["services"].plan
    await make_family(sessions, plan, clock, chat_id, born=date(2026, 9, 1), locale=locale)


async def test_a_question_about_a_red_flag_gets_articles_under_the_999_line(
    bot: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    await signed_up_family(bot, sessions, clock, 4101)
    user = bot_api.user(user_id=4101, first_name="Amy")
    [reply] = await says(user, "what are the signs of meningitis?")
    assert reply.visible_text == (
        "If this is happening now, call 999. If you are worried, call NHS 111.\n\n"
        "Here is what I found:"
    )
    assert set(flat(reply.buttons)[:2]) == {
        "When your baby is unwell: getting the right help",
        "Urgent help in a crisis",
    }, "the urgent-help shelf comes first"


async def test_an_everyday_question_gets_articles_without_the_999_line(
    bot: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    await signed_up_family(bot, sessions, clock, 4102)
    user = bot_api.user(user_id=4102, first_name="Amy")
    [reply] = await says(user, "when do babies start teething")
    assert reply.visible_text == "Here is what I found:"


async def test_nothing_found_names_999_as_well_as_111(
    bot: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    await signed_up_family(bot, sessions, clock, 4103, locale="pl")
    user = bot_api.user(user_id=4103, first_name="Ola", language_code="pl")
    [reply] = await says(user, "qwertyuiop")
    assert reply.visible_text.endswith(
        "Jeśli to dzieje się teraz, zadzwoń pod 999. Jeśli się martwisz, zadzwoń pod NHS 111."
    )


@pytest.mark.parametrize("media", ["send_voice", "send_photo", "send_sticker"])
async def test_voice_notes_photos_and_stickers_get_the_999_line(
    bot: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock, media: str
) -> None:
    chat_id = 4110 + ["send_voice", "send_photo", "send_sticker"].index(media)
    await signed_up_family(bot, sessions, clock, chat_id)
    user = bot_api.user(user_id=chat_id, first_name="Amy")
    before = PROGRESS.seen(user.id)
    await getattr(user, media)()
    await PROGRESS.wait_past(user.id, before)
    first, *_ = [m for m in await user.replies(timeout=0.05) if not m.edited]
    assert "If this is happening now, call 999." in first.visible_text


async def test_a_voice_note_before_sign_up_gets_the_999_line_too(
    bot_api: BotApiServer, bot: object
) -> None:
    user = bot_api.user(user_id=4120, first_name="Sam", language_code="pt")
    before = PROGRESS.seen(user.id)
    await user.send_voice()
    await PROGRESS.wait_past(user.id, before)
    [reply] = [m for m in await user.replies(timeout=0.05) if not m.edited]
    assert "Se isto está a acontecer agora, ligue para o 999." in reply.visible_text
