"""Schemathesis runs the partner API against its own OpenAPI document: the real web app on a
real port and database, thousands of generated requests (valid, invalid, unauthorised), and no
answer may be a server error or differ from what the document promises."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, settings
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from api import openapi
from api.server import build_web_app
from store.engine import create_engine, session_factory
from store.models import Referral
from tests.api.conftest import CALENDAR, SPOKES, Sessions, make_key
from tests.conftest import Clock

pytestmark = pytest.mark.fuzz

T = TypeVar("T")

# A schema cannot say that a phone must be on the UK numbering plan, or a due date within
# the pregnancy as of today, so a schema-valid body may rightly get a 422 naming the field
# (tests/api/test_partner_api.py checks those). Every other built-in check runs.
CHECKS = schemathesis.Config.from_dict(
    {"checks": {"positive_data_acceptance": {"enabled": False}}}
)

# The document the server publishes, loaded without a server so pytest can collect the tests.
schema = schemathesis.openapi.from_dict(openapi.document(), config=CHECKS)

# Fixed seed, no deadline (a database is behind every call), no example database in the tree.
# The served app is meant to outlive the examples, so the fixture health check does not apply.
RUN = settings(
    max_examples=100,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class ServedApp:
    """`build_web_app` on 127.0.0.1 and a free port, in a thread with its own event loop, so
    the synchronous HTTP client schemathesis uses can call it while the test waits."""

    def __init__(self, database_url: str, clock: Clock) -> None:
        self._database_url = database_url
        self._clock = clock
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._engine: AsyncEngine | None = None
        self._runner: web.AppRunner | None = None

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` on the server's loop (its database connections belong to that loop)."""
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout=30)

    def start(self) -> str:
        self._thread.start()
        return self.run(self._start())

    def stop(self) -> None:
        self.run(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _start(self) -> str:
        self._engine = create_engine(self._database_url)
        app = build_web_app(session_factory(self._engine), SPOKES, CALENDAR, self._clock)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        return f"http://{host}:{port}"

    async def _stop(self) -> None:
        assert self._runner is not None and self._engine is not None
        await self._runner.cleanup()
        await self._engine.dispose()

    async def partner_requests(self) -> int:
        assert self._engine is not None
        async with session_factory(self._engine)() as session:
            count = select(func.count()).where(Referral.source == "partner:police")
            return int(await session.scalar(count) or 0)


@dataclass(frozen=True)
class Served:
    app: ServedApp
    base_url: str
    police_key: str


@pytest.fixture
async def served(sessions: Sessions, database_url: str, clock: Clock) -> AsyncIterator[Served]:
    """The web app serving the test database; the police may refer into safe sleep."""
    police_key = await make_key(sessions, clock, "police", "safe_sleep")
    app = ServedApp(database_url, clock)
    base_url = await asyncio.to_thread(app.start)
    yield Served(app, base_url, police_key)
    await asyncio.to_thread(app.stop)


def authorization(served: Served, who: str) -> dict[str, str]:
    return {
        "partner": {"Authorization": f"Bearer {served.police_key}"},
        "wrong key": {"Authorization": "Bearer gw_not-a-key-anyone-was-given"},
        "no key": {},
    }[who]


@pytest.mark.parametrize("who", ["partner", "wrong key", "no key"])
@schema.parametrize()
@RUN
def test_every_answer_is_documented_and_none_is_a_server_error(
    case: schemathesis.Case, served: Served, who: str
) -> None:
    case.call_and_validate(base_url=served.base_url, headers=authorization(served, who))


# What a JSON Schema cannot make valid by chance: a spoke the key allows, a real UK number and
# postcode, and exactly one of age band and due date.
CHECKED_BY_THE_SERVER = {
    "spoke": "safe_sleep",
    "phone": "07911 123456",
    "postcode": "L20 3AB",
    "child_age_band": "under_3_months",
    "due_date": None,
}


def test_a_partner_can_follow_each_request_it_makes(served: Served) -> None:
    """Stateful: POSTs (generated names, addresses, reasons and Idempotency-Keys), then GETs
    through the document's link from each 201 to its reference."""
    answers: Counter[tuple[str, int]] = Counter()

    class PartnerWorkflow(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: schemathesis.Case) -> None:
            positive = case.meta is None or case.meta.generation.mode.is_positive
            if case.method == "POST" and positive and isinstance(case.body, dict):
                case.body.update(CHECKED_BY_THE_SERVER)

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"base_url": served.base_url, "headers": authorization(served, "partner")}

        def after_call(self, response: schemathesis.Response, case: schemathesis.Case) -> None:
            super().after_call(response, case)
            answers[(case.method, response.status_code)] += 1

    PartnerWorkflow.run(settings=settings(RUN, max_examples=30, stateful_step_count=5))

    assert answers[("POST", 201)] > 0
    assert answers[("GET", 200)] > 0
    assert served.app.run(served.app.partner_requests()) > 0
