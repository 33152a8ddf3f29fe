"""`growwell partner add | list | disable`: partner agencies' keys to the referral API.

Each command brings the database up to date first (as `growwell db upgrade` does), so it works
on a fresh install. A key is printed once and never stored in the clear: give it to the
partner's technical contact by a secure route; if it is lost, disable it and add another.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from typing import Any

from config.settings import Settings
from domain import partners
from resources.spokes import SpokeFileError, load_spokes
from store.engine import DATABASE_FAULTS, create_engine, database_fault, session_factory
from store.migrate import upgrade


def add_partner_parser(commands: Any) -> None:
    """The `partner` sub-commands, on `growwell`'s sub-parsers."""
    parser = commands.add_parser("partner", help="partner agencies' keys to the referral API")
    actions = parser.add_subparsers(dest="partner_action", required=True)
    add = actions.add_parser("add", help="create a key and print it once")
    add.add_argument("--name", required=True, help="the agency, e.g. police")
    add.add_argument(
        "--spokes",
        required=True,
        help="the spokes it may refer into, comma-separated (resources/spokes.yaml), "
        "e.g. safe_sleep",
    )
    actions.add_parser("list", help="every key, enabled or not (never the key itself)")
    disable = actions.add_parser("disable", help="stop a key working, at once")
    disable.add_argument("id", type=int)


def run_partner(args: argparse.Namespace, settings: Settings) -> int:
    """Run one partner command; 0 on success, 2 with one line on stderr otherwise."""
    try:
        known = [spoke.id for spoke in load_spokes().spokes]
    except SpokeFileError as error:
        print(f"growwell: {error}", file=sys.stderr)
        return 2
    try:
        asyncio.run(upgrade(settings.database_url))
        return asyncio.run(_run(args, settings.database_url, known))
    except partners.PartnerError as error:
        print(f"growwell: {error}", file=sys.stderr)
        return 2
    except DATABASE_FAULTS as error:
        print(f"growwell: {database_fault(error, settings.database_url)}", file=sys.stderr)
        return 2


async def _run(args: argparse.Namespace, database_url: str, known: list[str]) -> int:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    try:
        async with sessions.begin() as session:
            if args.partner_action == "add":
                spokes = [spoke.strip() for spoke in args.spokes.split(",") if spoke.strip()]
                created = await partners.create_key(
                    session,
                    partner=args.name,
                    spokes=spokes,
                    known_spokes=known,
                    now=datetime.now(UTC),
                )
                key = created.key
                print(f"partner key {key.id} added: {key.partner} ({', '.join(key.spokes)})")
                print(f"key (shown only now): {created.secret}")
                print("the partner sends it as: Authorization: Bearer <key>")
            elif args.partner_action == "disable":
                if not await partners.disable_key(session, args.id):
                    raise partners.PartnerError(f"no partner key with id {args.id}")
                print(f"partner key {args.id} disabled")
            else:
                for key in await partners.list_keys(session):
                    state = "disabled" if key.disabled else "enabled"
                    created_on = key.created_at.date().isoformat()
                    print(
                        f"{key.id}\t{key.partner}\t{','.join(key.spokes)}\t"
                        f"{key.prefix}\t{created_on}\t{state}"
                    )
    finally:
        await engine.dispose()
    return 0
