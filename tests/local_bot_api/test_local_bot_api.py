"""The local Bot API server, driven by PTB's own Bot and Application as the real bot will be."""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from local_bot_api import BotApiServer, TelegramUser

# Reading RetryAfter.retry_after as seconds is what these tests mean; PTB 22 warns it will change.
pytestmark = pytest.mark.filterwarnings("ignore:.*`retry_after` will be of type")

TOKEN = "123456:TEST-TOKEN"
AMY = 1001


@pytest.fixture
async def server() -> AsyncIterator[BotApiServer]:
    async with BotApiServer() as running:
        yield running


@pytest.fixture
def amy(server: BotApiServer) -> TelegramUser:
    return server.user(AMY, first_name="Amy", language_code="en")


@pytest.fixture
async def bot(server: BotApiServer) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=server.base_url) as ptb_bot:
        yield ptb_bot


def _one_button(text: str, data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=data)]])


# Identity and updates.


async def test_get_me_names_the_bot_with_the_id_from_its_token(bot: Bot) -> None:
    me = await bot.get_me()

    assert (me.id, me.username, me.is_bot) == (123456, "growwell_test_bot", True)


async def test_a_refused_token_is_unauthorized_as_telegram_answers_it(
    server: BotApiServer,
) -> None:
    server.refuse_token("999:REVOKED-token")
    with pytest.raises(InvalidToken, match="was rejected"):
        async with Bot("999:REVOKED-token", base_url=server.base_url):
            pass
    async with Bot(TOKEN, base_url=server.base_url) as other:
        assert (await other.get_me()).id == 123456


async def test_long_poll_wakes_as_soon_as_the_user_writes(bot: Bot, amy: TelegramUser) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await amy.send("/start a_xyz")
    updates = await poll

    assert time.monotonic() - started < 1.0
    message = updates[0].message
    assert message is not None
    assert message.text == "/start a_xyz"
    assert message.chat.id == AMY
    assert message.from_user is not None
    assert (message.from_user.first_name, message.from_user.language_code) == ("Amy", "en")
    assert message.parse_entities() == {message.entities[0]: "/start"}


async def test_offset_confirms_earlier_updates(bot: Bot, amy: TelegramUser) -> None:
    await amy.send("one")
    await amy.send("two")
    first_look = await bot.get_updates()
    again = await bot.get_updates()
    after_confirming = await bot.get_updates(offset=first_look[0].update_id + 1)
    confirmed_all = await bot.get_updates(
        offset=first_look[-1].update_id + 1, timeout=timedelta(milliseconds=200)
    )

    assert [u.message.text for u in first_look if u.message] == ["one", "two"]
    assert [u.update_id for u in again] == [u.update_id for u in first_look]
    assert [u.message.text for u in after_confirming if u.message] == ["two"]
    assert confirmed_all == ()


async def test_allowed_updates_persist_between_polls(bot: Bot, amy: TelegramUser) -> None:
    await bot.get_updates(allowed_updates=["callback_query"])
    await amy.send("ignored, the bot only wants button presses")
    sent = await bot.send_message(AMY, "Pick", reply_markup=_one_button("Go", "go"))
    await amy.press("Go")

    updates = await bot.get_updates()

    assert [u.callback_query.data for u in updates if u.callback_query] == ["go"]
    assert len(updates) == 1
    assert updates[0].callback_query is not None
    assert updates[0].callback_query.message is not None
    assert updates[0].callback_query.message.message_id == sent.message_id


async def test_stickers_photos_and_voice_arrive_as_telegram_shapes_them(
    bot: Bot, amy: TelegramUser
) -> None:
    await amy.send_sticker()
    await amy.send_photo(caption="rash on arm")
    await amy.send_voice()

    sticker, photo, voice = (u.message for u in await bot.get_updates())

    assert sticker is not None and sticker.sticker is not None
    assert photo is not None and photo.caption == "rash on arm" and len(photo.photo) == 3
    assert voice is not None and voice.voice is not None and voice.voice.mime_type == "audio/ogg"


# Sending and validation.


async def test_send_message_returns_the_message_as_telegram_does(
    bot: Bot, amy: TelegramUser
) -> None:
    sent = await bot.send_message(
        AMY,
        "<b>Welcome</b>, Amy &amp; baby",
        parse_mode=ParseMode.HTML,
        reply_markup=_one_button("Yes, I agree", "consent:yes"),
    )

    assert sent.text == "Welcome, Amy & baby"
    assert sent.text_html == "<b>Welcome</b>, Amy &amp; baby"
    assert sent.from_user is not None and sent.from_user.username == "growwell_test_bot"
    assert sent.reply_markup == _one_button("Yes, I agree", "consent:yes")
    seen = await amy.replies(timeout=1)
    assert [(m.visible_text, m.buttons, m.parse_mode) for m in seen] == [
        ("Welcome, Amy & baby", [["Yes, I agree"]], "HTML")
    ]
    assert seen[0].text == "<b>Welcome</b>, Amy &amp; baby"
    assert amy.last_message == seen[0]


