"""Signing in to the dashboard: sessions, CSRF, lock-out, disabled accounts, password links,
and that every route but the sign-in forms needs a session."""

from __future__ import annotations

import asyncio
import re

import time_machine
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from dashboard.app import new_secret_key
from dashboard.sessions import IDLE_LIMIT_SECONDS
from domain import staff as accounts
from domain import web_accounts
from store.models import AuditEvent, StaffRole
from tests.conftest import Clock
from tests.dashboard.conftest import (
    PASSWORD,
    Client,
    MakeStaff,
    Sessions,
    csrf_token,
    post_form,
    sign_in,
    web_app,
)


async def _audit(sessions: Sessions) -> list[tuple[int | None, str, dict[str, object]]]:
    async with sessions() as session:
        rows = await session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        return [(row.staff_id, row.action, row.detail) for row in rows]


async def test_sign_in_and_out(
    dashboard: Client, make_staff: MakeStaff, sessions: Sessions
) -> None:
    member = await make_staff(email="Priya.Shah@NHS.example")
    page = await dashboard.get("/dashboard/queue")
    assert str(page.url.path) == "/dashboard/login"
    assert page.url.query["next"] == "/dashboard/queue"

    response = await sign_in(dashboard, "  priya.shah@nhs.example ", PASSWORD)
    assert response.status == 303
    assert response.headers["Location"] == "/dashboard/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=28800" in cookie
    account = await dashboard.get("/dashboard/account")
    assert account.status == 200
    body = await account.text()
    assert "Priya Shah" in body and "priya.shah@nhs.example" in body
    assert account.headers["Content-Security-Policy"].startswith("default-src 'self'")

    out = await post_form(dashboard, "/dashboard/logout", {})
    assert out.status == 303
    assert "You have signed out." in await (await dashboard.get(out.headers["Location"])).text()
    after = await dashboard.get("/dashboard/account")
    assert str(after.url.path) == "/dashboard/login"
    assert [action for _, action, _ in await _audit(sessions)] == ["sign_in", "sign_out"]
    assert {staff_id for staff_id, _, _ in await _audit(sessions)} == {member.id}


async def test_sign_in_goes_back_to_the_page_asked_for_but_never_off_site(
    dashboard: Client, make_staff: MakeStaff
) -> None:
    await make_staff(email="a@nhs.example")
    token = await csrf_token(dashboard)
    for asked, landed in [
        ("/dashboard/account", "/dashboard/account"),
        ("https://evil.example/dashboard/", "/dashboard/"),
        ("//evil.example/dashboard/", "/dashboard/"),
        ("/dashboard/\\evil", "/dashboard/"),
    ]:
        response = await dashboard.post(
            "/dashboard/login",
            data={"email": "a@nhs.example", "password": PASSWORD, "next": asked,
                  "csrf_token": token},
            allow_redirects=False,
        )  # fmt: skip
        assert response.status == 303
        assert response.headers["Location"] == landed
        token = await csrf_token(dashboard)


async def test_a_wrong_password_or_unknown_email_gets_one_answer(
    dashboard: Client, make_staff: MakeStaff, sessions: Sessions
) -> None:
    member = await make_staff(email="a@nhs.example")
    wrong = await sign_in(dashboard, "a@nhs.example", "not the password at all")
    unknown = await sign_in(dashboard, "nobody@nhs.example", PASSWORD)
    assert wrong.status == unknown.status == 401
    message = "That e-mail and password did not work."
    assert message in await wrong.text() and message in await unknown.text()
    assert (await dashboard.get("/dashboard/account")).url.path == "/dashboard/login"
    assert await _audit(sessions) == [
        (member.id, "sign_in_refused", {"reason": "wrong"}),
        (None, "sign_in_refused", {"reason": "wrong"}),
    ]


async def test_five_wrong_passwords_lock_the_account_for_15_minutes(
    dashboard: Client, make_staff: MakeStaff, clock: Clock, sessions: Sessions
) -> None:
    member = await make_staff(email="a@nhs.example")
    for _ in range(web_accounts.MAX_FAILED_LOGINS):
        assert (await sign_in(dashboard, "a@nhs.example", "wrong password!")).status == 401
    # Even the right password is refused while it is locked, in the same words as a wrong
    # one: the page never says which e-mails have an account.
    right = await sign_in(dashboard, "a@nhs.example", PASSWORD)
    assert right.status == 401
    assert "That e-mail and password did not work." in await right.text()
    reasons = [detail["reason"] for _, _, detail in await _audit(sessions)]
    assert reasons == ["wrong"] * 4 + ["locked", "locked"]
    clock.advance(minutes=14, seconds=59)
    assert (await sign_in(dashboard, "a@nhs.example", PASSWORD)).status == 401
    clock.advance(seconds=2)
    assert (await sign_in(dashboard, "a@nhs.example", PASSWORD)).status == 303
    assert {staff_id for staff_id, _, _ in await _audit(sessions)} == {member.id}


