"""The two periodic jobs, run by PTB's JobQueue (APScheduler): the planner and the dispatcher.

No job is ever created per family or per reminder, so memory stays flat as families grow.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import Application, CallbackContext

from scheduler.dispatcher import Dispatcher, batch_size_for
from scheduler.planner import run_planner

log = logging.getLogger(__name__)

PLANNER_EVERY = 300.0  # seconds
DISPATCHER_EVERY = 5.0
DISPATCHER_KEY = "dispatcher"
_ONE_AT_A_TIME = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}


async def plan_job(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Plan every day that has come into the horizon since the last run."""
    services = context.application.bot_data["services"]
    today = services.clock().astimezone(services.zone).date()
    report = await run_planner(services.sessions, services.plan, today)
    if report.inserted or report.skipped_stale:
        log.info("planner: %d new, %d stale skipped", report.inserted, report.skipped_stale)


async def dispatch_job(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Send what is due; several bot processes may run this at once."""
    dispatcher: Dispatcher = context.application.bot_data[DISPATCHER_KEY]
    report = await dispatcher.run_once()
    if report.outcomes or report.recovered:
        log.info("dispatcher: %s, %d recovered", dict(report.outcomes), report.recovered)


def schedule_jobs(
    application: Application[Any, Any, Any, Any, Any, Any], *, run: bool = True
) -> None:
    """Create the dispatcher; with `run`, also start the two periodic jobs (tests drive them)."""
    services = application.bot_data["services"]
    application.bot_data[DISPATCHER_KEY] = Dispatcher(
        sessions=services.sessions,
        bot=application.bot,
        plan=services.plan,
        rules=services.rules,
        zone=services.zone,
        clock=services.clock,
        article_ids=services.article_ids,
        batch_size=batch_size_for(services.sessions),
    )
    if not run:
        return
    queue = application.job_queue
    assert queue is not None, "install python-telegram-bot[job-queue]"
    queue.run_repeating(
        plan_job, PLANNER_EVERY, first=1.0, name="planner", job_kwargs=_ONE_AT_A_TIME
    )
    queue.run_repeating(
        dispatch_job, DISPATCHER_EVERY, first=3.0, name="dispatcher", job_kwargs=_ONE_AT_A_TIME
    )
