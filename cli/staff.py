"""`growwell staff add | list | disable | code | password`: staff accounts for the Telegram
queue and the web dashboard.

Each command brings the database up to date first (as `growwell db upgrade` does), so it works
on a fresh install. A one-time link code is printed once and never stored in the clear: the
member sends `/staff <code>` to the bot in a private chat within 24 hours. With an e-mail, a
one-time link to choose a dashboard password is printed too (also valid 24 hours).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from typing import Any

from config.settings import Settings
from domain import staff as accounts
from resources.spokes import SpokeFileError, load_spokes
from store.engine import DATABASE_FAULTS, create_engine, database_fault, session_factory
from store.migrate import upgrade
from store.models import StaffRole


def add_staff_parser(commands: Any) -> None:
    """The `staff` sub-commands, on `growwell`'s sub-parsers."""
    parser = commands.add_parser("staff", help="staff accounts: the Telegram queue, the dashboard")
    actions = parser.add_subparsers(dest="staff_action", required=True)
    add = actions.add_parser("add", help="create an account and print its one-time link code")
    add.add_argument("--name", required=True)
    add.add_argument("--team", help="a team id from resources/spokes.yaml (admins may omit it)")
    add.add_argument("--role", choices=[role.value for role in StaffRole], default="staff")
    add.add_argument("--email", help="their sign-in for the web dashboard (prints a link)")
    actions.add_parser("list", help="every account, linked or not")
    disable = actions.add_parser("disable", help="stop an account acting, at once")
    disable.add_argument("id", type=int)
    code = actions.add_parser("code", help="a new one-time link code for an account")
    code.add_argument("id", type=int)
    password = actions.add_parser(
        "password", help="a one-time link to choose a dashboard password (ends their sessions)"
    )
    password.add_argument("id", type=int)
    password.add_argument("--email", help="set or change their sign-in e-mail first")


def run_staff(args: argparse.Namespace, settings: Settings) -> int:
    """Run one staff command; 0 on success, 2 with one line on stderr otherwise."""
    # Here, not at the top: `growwell run` imports this module for its parser, and the bot
    # has no use for argon2 (bench/memory.py).
    from domain import web_accounts

    try:
        teams = load_spokes().teams
    except SpokeFileError as error:
        print(f"growwell: {error}", file=sys.stderr)
        return 2
    try:
        asyncio.run(upgrade(settings.database_url))
        return asyncio.run(_run(args, settings, set(teams)))
    except (accounts.StaffError, web_accounts.AccountError) as error:
        print(f"growwell: {error}", file=sys.stderr)
        return 2
    except DATABASE_FAULTS as error:
        print(f"growwell: {database_fault(error, settings.database_url)}", file=sys.stderr)
        return 2


async def _run(args: argparse.Namespace, settings: Settings, teams: set[str]) -> int:
    from domain import web_accounts

    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    try:
        async with sessions.begin() as session:
            if args.staff_action == "add":
                created = await accounts.create_staff(
                    session,
                    name=args.name,
                    team_id=args.team,
                    role=StaffRole(args.role),
                    teams=teams,
                    now=now,
                )
                member = created.member
                print(f"staff member {member.id} added: {member.name}")
                print(f"one-time code (valid 24 hours, shown only now): {created.code}")
                print(f"they send this to the bot in a private chat: /staff {created.code}")
                if args.email:
                    await web_accounts.set_email(session, member.id, args.email)
                    token = await web_accounts.new_password_token(session, member.id, now)
                    _print_password_link(settings, token)
            elif args.staff_action == "password":
                if args.email:
                    await web_accounts.set_email(session, args.id, args.email)
                token = await web_accounts.new_password_token(session, args.id, now)
                _print_password_link(settings, token)
            elif args.staff_action == "code":
                code = await accounts.renew_link_code(session, args.id, now)
                print(f"one-time code (valid 24 hours, shown only now): {code}")
                print(f"they send this to the bot in a private chat: /staff {code}")
            elif args.staff_action == "disable":
                if not await accounts.disable_staff(session, args.id):
                    raise accounts.StaffError(f"no staff member with id {args.id}")
                print(f"staff member {args.id} disabled")
            else:
                for member in await accounts.list_staff(session):
                    linked = "linked" if member.telegram_user_id is not None else "not linked"
                    state = "enabled" if member.enabled else "disabled"
                    team = member.team_id or "all teams"
                    email = member.email or "no e-mail"
                    print(
                        f"{member.id}\t{member.name}\t{member.role.value}\t{team}\t"
                        f"{email}\t{linked}\t{state}"
                    )
    finally:
        await engine.dispose()
    return 0


def _print_password_link(settings: Settings, token: str) -> None:
    print("dashboard password link (valid 24 hours, works once, shown only now):")
    print(f"  {settings.dashboard_url}/password/{token}")
