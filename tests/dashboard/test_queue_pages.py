"""The queue at the desk: a health visitor filters the team's queue, opens a request, claims
it, writes a note, messages the family, records first contact and closes it; another team
never learns the request exists; admins read the audit log; the queue updates itself."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from api.server import start_web
from domain import families, referrals
from domain.referrals import Contact
from store.models import (
    ContactMethod,
    Delivery,
    Referral,
    ReferralEvent,
    ReferralMessage,
    ReferralStatus,
    StaffRole,
)
from tests.conftest import Clock
from tests.dashboard.conftest import (
    CALENDAR,
    PASSWORD,
    SPOKES,
    Client,
    MakeStaff,
    Sessions,
    csrf_token,
    post_form,
    sign_in,
    web_app,
)

ANSWERS = {
    "hub": {"help_with": "Sleep, mostly at night"},
    "safe_sleep": {"question": "Can she sleep in the sling?"},
    "babs": {"what_is_hard": "bonding"},
}
_SIGNATURE = re.compile(r'data-signature="([^"]*)"')


async def make_request(
    sessions: Sessions,
    clock: Clock,
    chat_id: int,
    spoke: str = "hub",
    *,
    urgent: str | None = None,
    contact: Contact | None = None,
) -> Referral:
    """A family registers and asks for support, as they would in the bot."""
    async with sessions.begin() as session:
        family = await families.record_consent(
            session, chat_id, locale="en", source=None, now=clock()
        )
        families.complete_registration(family, clock())
        await session.flush()
        created = await referrals.create(
            session,
            family=family,
            spoke=SPOKES.spoke(spoke),
            answers=ANSWERS[spoke],
            contact=contact or Contact(ContactMethod.MESSAGE),
            consent_at=clock(),
            now=clock(),
            calendar=CALENDAR,
            child_age_band="0-3 months",
            urgent_reason=urgent,
        )
        return created.referral


@asynccontextmanager
async def desk(sessions: Sessions, clock: Clock, email: str) -> AsyncIterator[Client]:
    """A second browser, signed in as another member."""
    async with TestClient(TestServer(web_app(sessions, clock))) as client:
        assert (await sign_in(client, email)).status == 303
        yield client


async def page_text(client: Client, path: str, **params: str) -> str:
    response = await client.get(path, params=params)
    assert response.status == 200, await response.text()
    return await response.text()


async def act(client: Client, reference: str, action: str, **fields: str) -> str:
    """Press a button on the request page; return the page it leads back to."""
    response = await post_form(client, f"/dashboard/requests/{reference}/{action}", fields)
    assert response.status == 303
    assert response.headers["Location"] == f"/dashboard/requests/{reference}"
    return await page_text(client, response.headers["Location"])


async def events_of(sessions: Sessions, referral_id: int) -> list[str]:
    async with sessions() as session:
        return [e.kind for e in await referrals.history(session, referral_id)]


async def test_the_queue_shows_the_teams_requests_urgent_first_with_filters_and_counts(
    dashboard: Client, make_staff: MakeStaff, sessions: Sessions, clock: Clock
) -> None:
    await make_staff(name="Priya Shah", team="health_visiting")
    hub = await make_request(sessions, clock, 2001, "hub")
    clock.advance(minutes=5)
    sleep = await make_request(sessions, clock, 2002, "safe_sleep", urgent="not breathing")
    babs = await make_request(sessions, clock, 2003, "babs")
    await sign_in(dashboard, "priya.shah@nhs.example")

    page = await page_text(dashboard, "/dashboard/queue")
    assert "<h1>Requests for the" in page
    assert sleep.reference in page and hub.reference in page
    assert babs.reference not in page  # another team's
    assert page.index(sleep.reference) < page.index(hub.reference)  # urgent first
    assert '<span class="badge badge-urgent">Urgent</span>' in page
    assert "<strong>2</strong> open" in page and "<strong>1</strong> urgent" in page
    assert '<th scope="col">Reference</th>' in page
    assert f'<time datetime="{hub.due_by.astimezone(CALENDAR.zone).isoformat()[:16]}' in page
    assert "left (working time)" in page
    assert 'aria-live="polite"' in page and "Refresh</a>" in page

    only_hub = await page_text(dashboard, "/dashboard/queue", spoke="hub")
    assert hub.reference in only_hub and sleep.reference not in only_hub
    urgent = await page_text(dashboard, "/dashboard/queue", priority="urgent")
    assert sleep.reference in urgent and hub.reference not in urgent
    mine = await page_text(dashboard, "/dashboard/queue", mine="1")
    assert "No requests match these filters" in mine
    clock.advance(days=7)
    overdue = await page_text(dashboard, "/dashboard/queue", overdue="1")
    # Read aloud as "Overdue by 2 working days …": the badge is the first word.
    assert '<span class="badge badge-overdue">Overdue</span> by ' in overdue

    fragment = await page_text(dashboard, "/dashboard/queue", fragment="1", spoke="hub")
    assert "<html" not in fragment and "<table" in fragment and hub.reference in fragment
    assert sleep.reference not in fragment
    # A value the page never offers is no filter at all.
    odd = await page_text(dashboard, "/dashboard/queue", status="lost", spoke="nope", page="x")
    assert hub.reference in odd and sleep.reference in odd


async def test_opening_a_request_shows_the_answers_and_is_logged(
    dashboard: Client, make_staff: MakeStaff, sessions: Sessions, clock: Clock
) -> None:
    member = await make_staff(name="Priya Shah", team="health_visiting")
    phone = Contact(ContactMethod.PHONE, phone="07911 123456", call_window="morning")
    referral = await make_request(sessions, clock, 2011, "hub", contact=phone)
    await sign_in(dashboard, "priya.shah@nhs.example")

    page = await page_text(dashboard, f"/dashboard/requests/{referral.reference}")
    assert f"<h1>Request {referral.reference}</h1>" in page
    question = SPOKES.spoke("hub").question("help_with")
    assert question is not None and question.prompt["en"] in page
    assert "Sleep, mostly at night" in page
    assert "+447911123456" in page and "In the morning" in page
    assert "Request made" in page  # the timeline
    for form in ("claim", "decline", "urgent", "note"):
        assert f"/dashboard/requests/{referral.reference}/{form}" in page
    assert f"/dashboard/requests/{referral.reference}/close" not in page  # not held yet
    async with sessions() as session:
        viewed = await session.scalars(
            select(ReferralEvent).where(
                ReferralEvent.referral_id == referral.id, ReferralEvent.kind == "viewed"
            )
        )
        assert [event.staff_id for event in viewed] == [member.id]
    # A reference typed in lower case finds the request too.
    lower = await dashboard.get(f"/dashboard/requests/{referral.reference.lower()}")
    assert lower.status == 200


async def test_claim_note_message_contacted_and_close_from_the_request_page(
    dashboard: Client, make_staff: MakeStaff, sessions: Sessions, clock: Clock
) -> None:
    await make_staff(name="Priya Shah", team="health_visiting")
    referral = await make_request(sessions, clock, 2021, "hub")
    reference = referral.reference
    await sign_in(dashboard, "priya.shah@nhs.example")

    page = await act(dashboard, reference, "claim")
    assert "You hold this request now." in page
    assert "Claimed: Priya Shah" in page

    page = await act(dashboard, reference, "note", text="Mum prefers afternoons")
    assert "Note added. Only the team sees it." in page
    assert "Mum prefers afternoons" in page

    page = await act(
        dashboard, reference, "message", text="Hello, I am Priya. I will call <soon>."
    )
    assert "Message sent to the family through the bot." in page
    assert "Hello, I am Priya. I will call &lt;soon&gt;." in page  # escaped, in the timeline
    async with sessions() as session:
        message = await session.scalar(
            select(ReferralMessage).where(ReferralMessage.referral_id == referral.id)
        )
        assert message is not None and message.sender == "staff"
        notices = list(
            await session.scalars(
                select(Delivery)
                .join(ReferralEvent, ReferralEvent.id == Delivery.referral_event_id)
                .where(ReferralEvent.referral_id == referral.id)
                .order_by(Delivery.id)
            )
        )
    # The claim and the message each reach the family through the outbox.
    assert [d.family_id for d in notices] == [referral.family_id] * 2
    assert all(d.topic == referrals.NOTICE_TOPIC for d in notices)

    page = await act(dashboard, reference, "contacted")
    assert "First contact recorded" in page
    page = await act(dashboard, reference, "close", outcome="advice_given")
    assert "Closed: Advice given. The family is told." in page
    assert f"/dashboard/requests/{reference}/claim" not in page
    async with sessions() as session:
        closed = await session.get(Referral, referral.id)
        assert closed is not None and closed.status is ReferralStatus.CLOSED
        assert closed.outcome == "advice_given"
    kinds = [k for k in await events_of(sessions, referral.id) if k != "viewed"]
    assert kinds == [
        "created",
        "claimed",
        "staff_note",
        "staff_message",
        "contacted",
        "closed",
    ]


async def test_a_refused_press_says_why_and_who_holds_the_request(
    dashboard: Client, make_staff: MakeStaff, sessions: Sessions, clock: Clock
) -> None:
    await make_staff(name="Priya Shah", team="health_visiting")
    await make_staff(name="Tom Reed", team="health_visiting")
    referral = await make_request(sessions, clock, 2031, "hub")
    await sign_in(dashboard, "priya.shah@nhs.example")
    await act(dashboard, referral.reference, "claim")
    async with desk(sessions, clock, "tom.reed@nhs.example") as tom:
        page = await page_text(tom, f"/dashboard/requests/{referral.reference}")
        assert "Priya Shah holds this request: only they (or an admin) can change it." in page
        page = await act(tom, referral.reference, "contacted")
        assert "Nothing changed: Priya Shah holds this request." in page
        page = await act(tom, referral.reference, "decline", reason="duplicate")
        assert "Nothing changed: Priya Shah holds this request." in page
        page = await act(tom, referral.reference, "urgent", reason=" ")
        assert "Nothing changed: say why this request is urgent." in page
    page = await act(dashboard, referral.reference, "close", outcome="made_up")
    assert "Nothing changed: choose an outcome from the list." in page
    page = await act(dashboard, referral.reference, "message", text="   ")
    assert "Nothing changed: there were no words to send or keep." in page
    async with sessions() as session:
        still = await session.get(Referral, referral.id)
        assert still is not None and still.status is ReferralStatus.CLAIMED


async def test_someone_quicker_to_claim_is_named(
    dashboard: Client, make_staff: MakeStaff, sessions: Sessions, clock: Clock
) -> None:
    await make_staff(name="Priya Shah", team="health_visiting")
    tom = await make_staff(name="Tom Reed", team="health_visiting")
    referral = await make_request(sessions, clock, 2035, "hub")
    await sign_in(dashboard, "priya.shah@nhs.example")
    page = await page_text(dashboard, f"/dashboard/requests/{referral.reference}")
    assert f"/dashboard/requests/{referral.reference}/claim" in page
    async with sessions.begin() as session:  # Tom, in Telegram, a moment earlier
        await referrals.claim(session, referral.id, tom, clock())
    page = await act(dashboard, referral.reference, "claim")
    assert "Someone was quicker: Tom Reed holds this request now." in page


async def test_another_teams_request_is_not_found_and_nothing_changes(
    dashboard: Client, make_staff: MakeStaff, sessions: Sessions, clock: Clock
) -> None:
    await make_staff(name="Bea Jones", team="babs")
    referral = await make_request(sessions, clock, 2041, "hub")
    await sign_in(dashboard, "bea.jones@nhs.example")
    page = await dashboard.get(f"/dashboard/requests/{referral.reference}")
    assert page.status == 404
    assert referral.reference not in await page.text()
    token = await csrf_token(dashboard)
    for action, fields in [
        ("claim", {}),
        ("decline", {"reason": "duplicate"}),
        ("note", {"text": "peek"}),
        ("urgent", {"reason": "why not"}),
    ]:
        response = await dashboard.post(
            f"/dashboard/requests/{referral.reference}/{action}",
            data={**fields, "csrf_token": token},
            allow_redirects=False,
        )
        assert response.status == 404
    unknown = await dashboard.get("/dashboard/requests/GW-AAAAA")
    assert unknown.status == 404
    assert await events_of(sessions, referral.id) == ["created"]
    async with sessions() as session:
        same = await session.get(Referral, referral.id)
        assert same is not None and same.status is ReferralStatus.NEW


async def test_an_admin_sees_and_works_every_teams_requests(
    dashboard: Client, make_staff: MakeStaff, sessions: Sessions, clock: Clock
) -> None:
    await make_staff(name="Ada Admin", team=None, role=StaffRole.ADMIN)
    hub = await make_request(sessions, clock, 2051, "hub")
    babs = await make_request(sessions, clock, 2052, "babs")
    await sign_in(dashboard, "ada.admin@nhs.example")
    page = await page_text(dashboard, "/dashboard/queue")
    assert "Requests for every team" in page
    assert hub.reference in page and babs.reference in page
    page = await act(dashboard, babs.reference, "decline", reason="duplicate")
    assert "Declined:" in page and "The family is told." in page


async def test_the_audit_log_is_for_admins_and_merges_both_logs(
    dashboard: Client, make_staff: MakeStaff, sessions: Sessions, clock: Clock
) -> None:
    await make_staff(name="Priya Shah", team="health_visiting")
    await make_staff(name="Ada Admin", team=None, role=StaffRole.ADMIN)
    referral = await make_request(sessions, clock, 2061, "hub")
    other = await make_request(sessions, clock, 2062, "babs")
    await sign_in(dashboard, "priya.shah@nhs.example")
    await page_text(dashboard, f"/dashboard/requests/{referral.reference}")
    assert (await dashboard.get("/dashboard/audit")).status == 403
    async with desk(sessions, clock, "ada.admin@nhs.example") as admin:
        page = await page_text(admin, "/dashboard/audit")
        assert "<h1>Audit log</h1>" in page
        assert "Opened" in page and "Sign in" in page and "Request made" in page
        assert "Priya Shah" in page and other.reference in page
        one = await page_text(admin, "/dashboard/audit", reference=referral.reference)
        assert referral.reference in one and other.reference not in one
        assert "Sign in" not in one  # dashboard events belong to no request
        async with sessions() as session:
            from domain.referral_queries import staff_choices

            ids = {name: staff_id for staff_id, name in await staff_choices(session)}
        priya = await page_text(admin, "/dashboard/audit", staff=str(ids["Priya Shah"]))
        assert "Opened" in priya and "Request made" not in priya


async def test_every_route_needs_a_session_and_every_form_a_csrf_token(
    dashboard: Client, make_staff: MakeStaff, sessions: Sessions, clock: Clock
) -> None:
    await make_staff(name="Priya Shah", team="health_visiting")
    referral = await make_request(sessions, clock, 2071, "hub")
    for path in (
        "/dashboard/queue",
        f"/dashboard/requests/{referral.reference}",
        "/dashboard/audit",
    ):
        response = await dashboard.get(path, allow_redirects=False)
        assert response.status == 303 and response.headers["Location"].startswith(
            "/dashboard/login"
        )
    stream = await dashboard.get(
        "/dashboard/queue/events", headers={"Accept": "text/event-stream"}
    )
    assert stream.status == 401
    token = await csrf_token(dashboard)  # an anonymous session's token is no key
    anonymous = await dashboard.post(
        f"/dashboard/requests/{referral.reference}/claim",
        data={"csrf_token": token},
        allow_redirects=False,
    )
    assert anonymous.status in (401, 403)
    await sign_in(dashboard, "priya.shah@nhs.example")
    forged = await dashboard.post(
        f"/dashboard/requests/{referral.reference}/claim", data={}, allow_redirects=False
    )
    assert forged.status == 403
    wrong = await dashboard.post(
        f"/dashboard/requests/{referral.reference}/claim",
        data={"csrf_token": "not-the-token"},
        allow_redirects=False,
    )
    assert wrong.status == 403
    assert await events_of(sessions, referral.id) == ["created"]


async def read_event(response: aiohttp.ClientResponse, within: float = 10) -> dict[str, str]:
    """The next event of an SSE stream (comments and the retry line skipped)."""

    async def next_event() -> dict[str, str]:
        while True:
            block = await response.content.readuntil(b"\n\n")
            fields = {}
            for line in block.decode().splitlines():
                if line and not line.startswith(":") and ":" in line:
                    name, _, value = line.partition(":")
                    fields[name] = value.strip()
            if "event" in fields:
                return fields

    return await asyncio.wait_for(next_event(), within)


async def test_the_queue_stream_tells_of_a_new_request(
    dashboard: Client, make_staff: MakeStaff, sessions: Sessions, clock: Clock
) -> None:
    await make_staff(name="Priya Shah", team="health_visiting")
    await make_request(sessions, clock, 2081, "hub")
    await sign_in(dashboard, "priya.shah@nhs.example")
    page = await page_text(dashboard, "/dashboard/queue")
    found = _SIGNATURE.search(page)
    assert found is not None
    stream = await dashboard.get(
        "/dashboard/queue/events",
        params={"since": found.group(1)},
        headers={"Accept": "text/event-stream"},
    )
    assert stream.status == 200
    assert stream.headers["Content-Type"].startswith("text/event-stream")
    new = await make_request(sessions, clock, 2082, "safe_sleep")
    event = await read_event(stream)
    assert event["event"] == "queue" and json.loads(event["data"]) == {"new": 1}
    fragment = await page_text(dashboard, "/dashboard/queue", fragment="1")
    assert new.reference in fragment
    stream.close()


async def _sign_in_raw(session: aiohttp.ClientSession, base: str, email: str) -> None:
    login = await (await session.get(f"{base}/dashboard/login")).text()
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', login)
    assert token is not None
    response = await session.post(
        f"{base}/dashboard/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)},
        allow_redirects=False,
    )
    assert response.status == 303


class StreamEnds(logging.Handler):
    """Hears the stream's "ended" line, so a test can wait for it instead of polling."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.ended = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "ended" in record.getMessage():
            self.ended.set()


