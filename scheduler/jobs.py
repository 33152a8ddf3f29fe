"""The periodic jobs, run by PTB's JobQueue (APScheduler): the planner, the dispatcher, and
forgetting sign-ups never finished.

No job is ever created per family or per reminder, so memory stays flat as families grow.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import Application, CallbackContext

from config.logs import describe_error
from domain.families import erase_unfinished_sign_ups
from scheduler.dispatcher import Dispatcher, batch_size_for
from scheduler.planner import run_planner
from scheduler.staff_queue import StaffQueue

log = logging.getLogger(__name__)

PLANNER_EVERY = 300.0  # seconds
DISPATCHER_EVERY = 5.0
FORGET_EVERY = 3600.0
DISPATCHER_KEY = "dispatcher"
STAFF_QUEUE_KEY = "staff_queue"
ONE_AT_A_TIME = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}


async def plan_job(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Plan every day that has come into the horizon since the last run."""
    services = context.application.bot_data["services"]
    today = services.clock().astimezone(services.zone).date()
    report = await run_planner(services.sessions, services.plan, today)
    if report.inserted or report.skipped_stale:
        log.debug("planner: %d new, %d stale skipped", report.inserted, report.skipped_stale)


async def dispatch_job(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Bring the staff groups up to date, then send what is due; several bot processes may run
    this at once. A new request so reaches its team within one cycle."""
    staff_queue: StaffQueue = context.application.bot_data[STAFF_QUEUE_KEY]
    try:
        staff = await staff_queue.run_once()
    except Exception as error:  # the families' messages must still go out
        log.error("staff queue failed: %s", describe_error(error))
    else:
        if staff.posted or staff.relayed or staff.reposted:
            log.debug("staff queue: %s", staff)
    dispatcher: Dispatcher = context.application.bot_data[DISPATCHER_KEY]
    report = await dispatcher.run_once()
    if report.outcomes or report.recovered:
        log.debug("dispatcher: %s, %d recovered", dict(report.outcomes), report.recovered)


async def forget_job(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Erase families that agreed to the privacy notice, never finished signing up and have
    been quiet for as long as resources/service.yaml says: we keep no details we do not use."""
    services = context.application.bot_data["services"]
    quiet_since = services.clock() - services.rules.conversations.unfinished_sign_up_kept
    async with services.sessions.begin() as session:
        erased = await erase_unfinished_sign_ups(session, quiet_since=quiet_since)
    if erased:
        log.info("erased %d unfinished sign-ups", erased)


def schedule_jobs(
    application: Application[Any, Any, Any, Any, Any, Any], *, run: bool = True
) -> None:
    """Create the dispatcher; with `run`, also start the periodic jobs (tests drive them)."""
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
    application.bot_data[STAFF_QUEUE_KEY] = StaffQueue(
        sessions=services.sessions,
        bot=application.bot,
        spokes=services.spokes,
        clock=services.clock,
        calendar=services.calendar,
    )
    if not run:
        return
    queue = application.job_queue
    assert queue is not None, "install python-telegram-bot[job-queue]"
    queue.run_repeating(
        plan_job, PLANNER_EVERY, first=1.0, name="planner", job_kwargs=ONE_AT_A_TIME
    )
    queue.run_repeating(
        dispatch_job, DISPATCHER_EVERY, first=3.0, name="dispatcher", job_kwargs=ONE_AT_A_TIME
    )
    queue.run_repeating(
        forget_job, FORGET_EVERY, first=60.0, name="forget", job_kwargs=ONE_AT_A_TIME
    )
