"""The `growwell` command: run the bot, migrate the database, keep the catalogs up to date."""

from __future__ import annotations

import argparse
import asyncio
import sys

from config.logs import configure_logging, describe_error, secrets_of
from config.settings import SettingsError, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="growwell", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="run the bot (the default)")
    database = commands.add_parser("db", help="database commands")
    database.add_argument("action", choices=["upgrade"], help="bring the schema up to date")
    catalogs = commands.add_parser("catalogs", help="translation catalogs")
    catalogs.add_argument("action", choices=["update"], help="extract strings and merge them")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
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
    if settings.token is None:
        print(
            "growwell: set TELEGRAM_BOT_TOKEN to the token @BotFather gave you "
            "(e.g. TELEGRAM_BOT_TOKEN=123456789:AA... growwell), then run again",
            file=sys.stderr,
        )
        return 2
    from domain.safety import EmergencyDetector
    from resources.bundle import RESOURCE_ERRORS, load_resources

    try:
        resources = load_resources()
        EmergencyDetector(resources.safety)  # a rules file that loads but cannot compile
    except RESOURCE_ERRORS as error:
        print(f"growwell: {error}", file=sys.stderr)
        return 2
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