async def test_html_length_counts_only_visible_characters(bot: Bot, amy: TelegramUser) -> None:
    visible_4096 = "<b>" + "&amp;" * 4000 + "</b>" + "x" * 96

    sent = await bot.send_message(AMY, visible_4096, parse_mode=ParseMode.HTML)

    assert sent.text is not None and len(sent.text) == 4096
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(AMY, visible_4096 + "!", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(AMY, "x" * 4097)


async def test_empty_text_is_refused(bot: Bot, amy: TelegramUser) -> None:
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(AMY, "<b> </b>", parse_mode=ParseMode.HTML)


@pytest.mark.parametrize(
    ("markup", "reason"),
    [
        ("<p>Hello</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("<b>Hello", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>Hi</b></i>", 'Unmatched end tag at byte offset 8, expected "</i>", found "</b>"'),
        ("weight < 2.5kg", "Unclosed start tag at byte offset 7"),
        ('<span class="x">secret</span>', 'Tag "span" must have class "tg-spoiler"'),
    ],
)
async def test_bad_html_is_refused_as_telegram_refuses_it(
    bot: Bot, amy: TelegramUser, markup: str, reason: str
) -> None:
    with pytest.raises(BadRequest) as refused:
        await bot.send_message(AMY, markup, parse_mode=ParseMode.HTML)

    # PTB capitalises Telegram's description, which lowers the rest of it.
    assert refused.value.message == f"Can't parse entities: {reason}".capitalize()


async def test_supported_html_tags_become_entities(bot: Bot, amy: TelegramUser) -> None:
    sent = await bot.send_message(
        AMY,
        '<i>a</i><a href="https://nhs.uk">b</a><tg-spoiler>c</tg-spoiler>'
        '<pre><code class="language-python">d</code></pre><blockquote expandable>e</blockquote>',
        parse_mode=ParseMode.HTML,
    )

    assert sent.text == "abcde"
    assert [(e.type, e.url, e.language) for e in sent.entities] == [
        ("italic", None, None),
        ("text_link", "https://nhs.uk", None),
        ("spoiler", None, None),
        ("pre", None, "python"),
        ("expandable_blockquote", None, None),
    ]


async def test_callback_data_is_limited_to_64_bytes(bot: Bot, amy: TelegramUser) -> None:
    await bot.send_message(AMY, "fits", reply_markup=_one_button("ok", "é" * 32))

    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(AMY, "too long", reply_markup=_one_button("no", "é" * 33))
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(AMY, "empty", reply_markup=_one_button("no", ""))


async def test_reply_keyboards_open_and_close_for_the_user(bot: Bot, amy: TelegramUser) -> None:
    await bot.send_message(
        AMY, "Share?", reply_markup=ReplyKeyboardMarkup([[KeyboardButton("Yes"), "No"]])
    )
    opened = amy.reply_keyboard
    await bot.send_message(AMY, "Thanks", reply_markup=ReplyKeyboardRemove())

    assert opened == [["Yes", "No"]]
    assert amy.reply_keyboard is None
    assert [m.reply_keyboard for m in await amy.replies(timeout=1)] == [[["Yes", "No"]], []]


async def test_unknown_chat_and_unknown_method_are_refused(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "hello?")
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", {"chat_id": AMY})


# Edits, deletions and callback answers.


async def test_edit_with_identical_content_is_not_modified(bot: Bot, amy: TelegramUser) -> None:
    sent = await bot.send_message(AMY, "Saved", reply_markup=_one_button("Undo", "undo"))

    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "Saved", AMY, sent.message_id, reply_markup=_one_button("Undo", "undo")
        )
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("Saved", AMY, sent.message_id + 50)


async def test_edit_without_markup_drops_the_keyboard_like_telegram(
    bot: Bot, amy: TelegramUser
) -> None:
    sent = await bot.send_message(AMY, "Choose", reply_markup=_one_button("A", "a"))
    await amy.replies(timeout=1)

    edited = await bot.edit_message_text("Chosen: A", AMY, sent.message_id)
    relabelled = await bot.edit_message_reply_markup(
        AMY, sent.message_id, reply_markup=_one_button("Change", "change")
    )

    assert isinstance(edited, Message) and isinstance(relabelled, Message)
    assert edited.reply_markup is None and edited.edit_date is not None
    assert relabelled.reply_markup == _one_button("Change", "change")
    changes = await amy.replies(timeout=1)
    assert [(m.visible_text, m.buttons, m.edited) for m in changes] == [
        ("Chosen: A", [], True),
        ("Chosen: A", [["Change"]], True),
    ]


