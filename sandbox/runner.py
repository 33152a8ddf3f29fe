"""Starting and stopping the sandbox: the in-repo Bot API server (which also serves the page)
and the real bot polling it, with a generated token and a database of its own.

Everything listens on 127.0.0.1 only. The sandbox's state is its SQLite file and, beside it,
the chats as the page shows them (`sandbox.json`, with the clock): the two go together, so a
missing one starts both from nothing, as `--reset` does.
"""

from __future__ import annotations

import asyncio
import secrets
import signal
from pathlib import Path

from pydantic import SecretStr

from bot.app import GrowWellApplication, build_application, shipped_resources
from config.settings import Settings, async_database_url
from dashboard.app import build_dashboard, mount, new_secret_key
from domain.referrals import calendar_for
from local_bot_api.server import BotApiServer
from resources.bundle import Resources
from sandbox.clock import SandboxClock
from sandbox.feed import Feed
from sandbox.staff import SAM_EMAIL, set_up_staff_side, with_sandbox_groups
from sandbox.time_machine import TimeMachine
from sandbox.web import add_sandbox_routes
from store.engine import create_engine, session_factory
from store.migrate import upgrade

HOST = "127.0.0.1"
BOT_USERNAME = "growwell_sandbox_bot"
# The bot's Telegram id, the same at every start: the page's saved messages stay the bot's.
BOT_ID = 900_000_001
# The bot's long poll; stopping the sandbox releases it at once.
POLL_SECONDS = 10


def sandbox_token() -> str:
    """A token of Telegram's shape, new each start (the bot's id stays): it only ever reaches
    our own server."""
    return f"{BOT_ID}:{secrets.token_urlsafe(27)}"


def dashboard_password() -> str:
    """Sam's dashboard password for this run: printed once, never stored in clear."""
    return "-".join(secrets.token_hex(3) for _ in range(3))


class Sandbox:
    """The whole sandbox; ``await start()``, then ``url`` is the page and ``dashboard_url``
    the staff dashboard beside it (Sam signs in with ``dashboard_password``), ``await stop()``.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        port: int,
        database: Path,
        reset: bool = False,
        resources: Resources | None = None,
    ) -> None:
        self._settings = settings
        self._database = database
        self._snapshot = database.with_suffix(".json")
        self._reset = reset
        # The bot posts each team's requests to that team's group on the page.
        self._resources = with_sandbox_groups(resources or shipped_resources())
        self.clock = SandboxClock()
        self.server = BotApiServer(
            port=port,
            host=HOST,
            bot_username=BOT_USERNAME,
            clock=self.clock.timestamp,
            open_groups=True,
        )
        bot = {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": self.server.api.bot_first_name,
            "username": BOT_USERNAME,
        }
        self.feed = Feed(self.server, self._snapshot, self.clock, bot)
        self.application: GrowWellApplication | None = None
        self.time_machine: TimeMachine | None = None
        # One engine for the sandbox's life, shared by the bot and the dashboard (which is
        # mounted before the server starts); stopping the bot only closes its connections.
        self._url = async_database_url(f"sqlite:///{self._database}")
        self._engine = create_engine(self._url, clock=self.clock)
        self._sessions = session_factory(self._engine)
        self.dashboard_password = dashboard_password()
        self._resetting = asyncio.Lock()
        add_sandbox_routes(self.server.app, self)
        spokes = self._resources.spokes
        dashboard = build_dashboard(
            self._sessions,
            spokes,
            calendar_for(spokes),
            self.clock,
            settings.zone,
            secret_key=new_secret_key(),
            cookie_secure=False,  # plain HTTP, on this computer only
        )
        mount(self.server.app, dashboard)

    @property
    def url(self) -> str:
        return f"{self.server.url}/"

    @property
    def dashboard_url(self) -> str:
        return f"{self.server.url}/dashboard/"

    @property
    def dashboard_email(self) -> str:
        return SAM_EMAIL

    @property
    def zone_name(self) -> str:
        return self._settings.timezone

    async def start(self) -> None:
        """Restore (or wipe) the state, listen, then start the bot against our server."""
        self._database.parent.mkdir(parents=True, exist_ok=True)
        if self._reset or not self.feed.restore():
            self._wipe()
        await self.server.start()
        await self._start_bot()

    async def stop(self) -> None:
        await self._stop_bot()
        self.feed.close()
        await self.server.stop()
        await self._engine.dispose()

    async def start_again(self) -> None:
        """The page's "Start again": no families, no messages, the clock back to today."""
        async with self._resetting:
            await self._stop_bot()
            self.server.clear_chats()
            self.feed.clear()
            self.clock.reset()
            self._wipe()
            await self._start_bot()
            self.feed.publish({"type": "reset"})

    def _wipe(self) -> None:
        for path in (
            self._database,
            self._database.with_name(self._database.name + "-wal"),
            self._database.with_name(self._database.name + "-shm"),
            self._snapshot,
        ):
            path.unlink(missing_ok=True)

    async def _start_bot(self) -> None:
        await upgrade(self._url)
        settings = self._settings.model_copy(
            update={
                "telegram_bot_token": SecretStr(sandbox_token()),
                "telegram_api_base_url": self.server.base_url,
                "database_url": self._url,
            }
        )
        application = build_application(
            settings,
            self._sessions,
            clock=self.clock,
            resources=self._resources,
            run_jobs=False,
        )
        time_machine = TimeMachine(application, self.clock)
        time_machine.schedule(application)
        await application.initialize()
        if application.post_init is not None:  # run_polling() would call it; we start by hand
            await application.post_init(application)
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.0, timeout=POLL_SECONDS)
        self.application, self.time_machine = application, time_machine
        await set_up_staff_side(
            self.feed,
            self._sessions,
            self._resources.spokes,
            self.clock,
            dashboard_password=self.dashboard_password,
        )

    async def _stop_bot(self) -> None:
        application, self.application, self.time_machine = self.application, None, None
        if application is not None:
            self.server.api.updates.close()  # release the long poll now
            assert application.updater is not None
            if application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
            await application.shutdown()
            self.server.api.updates.closing = False
        # Closes the connections (before "Start again" removes the file); the engine opens
        # new ones when next used.
        await self._engine.dispose()


class PortInUse(Exception):
    """The page's port is taken; the message is one line for the person starting it."""


def run_sandbox(settings: Settings, *, port: int, reset: bool, resources: Resources) -> None:
    """Start the sandbox, print the one line with its address, and run until Ctrl+C or SIGTERM."""
    database = Path(settings.sandbox_database)
    sandbox = Sandbox(settings, port=port, database=database, reset=reset, resources=resources)
    asyncio.run(_serve(sandbox))


async def _serve(sandbox: Sandbox) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop.set)
    try:
        await sandbox.start()
    except OSError as error:
        await sandbox.stop()
        raise PortInUse(
            f"cannot serve the sandbox on {sandbox.url} ({error.strerror or error}); "
            "choose another port with --port"
        ) from None
    try:
        print(
            f"Grow Well sandbox: {sandbox.url} (nothing leaves this computer; Ctrl+C to stop)",
            f"Dashboard: {sandbox.dashboard_url}  sign in as {sandbox.dashboard_email} "
            f"with password {sandbox.dashboard_password}",
            sep="\n",
            flush=True,
        )
        await stop.wait()
    finally:
        await sandbox.stop()
