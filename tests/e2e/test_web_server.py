"""The real `growwell` command with WEB_PORT: the partner API and the staff dashboard are
served beside the bot on the same loop and database, and stop with it; a port in use stops
start-up with one line. Without WEB_PORT the web server is never even imported (the bot's
memory budget)."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
from sqlalchemy import select

from dashboard.app import new_secret_key
from domain import partners
from local_bot_api.server import BotApiServer
from resources.spokes import load_spokes
from store.models import Referral
from tests.conftest import Clock
from tests.e2e.test_startup import ROOT, Growwell, assert_tidy, free_port
from tests.integration.test_referrals import Sessions

BODY = {
    "spoke": "safe_sleep",
    "name": "Sam Example",
    "phone": "07911 123456",
    "postcode": "L20 3AB",
    "child_age_band": "under_3_months",
    "consent_statement": "Mother agreed to a call from health visiting.",
    "reason": "Baby asleep on the sofa with a parent.",
}


async def test_with_web_port_the_partner_api_and_dashboard_run_beside_the_bot(
    database_url: str, sessions: Sessions, clock: Clock
) -> None:
    async with sessions.begin() as session:
        created = await partners.create_key(
            session,
            partner="police",
            spokes=["safe_sleep"],
            known_spokes=[spoke.id for spoke in load_spokes().spokes],
            now=clock(),
        )
    telegram_port, web_port = free_port(), free_port()
    async with BotApiServer(port=telegram_port):
        growwell = await Growwell.start(
            TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{telegram_port}/bot",
            DATABASE_URL=database_url,
            WEB_PORT=str(web_port),
            WEB_SECRET_KEY=new_secret_key().decode("ascii"),
        )
        try:
            while f"web server listening on http://127.0.0.1:{web_port}" not in (
                await growwell.next_line()
            ):
                pass
            base = f"http://127.0.0.1:{web_port}/api/v1"
            async with aiohttp.ClientSession() as http:
                headers = {"Authorization": f"Bearer {created.secret}", "Idempotency-Key": "1"}
                async with http.post(f"{base}/referrals", json=BODY, headers=headers) as made:
                    assert made.status == 201
                    reference = (await made.json())["reference"]
                async with http.get(f"{base}/openapi.json") as document:
                    assert (await document.json())["openapi"] == "3.1.0"
                dashboard = f"http://127.0.0.1:{web_port}/dashboard"
                async with http.get(dashboard, allow_redirects=True) as page:
                    assert page.url.path == "/dashboard/login"
                    assert "<h1>Sign in</h1>" in await page.text()
                    # Secure by default: the cookie is only for HTTPS.
                    assert "Secure" in page.headers["Set-Cookie"]
            # The dashboard's cookies need the cryptography library: with WEB_PORT it is loaded.
            maps = await asyncio.to_thread(Path(f"/proc/{growwell.process.pid}/maps").read_text)
            assert "/cryptography/" in maps
        finally:
            status = await growwell.stop()
    assert status == 0
    assert_tidy(growwell.output)
    async with sessions() as session:
        made_by_the_bot = await session.execute(select(Referral.source, Referral.reference))
        assert made_by_the_bot.all() == [("partner:police", reference)]
    with socket.socket() as probe:  # the port was let go
        probe.bind(("127.0.0.1", web_port))


async def test_a_web_port_in_use_stops_start_up_with_one_line(database_url: str) -> None:
    telegram_port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        web_port = taken.getsockname()[1]
        async with BotApiServer(port=telegram_port):
            growwell = await Growwell.start(
                TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{telegram_port}/bot",
                DATABASE_URL=database_url,
                WEB_PORT=str(web_port),
            )
            status = await growwell.exit_status()
    assert status == 2
    assert f"growwell: WEB_PORT: cannot listen on 127.0.0.1:{web_port}" in growwell.output
    assert_tidy(growwell.output)


async def test_without_web_port_the_bot_never_imports_the_web_server() -> None:
    check = (
        "import sys, cli.main, bot.polling, bot.app\n"
        "loaded = [m for m in ('api', 'aiohttp.web') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    result = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
