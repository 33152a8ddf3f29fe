"""Live updates of the queue page: a Server-Sent Events stream that says "your queue changed".

Every couple of seconds the stream asks the database one cheap question about the member's
scope (newest id, latest change, count: `queue_signature`) and sends an event when the answer
moves, with how many requests are new. The page (static/queue.js) then fetches the table
again. Each event's id is the signature, so a reconnecting browser (Last-Event-ID) is told
only of what it missed.

A stream lasts a few minutes at most, then the browser reconnects through the sign-in check
again: a member switched off, or signed out, stops getting updates. It ends at once when the
member leaves the page or the server shuts down (the app's `on_shutdown` sets STOPPING), so a
stream never holds up a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from aiohttp import web

from api.app_keys import SESSIONS
from dashboard.auth import current_staff
from domain import referral_queries
from domain.referral_queries import QueueSignature

CHECK_EVERY_SECONDS = 2.0
KEEP_ALIVE_SECONDS = 20.0  # a comment line, so proxies do not drop a quiet stream
STREAM_SECONDS = 300.0
RETRY_MILLISECONDS = 3000

log = logging.getLogger(__name__)

STOPPING = web.AppKey[asyncio.Event]("queue_stream_stopping")


def _closed(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


async def queue_events(request: web.Request) -> web.StreamResponse:
    staff = current_staff(request)
    sessions = request.config_dict[SESSIONS]
    stopping = request.app[STOPPING]
    loop = asyncio.get_running_loop()
    seen = request.headers.get("Last-Event-ID") or request.query.get("since", "")
    latest_seen = QueueSignature.latest_id_of(seen)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",  # no buffering in a reverse proxy
        }
    )
    await response.prepare(request)
    ends = loop.time() + STREAM_SECONDS
    quiet_since = loop.time()
    try:
        await response.write(f"retry: {RETRY_MILLISECONDS}\n\n".encode())
        while not stopping.is_set() and loop.time() < ends and not _closed(request):
            async with sessions() as db:
                signature = await referral_queries.queue_signature(db, staff)
                token = signature.token()
                fresh = 0
                if seen and token != seen and latest_seen is not None:
                    fresh = await referral_queries.new_since(db, staff, latest_seen)
            if not seen:
                seen = token  # nothing to compare with: from now on
            elif token != seen:
                data = json.dumps({"new": fresh})
                await response.write(f"id: {token}\nevent: queue\ndata: {data}\n\n".encode())
                seen, latest_seen, quiet_since = token, signature.latest_id, loop.time()
            elif loop.time() - quiet_since >= KEEP_ALIVE_SECONDS:
                await response.write(b": still here\n\n")
                quiet_since = loop.time()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), CHECK_EVERY_SECONDS)
    except ConnectionError:
        pass  # the member left the page
    finally:
        log.debug("queue stream of staff member %d ended", staff.id)
    return response


async def _stop_streams(app: web.Application) -> None:
    app[STOPPING].set()


def add_stream_routes(app: web.Application) -> None:
    app[STOPPING] = asyncio.Event()
    app.on_shutdown.append(_stop_streams)
    app.router.add_get("/queue/events", queue_events, name="queue_events")