async def test_a_stream_ends_when_the_member_leaves_and_never_holds_up_shutdown(
    make_staff: MakeStaff, sessions: Sessions, clock: Clock
) -> None:
    """As the bot serves it (start_web: a handler is not cancelled when its client goes), a
    stream notices the member left, and shutting down ends open streams at once."""
    await make_staff(name="Priya Shah", team="health_visiting")
    logger = logging.getLogger("dashboard.queue_stream")
    ends = StreamEnds()
    logger.addHandler(ends)
    logger.setLevel(logging.DEBUG)
    runner = await start_web(web_app(sessions, clock), "127.0.0.1", 0)
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
            await _sign_in_raw(browser, base, "priya.shah@nhs.example")
            left = await browser.get(f"{base}/dashboard/queue/events")
            assert left.status == 200
            await left.content.readuntil(b"\n\n")  # the retry line: the stream is running
            left.close()
            await asyncio.wait_for(ends.ended.wait(), 10)

            ends.ended.clear()
            staying = await browser.get(f"{base}/dashboard/queue/events")
            await staying.content.readuntil(b"\n\n")
            started = time.monotonic()
            await asyncio.wait_for(runner.cleanup(), 10)
            assert time.monotonic() - started < 5  # not aiohttp's 60 s wait for handlers
            assert ends.ended.is_set()
    finally:
        logger.removeHandler(ends)
        logger.setLevel(logging.NOTSET)
        await runner.cleanup()