async def test_many_tries_at_once_check_five_passwords_at_most(
    dashboard: Client, make_staff: MakeStaff, sessions: Sessions
) -> None:
    """Guesses sent in parallel cannot slip past the lock-out: each try is counted before its
    password is checked."""
    await make_staff(email="a@nhs.example")
    token = await csrf_token(dashboard)
    guesses = [
        dashboard.post(
            "/dashboard/login",
            data={"email": "a@nhs.example", "password": f"guess {n}", "csrf_token": token},
            allow_redirects=False,
        )
        for n in range(20)
    ]
    answers = await asyncio.gather(*guesses)
    assert {answer.status for answer in answers} == {401}
    reasons = [detail["reason"] for _, _, detail in await _audit(sessions)]
    # At most five passwords were checked (each "wrong"); every other try was refused unchecked.
    assert reasons.count("wrong") <= web_accounts.MAX_FAILED_LOGINS
    assert reasons.count("wrong") + reasons.count("locked") == 20
    assert (await sign_in(dashboard, "a@nhs.example", PASSWORD)).status == 401


async def test_signing_out_ends_a_copy_of_the_cookie_too(
    sessions: Sessions, clock: Clock, make_staff: MakeStaff
) -> None:
    await make_staff(email="a@nhs.example")
    key = new_secret_key()  # one service: both clients' requests reach the same dashboard
    async with (
        TestClient(TestServer(web_app(sessions, clock, key))) as desk,
        TestClient(TestServer(web_app(sessions, clock, key))) as thief,
    ):
        assert (await sign_in(desk, "a@nhs.example")).status == 303
        cookies = desk.session.cookie_jar.filter_cookies(desk.make_url("/dashboard/"))
        for name, morsel in cookies.items():
            thief.session.cookie_jar.update_cookies(
                {name: morsel.value}, thief.make_url("/dashboard/")
            )
        assert (await thief.get("/dashboard/account")).url.path == "/dashboard/account"
        assert (await post_form(desk, "/dashboard/logout", {})).status == 303
        assert (await thief.get("/dashboard/account")).url.path == "/dashboard/login"


async def test_a_post_without_the_csrf_token_is_refused(
    dashboard: Client, make_staff: MakeStaff, sessions: Sessions
) -> None:
    await make_staff(email="a@nhs.example")
    no_token = await dashboard.post(
        "/dashboard/login", data={"email": "a@nhs.example", "password": PASSWORD},
        allow_redirects=False,
    )  # fmt: skip
    assert no_token.status == 403
    assert await _audit(sessions) == []  # the sign-in was never tried
    assert (await sign_in(dashboard, "a@nhs.example")).status == 303
    forged = await dashboard.post(
        "/dashboard/logout", data={"csrf_token": "forged"}, allow_redirects=False
    )
    assert forged.status == 403
    header = await dashboard.post(
        "/dashboard/logout", headers={"X-CSRF-Token": await csrf_token(dashboard)},
        allow_redirects=False,
    )  # fmt: skip
    assert header.status == 303


async def test_a_disabled_account_is_signed_out_at_its_next_request(
    dashboard: Client, make_staff: MakeStaff, sessions: Sessions
) -> None:
    member = await make_staff(email="a@nhs.example")
    assert (await sign_in(dashboard, "a@nhs.example")).status == 303
    assert (await dashboard.get("/dashboard/account")).url.path == "/dashboard/account"
    async with sessions.begin() as session:
        assert await accounts.disable_staff(session, member.id)
    page = await dashboard.get("/dashboard/account")
    assert page.url.path == "/dashboard/login"
    refused = await sign_in(dashboard, "a@nhs.example")
    assert refused.status == 401
    assert "This account is switched off." in await refused.text()


async def test_a_new_password_ends_other_sessions(
    sessions: Sessions, clock: Clock, make_staff: MakeStaff
) -> None:
    member = await make_staff(email="a@nhs.example")
    async with (
        TestClient(TestServer(web_app(sessions, clock))) as desk,
        TestClient(TestServer(web_app(sessions, clock))) as phone,
    ):
        assert (await sign_in(desk, "a@nhs.example")).status == 303
        async with sessions.begin() as session:
            token = await web_accounts.new_password_token(session, member.id, clock())
        response = await phone.post(
            f"/dashboard/password/{token}",
            data={"password": "a new long password", "again": "a new long password",
                  "csrf_token": await csrf_token(phone)},
            allow_redirects=False,
        )  # fmt: skip
        assert response.status == 303
        assert (await desk.get("/dashboard/account")).url.path == "/dashboard/login"
        assert (await sign_in(desk, "a@nhs.example", PASSWORD)).status == 401
        assert (await sign_in(desk, "a@nhs.example", "a new long password")).status == 303


