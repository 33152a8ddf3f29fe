"""Run the local Bot API server until interrupted: ``python -m local_bot_api --port 8081``."""

import argparse
import asyncio
import contextlib

from local_bot_api.server import BotApiServer


async def serve(port: int, host: str, bot_username: str, latency: float = 0.0) -> None:
    """Start the server, say where it is, and keep it up until cancelled."""
    server = BotApiServer(port=port, host=host, bot_username=bot_username)
    server.add_latency(latency)
    await server.start()
    print(f"Bot API at {server.base_url}<TOKEN>/<method>, control at {server.url}/control/")
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m local_bot_api", description=__doc__)
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--bot-username", default="growwell_test_bot")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds to hold each bot call")
    arguments = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            serve(arguments.port, arguments.host, arguments.bot_username, arguments.latency)
        )


if __name__ == "__main__":
    main()
