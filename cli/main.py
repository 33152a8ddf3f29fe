"""The `growwell` command: run the bot, migrate the database, keep the catalogs up to date."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

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
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL, and a Bot API URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.command == "db":
        from store.migrate import upgrade

        asyncio.run(upgrade(settings.database_url))
        print("growwell: database is up to date")
        return 0
    if settings.token is None:
        print(
            "growwell: set TELEGRAM_BOT_TOKEN to the token @BotFather gave you "
            "(e.g. TELEGRAM_BOT_TOKEN=123456789:AA... growwell), then run again",
            file=sys.stderr,
        )
        return 2
    from resources.bundle import RESOURCE_ERRORS, load_resources

    try:
        resources = load_resources()
    except RESOURCE_ERRORS as error:
        print(f"growwell: {error}", file=sys.stderr)
        return 2
    from bot.polling import run_polling

    run_polling(settings, resources)
    return 0


if __name__ == "__main__":
    sys.exit(main())
