"""The `growwell` command: run the bot (or, with no token, the sandbox), migrate the database,
keep the catalogs up to date."""

from __future__ import annotations

import argparse
import asyncio
import sys

from cli.lean import restart_without_docstrings, without_telegram_passport
from cli.partner import add_partner_parser
from cli.staff import add_staff_parser
from config.logs import configure_logging, describe_error, secrets_of
from config.settings import SettingsError, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="growwell", description=__doc__)
    # `growwell --port N` as well as `growwell run --port N`: the subcommands' copies leave the
    # value alone unless given (SUPPRESS).
    port_help = "the sandbox page's port when there is no token (default 8080)"
    parser.add_argument("--port", type=int, help=port_help)
    commands = parser.add_subparsers(dest="command")
    run = commands.add_parser(
        "run", help="run the bot (the default); with no token, the sandbox in a browser"
    )
    run.add_argument("--port", type=int, default=argparse.SUPPRESS, help=port_help)
    sandbox = commands.add_parser(
        "sandbox", help="try the bot in a browser, with no Telegram account and no internet"
    )
    sandbox.add_argument("--port", type=int, default=argparse.SUPPRESS, help=port_help)
    sandbox.add_argument("--reset", action="store_true", help="start with no families")
    database = commands.add_parser("db", help="database commands")
    database.add_argument("action", choices=["upgrade"], help="bring the schema up to date")
    catalogs = commands.add_parser("catalogs", help="translation catalogs")
    catalogs.add_argument("action", choices=["update"], help="extract strings and merge them")
    add_staff_parser(commands)
    add_partner_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if argv is None and args.command in (None, "run", "sandbox"):
        restart_without_docstrings()  # from the command line: the bot runs for days
    if args.command == "catalogs":
        from cli.catalogs import update_catalogs

        update_catalogs()
        return 0
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"growwell: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.library_log_level, secrets_of(settings))
    if args.command == "staff":
        from cli.staff import run_staff

        return run_staff(args, settings)
    if args.command == "partner":
        from cli.partner import run_partner

        return run_partner(args, settings)
    if args.command == "db":
        from store.engine import DATABASE_FAULTS, database_fault
        from store.migrate import upgrade

        try:
            asyncio.run(upgrade(settings.database_url))
        except DATABASE_FAULTS as error:
            print(f"growwell: {database_fault(error, settings.database_url)}", file=sys.stderr)
            return 2
        print("growwell: database is up to date")
        return 0
    from domain.safety import EmergencyDetector
    from resources.bundle import RESOURCE_ERRORS, load_resources

    try:
        resources = load_resources()
        EmergencyDetector(resources.safety)  # a rules file that loads but cannot compile
    except RESOURCE_ERRORS as error:
        print(f"growwell: {error}", file=sys.stderr)
        return 2
    if args.command == "sandbox" or settings.token is None:
        # No token: the sandbox, so a first run shows what families would see.
        from sandbox.runner import PortInUse, run_sandbox

        port = args.port or settings.sandbox_port
        try:
            run_sandbox(
                settings, port=port, reset=getattr(args, "reset", False), resources=resources
            )
        except PortInUse as error:
            print(f"growwell: {error}", file=sys.stderr)
            return 2
        return 0
    if settings.web_port is None:
        without_telegram_passport()
    from telegram.error import TelegramError

    from bot.polling import StartupError, run_polling

    try:
        run_polling(settings, resources)
    except StartupError as error:
        print(f"growwell: {error}", file=sys.stderr)
        return 2
    except TelegramError as error:  # Telegram went away while the bot was starting to poll
        print(f"growwell: stopped: {describe_error(error)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