async def test_a_reconnecting_browser_hears_only_of_what_it_missed(
    dashboard: Client, make_staff: MakeStaff, sessions: Sessions, clock: Clock
) -> None:
    await make_staff(name="Priya Shah", team="health_visiting")
    await make_request(sessions, clock, 2091, "hub")
    await sign_in(dashboard, "priya.shah@nhs.example")
    found = _SIGNATURE.search(await page_text(dashboard, "/dashboard/queue"))
    assert found is not None
    # Made while the browser was away: the stream says so as soon as it is back.
    await make_request(sessions, clock, 2092, "hub")
    headers = {"Accept": "text/event-stream", "Last-Event-ID": found.group(1)}
    stream = await dashboard.get("/dashboard/queue/events", headers=headers)
    event = await read_event(stream)
    assert json.loads(event["data"]) == {"new": 1}
    stream.close()
    # Back again with that event's id: nothing new, so nothing is said.
    headers["Last-Event-ID"] = event["id"]
    again = await dashboard.get("/dashboard/queue/events", headers=headers)
    with pytest.raises(TimeoutError):
        await read_event(again, within=3)
    again.close()


async def test_a_request_is_handed_over_to_a_colleague(
    dashboard: Client, make_staff: MakeStaff, sessions: Sessions, clock: Clock
) -> None:
    """Priya hands a new request to Tom (claimed for him; the family is told, as after a
    claim), Tom hands it back; nobody outside the team can be chosen, and only the holder
    (or an admin) may hand over a held request."""
    priya = await make_staff(name="Priya Shah", team="health_visiting")
    tom = await make_staff(name="Tom Reed", team="health_visiting")
    babs = await make_staff(name="Bea Cole", team="babs")
    await make_staff(name="Ada Admin", team=None, role=StaffRole.ADMIN)
    referral = await make_request(sessions, clock, 2051, "hub")
    await sign_in(dashboard, "priya.shah@nhs.example")
    page = await page_text(dashboard, f"/dashboard/requests/{referral.reference}")
    choices = re.findall(r'<option value="(\d+)">([^<]+)</option>', page.split("assign-to")[2])
    names = [name for _, name in choices]
    assert names == ["Ada Admin", "Priya Shah", "Tom Reed"]  # not Bea, of another team

    page = await act(dashboard, referral.reference, "assign", to=str(babs.id))
    assert "Nothing changed: choose a colleague who works this team" in page
    page = await act(dashboard, referral.reference, "assign", to=str(tom.id))
    assert "Handed over: your colleague holds this request now" in page
    assert "Claimed</strong>: to Tom Reed" in page
    async with sessions() as session:
        held = await session.get(Referral, referral.id)
        assert held is not None
        assert (held.status, held.assigned_staff_id) == (ReferralStatus.CLAIMED, tom.id)
        notices = await session.scalars(
            select(Delivery.entry_key).where(Delivery.referral_event_id.is_not(None))
        )
        assert len(list(notices)) == 1  # "now with a member of the team", once

    # Held by Tom now: Priya may not move it, Tom may.
    page = await act(dashboard, referral.reference, "assign", to=str(priya.id))
    assert "Nothing changed: Tom Reed holds this request." in page
    async with desk(sessions, clock, "tom.reed@nhs.example") as desk_of_tom:
        page = await act(desk_of_tom, referral.reference, "assign", to=str(priya.id))
        assert "Handed over</strong>: to Priya Shah" in page
    async with sessions() as session:
        held = await session.get(Referral, referral.id)
        assert held is not None and held.assigned_staff_id == priya.id
        notices = await session.scalars(
            select(Delivery.entry_key).where(Delivery.referral_event_id.is_not(None))
        )
        assert len(list(notices)) == 1  # a hand-over between staff is not the family's news
    kinds = [kind for kind in await events_of(sessions, referral.id) if kind != "viewed"]
    assert kinds == ["created", "refused", "claimed", "refused", "assigned"]
