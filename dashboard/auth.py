"""Who may use the dashboard: sign-in, sign-out, the set-password page, and the middlewares
that hold every other route behind a session and every form behind a CSRF token.

Pages answer a visitor who is not signed in with a redirect to the sign-in page; anything
else (a form post, the live-update stream) with 401. A member of staff who is disabled, or
whose password changed, is signed out at their next request.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from aiohttp import web
from aiohttp_session import get_session, new_session
from yarl import URL

from api.app_keys import CLOCK, SESSIONS
from dashboard import sessions as cookie
from dashboard.keys import CSRF, POLICY, PREFIX, STAFF
from dashboard.render import render
from domain import audit, web_accounts
from store.models import StaffMember, StaffRole

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Routes anyone may reach: the forms that let a member in.
PUBLIC_ROUTES = frozenset({"login", "login_post", "password", "password_post", "static"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_FIELD_CHARS = 1000


def current_staff(request: web.Request) -> StaffMember:
    """The signed-in member (the middleware has checked the session against the database)."""
    return request[STAFF]


def require_admin(request: web.Request) -> StaffMember:
    staff = current_staff(request)
    if staff.role is not StaffRole.ADMIN:
        raise web.HTTPForbidden()
    return staff


def _route_name(request: web.Request) -> str | None:
    route = request.match_info.route
    return route.name if route.resource is not None else None


def _automatic(request: web.Request) -> bool:
    """A request the page makes by itself (the queue's live refresh, its event stream): it
    does not count as use, so an unattended page is still signed out after an idle hour."""
    accept = request.headers.get("Accept", "")
    return request.headers.get("X-Automatic") == "1" or "text/event-stream" in accept


def _wants_page(request: web.Request) -> bool:
    return request.method in SAFE_METHODS and "text/event-stream" not in request.headers.get(
        "Accept", ""
    )


@web.middleware
async def signed_in(request: web.Request, handler: Handler) -> web.StreamResponse:
    session = await get_session(request)
    request[CSRF] = cookie.csrf_token(session)
    if _route_name(request) in PUBLIC_ROUTES:
        return await handler(request)
    holder = cookie.holder(session, request.app[POLICY], touch=not _automatic(request))
    member = None
    if holder is not None:
        async with request.config_dict[SESSIONS]() as db:
            member = await web_accounts.session_member(db, holder.staff_id, holder.session_version)
        if member is None:  # disabled, or the password changed: this session is over
            session.invalidate()
            request[CSRF] = cookie.csrf_token(session)
    if member is None:
        if _wants_page(request):
            login = request.app.router["login"].url_for()
            if request.path_qs != str(request.app.router["home"].url_for()):
                login = login.with_query(next=request.path_qs)
            raise web.HTTPSeeOther(login)
        raise web.HTTPUnauthorized(text="Sign in to the dashboard first.")
    request[STAFF] = member
    return await handler(request)


@web.middleware
async def csrf_checked(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every request that changes something carries the session's token, in the form field
    `csrf_token` or the X-CSRF-Token header."""
    if request.method not in SAFE_METHODS:
        sent = request.headers.get("X-CSRF-Token")
        if sent is None and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            field = (await request.post()).get("csrf_token")
            sent = field if isinstance(field, str) else None
        expected = request.get(CSRF, "")
        if not sent or not expected or not hmac.compare_digest(sent, expected):
            raise web.HTTPForbidden(
                text="This form has expired. Go back, reload the page and try again."
            )
    return await handler(request)


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """403, 404 and faults as pages in the dashboard's own look, saying what to do next."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status not in (400, 403, 404, 405) or not _wants_page(request):
            raise
        return render(
            request,
            "error.html",
            {"status": error.status, "reason": error.reason, "message": error.text},
            status=error.status,
        )
    except Exception:
        # The route's name, not the path: a password link's path is a live token.
        log.exception("dashboard: %s %s failed", request.method, _route_name(request))
        return render(
            request,
            "error.html",
            {"status": 500, "reason": "Server error", "message": None},
            status=500,
        )


def _safe_next(request: web.Request, value: str | None) -> str:
    """Where to go after signing in: only a page of this dashboard (no open redirect)."""
    prefix = request.app[PREFIX]
    if value and value.startswith(prefix + "/") and not value.startswith("//"):
        target = URL(value)
        if not target.is_absolute() and "\\" not in value:
            return value
    return str(request.app.router["home"].url_for())


def _field(form: Mapping[str, object], name: str) -> str:
    value = form.get(name)
    return value[:MAX_FIELD_CHARS] if isinstance(value, str) else ""


async def login_page(request: web.Request) -> web.Response:
    return render(
        request,
        "login.html",
        {"next": _safe_next(request, request.query.get("next")), "email": "", "error": None,
         "notice": _LOGIN_NOTICES.get(request.query.get("done", ""))},
    )  # fmt: skip


_LOGIN_NOTICES = {
    "out": "You have signed out.",
    "password": "Your password is set. Sign in with it now.",
}


def _refusal_text(refused: web_accounts.Refused) -> str:
    """One answer for a wrong e-mail, a wrong password and a locked account, so the page
    never tells a stranger which e-mails have accounts; the audit log says which it was."""
    if refused.reason is web_accounts.SignInRefused.DISABLED:
        return "This account is switched off. Ask an admin if you need it again."
    return (
        "That e-mail and password did not work. Check them and try again. After 5 wrong "
        "tries an account is locked for 15 minutes; an admin can send you a new password link."
    )


async def login(request: web.Request) -> web.Response:
    form = await request.post()
    email, password = _field(form, "email"), _field(form, "password")
    target = _safe_next(request, _field(form, "next"))
    now: datetime = request.config_dict[CLOCK]()
    result = await web_accounts.sign_in(request.config_dict[SESSIONS], email, password, now)
    async with request.config_dict[SESSIONS].begin() as db:
        if isinstance(result, web_accounts.Refused):
            audit.record(
                db,
                staff_id=result.staff_id,
                action="sign_in_refused",
                now=now,
                detail={"reason": result.reason.value},
            )
        else:
            audit.record(db, staff_id=result.member.id, action="sign_in", now=now)
    if isinstance(result, web_accounts.Refused):
        context = {
            "next": target,
            "email": email,
            "error": _refusal_text(result),
            "notice": None,
        }
        return render(request, "login.html", context, status=401)
    session = await new_session(request)  # a new cookie: no session fixation
    cookie.begin(session, result.member.id, result.member.session_version, request.app[POLICY])
    raise web.HTTPSeeOther(target)


async def logout(request: web.Request) -> web.Response:
    staff = current_staff(request)
    now = request.config_dict[CLOCK]()
    async with request.config_dict[SESSIONS].begin() as db:
        await web_accounts.end_sessions(db, staff.id)
        audit.record(db, staff_id=staff.id, action="sign_out", now=now)
    (await get_session(request)).invalidate()
    raise web.HTTPSeeOther(request.app.router["login"].url_for().with_query(done="out"))


async def password_page(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    async with request.config_dict[SESSIONS]() as db:
        member = await web_accounts.member_for_token(db, token, request.config_dict[CLOCK]())
    if member is None:
        return render(request, "password.html", {"member": None}, status=404)
    return render(request, "password.html", {"member": member, "error": None})


async def set_password(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    form = await request.post()
    password, again = _field(form, "password"), _field(form, "again")
    now = request.config_dict[CLOCK]()
    async with request.config_dict[SESSIONS].begin() as db:
        member = await web_accounts.member_for_token(db, token, now)
        if member is None:
            return render(request, "password.html", {"member": None}, status=404)
        error = web_accounts.password_problem(password)
        if error is None and password != again:
            error = "The two passwords are not the same. Type them again."
        if error is None:
            changed = await web_accounts.set_password_with_token(db, token, password, now)
            if changed is not None:
                audit.record(db, staff_id=changed.id, action="password_set", now=now)
            else:
                error = "This link was used already. Ask an admin for a new one."
    if error is not None:
        return render(request, "password.html", {"member": member, "error": error}, status=422)
    raise web.HTTPSeeOther(request.app.router["login"].url_for().with_query(done="password"))


async def home(request: web.Request) -> web.Response:
    raise web.HTTPSeeOther(request.app.router["queue"].url_for())


async def account(request: web.Request) -> web.Response:
    return render(request, "account.html", {"member": current_staff(request)})


def add_auth_routes(app: web.Application) -> None:
    app.router.add_get("/", home, name="home")
    app.router.add_get("/login", login_page, name="login")
    app.router.add_post("/login", login, name="login_post")
    app.router.add_post("/logout", logout, name="logout")
    app.router.add_get("/password/{token}", password_page, name="password")
    app.router.add_post("/password/{token}", set_password, name="password_post")
    app.router.add_get("/account", account, name="account")