async def test_a_password_link_works_once_and_checks_the_password(
    dashboard: Client, make_staff: MakeStaff, sessions: Sessions, clock: Clock
) -> None:
    member = await make_staff(email="a@nhs.example")
    async with sessions.begin() as session:
        token = await web_accounts.new_password_token(session, member.id, clock())
    page = await dashboard.get(f"/dashboard/password/{token}")
    assert page.status == 200 and "a@nhs.example" in await page.text()

    async def choose(password: str, again: str) -> tuple[int, str]:
        response = await post_form(
            dashboard, f"/dashboard/password/{token}", {"password": password, "again": again}
        )
        return response.status, await response.text()

    status, text = await choose("short", "short")
    assert status == 422 and "Use at least 12 characters." in text
    status, text = await choose("a long enough password", "a long enough passwort")
    assert status == 422 and "The two passwords are not the same." in text
    status, _ = await choose("a long enough password", "a long enough password")
    assert status == 303
    again = await dashboard.get(f"/dashboard/password/{token}")
    assert again.status == 404 and "This link does not work" in await again.text()
    assert (await sign_in(dashboard, "a@nhs.example", "a long enough password")).status == 303


async def test_a_password_link_runs_out_after_24_hours(
    dashboard: Client, make_staff: MakeStaff, sessions: Sessions, clock: Clock
) -> None:
    member = await make_staff(email="a@nhs.example")
    async with sessions.begin() as session:
        token = await web_accounts.new_password_token(session, member.id, clock())
    clock.advance(hours=24)
    assert (await dashboard.get(f"/dashboard/password/{token}")).status == 404


async def test_a_session_ends_after_an_idle_hour_and_after_its_lifetime(
    dashboard: Client, make_staff: MakeStaff
) -> None:
    await make_staff(email="a@nhs.example")
    with time_machine.travel(1_800_000_000, tick=False) as traveller:
        assert (await sign_in(dashboard, "a@nhs.example")).status == 303
        for _ in range(9):  # used every 50 minutes: still signed in at 7 h 30
            traveller.shift(50 * 60)
            page = await dashboard.get("/dashboard/account")
            assert page.url.path == "/dashboard/account"
        traveller.shift(31 * 60)  # 8 h 1 min after signing in
        assert (await dashboard.get("/dashboard/account")).url.path == "/dashboard/login"
        assert (await sign_in(dashboard, "a@nhs.example")).status == 303
        traveller.shift(IDLE_LIMIT_SECONDS + 1)
        assert (await dashboard.get("/dashboard/account")).url.path == "/dashboard/login"


async def test_every_route_but_the_sign_in_forms_needs_a_session(dashboard: Client) -> None:
    """Walk the dashboard's own router: a page sends a visitor to sign in; a post or the
    live stream answers 401; nothing else is shown."""
    app = dashboard.app
    assert app is not None
    dashboard_app = next(
        resource._app  # type: ignore[attr-defined]
        for resource in app.router.resources()
        if isinstance(resource, web.PrefixedSubAppResource)
    )
    public = {"login", "login_post", "password", "password_post", "static"}
    checked = 0
    for route in dashboard_app.router.routes():
        resource = route.resource
        if resource is None or resource.name in public or route.method == "HEAD":
            continue
        info = resource.get_info()
        path = info.get("path") or re.sub(r"\{[^}]+\}", "GW-TEST1", info["formatter"])
        url = "/dashboard" + path if path != "/" else "/dashboard/"
        response = await dashboard.request(route.method, url, allow_redirects=False)
        if route.method == "GET":
            assert response.status == 303, (route.method, url, response.status)
            assert response.headers["Location"].startswith("/dashboard/login"), url
        else:
            assert response.status in (401, 403), (route.method, url, response.status)
        checked += 1
    assert checked >= 3


async def test_staff_cannot_open_admin_only_pages(
    dashboard: Client, make_staff: MakeStaff
) -> None:
    await make_staff(email="a@nhs.example", role=StaffRole.STAFF)
    assert (await sign_in(dashboard, "a@nhs.example")).status == 303
    nothing = await dashboard.get("/dashboard/no-such-page")
    assert nothing.status == 404
    assert "Not found" in await nothing.text()
