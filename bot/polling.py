"""Polling mode: the bot asks Telegram (or any Bot API server) for updates. Needs only a token.

Start-up explains itself: a fault the operator must fix (a refused token, a database that cannot
be opened) stops the bot with one line; Telegram out of reach is logged once and tried again
with backoff, since it usually comes back on its own.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import TYPE_CHECKING

from telegram import Update
from telegram.error import InvalidToken, NetworkError, RetryAfter

from bot.app import GrowWellApplication, build_application
from config.settings import Settings
from resources.bundle import Resources
from store.engine import DATABASE_FAULTS, create_engine, database_fault, session_factory
from store.migrate import MigrationFailed, upgrade_in_child

if TYPE_CHECKING:
    from aiohttp.web import AppRunner

log = logging.getLogger(__name__)

FIRST_RETRY = 1.0  # seconds; doubled after each failed try
LONGEST_RETRY = 60.0
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StartupError(Exception):
    """The bot cannot start until the operator fixes something; the message is one line."""


def run_polling(settings: Settings, resources: Resources) -> None:
    """Migrate the database, reach Telegram, then poll until interrupted (Ctrl+C or SIGTERM)."""
    try:
        upgrade_in_child(settings.database_url)
    except MigrationFailed as error:
        raise StartupError(str(error)) from None
    engine = create_engine(settings.database_url)
    application = build_application(settings, session_factory(engine), resources=resources)
    web: list[AppRunner] = []  # the web server beside the bot, once started (WEB_PORT)

    async def dispose(_: object) -> None:
        for runner in web:
            await runner.cleanup()
        await engine.dispose()

    application.post_shutdown = dispose
    # PTB's run_polling goes on with this loop; the application is initialized on it first, so
    # that the faults above get one line each instead of PTB's tracebacks.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        connected = loop.run_until_complete(connect(application, settings))
    except BaseException:
        loop.run_until_complete(_close(application))
        loop.close()
        raise
    if not connected:  # stopped while waiting for Telegram
        loop.run_until_complete(_close(application))
        loop.close()
        return
    if settings.web_port is not None:
        try:
            web.append(loop.run_until_complete(serve_web(application, settings)))
        except BaseException:
            loop.run_until_complete(_close(application))
            loop.close()
            raise
    log.info("Grow Well is running in polling mode against %s", _host(settings))
    if waiting := resources.spokes.placeholder_teams():
        log.warning(
            "no staff group set yet in resources/spokes.yaml for %s: their requests wait, "
            "and are posted once a group is set",
            ", ".join(team.id for team in waiting),
        )
    # Initialized already, so PTB's own bootstrap retries only its deleteWebhook call.
    application.run_polling(allowed_updates=Update.ALL_TYPES, bootstrap_retries=-1)


async def connect(application: GrowWellApplication, settings: Settings) -> bool:
    """Initialize the application: check the token with Telegram and load the conversations.

    Waits for Telegram with backoff (1 s, 2 s, 4 s ... up to a minute); False if a stop signal
    came first. A refused token or a database fault is a StartupError.
    """
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for number in _STOP_SIGNALS:
        loop.add_signal_handler(number, stop.set)
    try:
        delay, tries = FIRST_RETRY, 1
        while True:
            try:
                await application.initialize()
            except InvalidToken:  # PTB's text holds the token: never shown
                raise StartupError(
                    "TELEGRAM_BOT_TOKEN: Telegram refused this token; copy it again from "
                    "@BotFather (it changes if the bot's token was revoked)"
                ) from None
            except DATABASE_FAULTS as error:
                raise StartupError(database_fault(error, settings.database_url)) from None
            except (NetworkError, RetryAfter) as error:
                await application.bot.shutdown()  # close the connections until the next try
                if tries == 1:
                    log.warning(
                        "cannot reach Telegram at %s (%s); trying again, waiting up to %d s "
                        "between tries",
                        _host(settings),
                        type(error).__name__,
                        LONGEST_RETRY,
                    )
                else:
                    log.debug("try %d: still cannot reach Telegram", tries)
            else:
                if tries > 1:
                    log.info("reached Telegram after %d tries", tries)
                return not stop.is_set()
            try:
                await asyncio.wait_for(stop.wait(), delay)
            except TimeoutError:
                delay, tries = min(delay * 2, LONGEST_RETRY), tries + 1
            else:
                return False
    finally:
        for number in _STOP_SIGNALS:
            loop.remove_signal_handler(number)


async def serve_web(application: GrowWellApplication, settings: Settings) -> AppRunner:
    """Start the web server (the partner API and the dashboard) on the bot's loop, with the
    bot's database, spokes, calendar and clock. Imported only here: a bot without WEB_PORT
    never loads it (its memory budget, bench/memory.py)."""
    from api.server import DashboardOptions, build_web_app, start_web
    from dashboard.app import new_secret_key

    services = application.bot_data["services"]
    if settings.web_secret_key is None:
        log.warning("WEB_SECRET_KEY is not set: dashboard sessions end when the bot restarts")
        key = new_secret_key()
    else:
        key = settings.web_secret_key.get_secret_value().encode("ascii")
    options = DashboardOptions(key, settings.web_cookie_secure, settings.web_session_hours)
    app = build_web_app(
        services.sessions,
        services.spokes,
        services.calendar,
        services.clock,
        zone=settings.zone,
        dashboard=options,
    )
    port = settings.web_port
    assert port is not None
    try:
        return await start_web(app, settings.web_host, port)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise StartupError(
            f"WEB_PORT: cannot listen on {settings.web_host}:{port}: {reason}"
        ) from None


async def _close(application: GrowWellApplication) -> None:
    """Close what a failed or stopped start opened: HTTP sessions and database connections."""
    await application.shutdown()  # if it got as far as initialized
    await application.bot.shutdown()  # if only its connections were opened
    if application.post_shutdown is not None:
        await application.post_shutdown(application)


def _host(settings: Settings) -> str:
    """The Bot API host only: the URL never carries the token, but keep logs minimal anyway."""
    return settings.telegram_api_base_url.split("/")[2]