async def test_deleted_messages_leave_the_chat(bot: Bot, amy: TelegramUser) -> None:
    first = await bot.send_message(AMY, "temporary")
    await bot.send_message(AMY, "lasting")
    assert await bot.delete_message(AMY, first.message_id)

    assert [m.visible_text for m in amy.messages] == ["lasting"]
    assert [m.deleted for m in amy.history] == [False, False, True]
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(AMY, first.message_id)


async def test_callback_answers_are_kept_as_toasts(bot: Bot, amy: TelegramUser) -> None:
    await bot.send_message(AMY, "Remind me?", reply_markup=_one_button("Yes", "remind"))
    query_id = await amy.press("Yes")

    assert await bot.answer_callback_query(query_id, text="Reminder set")
    assert amy.callback_answers == ["Reminder set"]
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)


async def test_pressing_a_missing_button_lists_the_buttons_there_are(
    bot: Bot, amy: TelegramUser
) -> None:
    await bot.send_message(AMY, "Consent?", reply_markup=_one_button("Yes, I agree", "yes"))

    with pytest.raises(AssertionError, match=r"no button \"No\".*\[\['Yes, I agree'\]\]"):
        await amy.press("No")


async def test_forged_callback_for_a_missing_message_is_inaccessible(
    bot: Bot, amy: TelegramUser
) -> None:
    await amy.press_data(999, "admin:delete_all")

    (update,) = await bot.get_updates()

    assert update.callback_query is not None
    assert update.callback_query.data == "admin:delete_all"
    assert update.callback_query.message is not None
    assert update.callback_query.message.is_accessible is False


# Blocking, faults and rate limits.


async def test_blocked_user_surfaces_as_forbidden(bot: Bot, amy: TelegramUser) -> None:
    await amy.block_bot()

    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(AMY, "Your next appointment")
    (update,) = await bot.get_updates()
    assert update.my_chat_member is not None
    assert update.my_chat_member.new_chat_member.status == "kicked"

    await amy.unblock_bot()
    assert (await bot.send_message(AMY, "Welcome back")).text == "Welcome back"


async def test_injected_429_surfaces_as_retry_after(
    server: BotApiServer, bot: Bot, amy: TelegramUser
) -> None:
    server.inject_fault(method="sendMessage", status=429, retry_after=7)

    with pytest.raises(RetryAfter) as refused:
        await bot.send_message(AMY, "first try")
    retried = await bot.send_message(AMY, "second try")

    assert refused.value.retry_after == 7
    assert retried.text == "second try"
    assert server.stats.errors[429] == 1
    assert [m.visible_text for m in amy.messages] == ["second try"]


@pytest.mark.parametrize("status", [500, 502, 0])
async def test_server_errors_and_dropped_connections_surface_as_network_errors(
    server: BotApiServer, bot: Bot, amy: TelegramUser, status: int
) -> None:
    server.inject_fault(method="sendMessage", status=status, times=2)

    for _ in range(2):
        with pytest.raises(NetworkError):
            await bot.send_message(AMY, "hello")
    assert (await bot.send_message(AMY, "hello")).text == "hello"
    assert server.sent_messages_count == 1


async def test_fault_can_target_one_chat_and_strike_after_delivery(
    server: BotApiServer, bot: Bot, amy: TelegramUser
) -> None:
    ben = server.user(1002, first_name="Ben")
    server.inject_fault(status=0, chat_id=ben.id, after_effect=True)

    await bot.send_message(AMY, "for Amy")
    with pytest.raises(NetworkError):
        await bot.send_message(ben.id, "for Ben")

    assert [m.visible_text for m in ben.messages] == ["for Ben"]
    assert [m.visible_text for m in amy.messages] == ["for Amy"]


async def test_rate_limit_answers_429_beyond_the_rolling_second(
    server: BotApiServer, bot: Bot, amy: TelegramUser
) -> None:
    server.limit_rate(per_second=5)

    results = await asyncio.gather(
        *(bot.send_message(AMY, f"tip {n}") for n in range(8)), return_exceptions=True
    )

    refusals = [r for r in results if isinstance(r, RetryAfter)]
    assert len(refusals) == 3
    assert all(r.retry_after == 1 for r in refusals)
    assert server.stats.rate_limited == 3
    assert server.stats.calls["sendMessage"] == 8
    assert server.stats.succeeded["sendMessage"] == server.sent_messages_count == 5


# Documents and commands.


async def test_sent_document_can_be_read_back(bot: Bot, amy: TelegramUser) -> None:
    export = json.dumps({"child": "Leo", "visits": 3}).encode()

    sent = await bot.send_document(
        AMY, InputFile(export, filename="grow-well-export.json"), caption="Your data"
    )

    document = amy.documents[-1]
    assert (document.filename, document.mime_type) == ("grow-well-export.json", "application/json")
    assert json.loads(document.content) == {"child": "Leo", "visits": 3}
    assert sent.document is not None and sent.document.file_size == len(export)
    assert sent.caption == "Your data"
    assert amy.last_message is not None and amy.last_message.document == document


async def test_commands_are_stored_per_language_and_scope(server: BotApiServer, bot: Bot) -> None:
    await bot.set_my_commands([("start", "Start"), ("help", "Help")])
    await bot.set_my_commands([("start", "Dechrau")], language_code="cy")

    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert [c.description for c in await bot.get_my_commands(language_code="cy")] == ["Dechrau"]
    assert server.commands() == [
        {"command": "start", "description": "Start"},
        {"command": "help", "description": "Help"},
    ]
    assert server.commands(language_code="cy") == [{"command": "start", "description": "Dechrau"}]
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([("Start", "capital letters are refused")])
    assert await bot.delete_my_commands(language_code="cy")
    assert server.commands(language_code="cy") == []


# A real PTB application in polling mode.


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet with a consent button, as onboarding will."""
    assert update.effective_message is not None
    await update.effective_message.reply_html(
        "<b>Welcome to Grow Well</b>", reply_markup=_one_button("Yes, I agree", "consent:yes")
    )


async def _consent(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Acknowledge the press with a toast and replace the question with the answer."""
    query = update.callback_query
    assert query is not None
    await query.answer("Thank you")
    await query.edit_message_text("You agreed. Thank you!")


async def test_polling_application_greets_and_edits_on_button_press(
    server: BotApiServer, amy: TelegramUser
) -> None:
    application = Application.builder().token(TOKEN).base_url(server.base_url).build()
    application.add_handler(CommandHandler("start", _start))
    application.add_handler(CallbackQueryHandler(_consent, pattern="^consent:"))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)

        await amy.send("/start a_xyz")
        greeting = await amy.replies()
        await amy.press("Yes, I agree")
        after_press = await amy.replies()

        await application.updater.stop()
        await application.stop()

    assert [(m.visible_text, m.buttons) for m in greeting] == [
        ("Welcome to Grow Well", [["Yes, I agree"]])
    ]
    assert [(m.visible_text, m.buttons, m.edited) for m in after_press] == [
        ("You agreed. Thank you!", [], True)
    ]
    assert after_press[0].message_id == greeting[0].message_id
    assert amy.callback_answers == ["Thank you"]


# The HTTP control side.


async def test_control_api_round_trip(server: BotApiServer, bot: Bot) -> None:
    async with aiohttp.ClientSession(server.url) as http:
        async with http.post(
            "/control/users/2001/messages", json={"text": "/start", "first_name": "Cat"}
        ) as posted:
            user_message = (await posted.json())["result"]
        (update,) = await bot.get_updates()
        poll = asyncio.create_task(http.get("/control/users/2001/messages?after=0&timeout=5"))
        await asyncio.sleep(0.05)
        sent = await bot.send_message(2001, "Hi Cat", reply_markup=_one_button("Go", "go"))
        async with await poll as polled:
            bot_messages = (await polled.json())["result"]
        async with http.post(
            "/control/users/2001/callback", json={"message_id": sent.message_id, "data": "go"}
        ) as pressed:
            assert pressed.status == 200
        (press,) = await bot.get_updates(offset=update.update_id + 1)
        async with http.post(
            "/control/faults", json={"method": "sendMessage", "status": 502}
        ) as fault:
            assert fault.status == 200
        with pytest.raises(NetworkError):
            await bot.send_message(2001, "lost")
        async with http.get("/control/stats") as stats:
            counts = (await stats.json())["result"]

    assert update.message is not None and update.message.text == "/start"
    assert update.message.message_id == user_message["message_id"]
    assert [(m["visible_text"], m["buttons"]) for m in bot_messages] == [("Hi Cat", [["Go"]])]
    assert press.callback_query is not None and press.callback_query.data == "go"
    assert counts["errors"] == {"502": 1}
    assert counts["sent_messages"] == 1


async def test_control_messages_since_a_revision_include_edits(
    server: BotApiServer, bot: Bot, amy: TelegramUser
) -> None:
    sent = await bot.send_message(AMY, "Question")
    await bot.edit_message_text("Answered", AMY, sent.message_id)

    async with (
        aiohttp.ClientSession(server.url) as http,
        http.get(f"/control/users/{AMY}/messages?since=1") as response,
    ):
        body = await response.json()

    assert [(m["visible_text"], m["edited"]) for m in body["result"]] == [("Answered", True)]
    assert body["revision"] == 2
