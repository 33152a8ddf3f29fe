"""The staff side's worker, run with the dispatcher every few seconds: it keeps each request's
post in its team group current, passes the family's messages to the member holding the
request, and posts overdue requests to their team again at 09:00 each working day.

Nothing is lost: a post or relay that Telegram refuses is not written down, so the next cycle
tries again ("message is not modified" counts as done). A cycle with nothing to do costs two
small queries (the `holidays` package is loaded only when a working day is first asked about,
see domain/working_days.py).

A family message to a request nobody holds yet waits until someone claims it (they see it in
Open meanwhile); one to a request closed with no holder is only kept on the request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, Message, ReplyParameters
from telegram.error import BadRequest, TelegramError

from config.logs import describe_error
from domain import referrals
from domain.referrals import EventKind
from domain.working_days import WorkingCalendar
from resources.spokes import Spokes
from scheduler.staff_texts import (
    PostFacts,
    details_text,
    overdue_keyboard,
    post_keyboard,
    post_text,
    relay_text,
)
from store.models import Referral, ReferralEvent, StaffMember

log = logging.getLogger(__name__)

POSTS_BATCH = 100
RELAY_BATCH = 200  # messages waiting for a claim stay in the list; room for the rest
GROUP_LOCALE = "en"  # a team group is read by the whole team: the service's language


@dataclass(frozen=True)
class QueueReport:
    posted: int = 0
    relayed: int = 0
    reposted: int = 0


def is_not_modified(error: TelegramError) -> bool:
    return "not modified" in str(error).lower()


async def post_facts(session: AsyncSession, referral: Referral) -> PostFacts:
    """The names and events a post or the details need, read in one place."""
    events = await referrals.history(session, referral.id)
    holder = (
        await session.get(StaffMember, referral.assigned_staff_id)
        if referral.assigned_staff_id is not None
        else None
    )
    actor_name = None
    for event in reversed(events):
        if event.kind in (EventKind.DECLINED, EventKind.CLOSED) and event.staff_id:
            actor = await session.get(StaffMember, event.staff_id)
            actor_name = actor.name if actor else None
            break
    return PostFacts(
        referral=referral,
        holder_name=holder.name if holder else None,
        actor_name=actor_name,
        event_kinds=frozenset(event.kind for event in events),
        cancelled_by_erasure=any(
            e.kind == EventKind.CANCELLED and e.detail.get("why") == "family_erased"
            for e in events
        ),
    )


class StaffQueue:
    """Group posts, relays and overdue reposts; safe to run in several processes (each change
    is recorded with a guarded write in domain/referrals.py)."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        bot: Bot,
        spokes: Spokes,
        clock: Callable[[], datetime],
        calendar: WorkingCalendar,
    ) -> None:
        self._sessions = sessions
        self._bot = bot
        self.spokes = spokes
        self._clock = clock
        self.calendar = calendar
        # One post edit at a time in this process, so an older text never lands after a newer.
        self._posting = asyncio.Lock()
        self._overdue_done_on: date | None = None

    async def run_once(self) -> QueueReport:
        return QueueReport(
            posted=await self.sync_posts(),
            relayed=await self.relay_messages(),
            reposted=await self.repost_overdue(),
        )

    # ------------------------------------------------------------------------- group posts

    async def sync_posts(self, referral_id: int | None = None) -> int:
        """Post or edit every post that is behind (or just this request's); how many now
        show their request as it is."""
        async with self._posting:
            async with self._sessions() as session:
                if referral_id is None:
                    due = await referrals.posts_due(session, POSTS_BATCH)
                else:
                    one = await session.get(Referral, referral_id)
                    due = (
                        [one] if one is not None and one.posted_version < one.post_version else []
                    )
                if not due:
                    return 0
                facts = [await post_facts(session, referral) for referral in due]
            done = 0
            for fact in facts:
                done += await self._post(fact)
            return done

    async def _post(self, facts: PostFacts) -> bool:
        referral = facts.referral
        team = self.spokes.teams.get(referral.team_id)
        chat_id = referral.group_chat_id or (team.group_chat_id if team else None)
        if chat_id is None:
            log.warning("request %d: no group for team %s", referral.id, referral.team_id)
            return False
        text = post_text(facts, self.spokes, self.calendar, self._clock(), GROUP_LOCALE)
        markup = post_keyboard(referral, GROUP_LOCALE)
        message_id = referral.group_message_id
        try:
            if message_id is not None:
                try:
                    await self._bot.edit_message_text(
                        text, chat_id=chat_id, message_id=message_id, reply_markup=markup
                    )
                except BadRequest as error:
                    if is_not_modified(error):
                        pass
                    elif "not found" in str(error).lower():  # deleted in the group: post anew
                        message_id = None
                    else:
                        raise
            if message_id is None:
                sent = await self._bot.send_message(chat_id, text, reply_markup=markup)
                message_id = sent.message_id
        except TelegramError as error:
            log.warning("request %d: group post not sent: %s", referral.id, describe_error(error))
            return False
        async with self._sessions.begin() as session:
            await referrals.record_post(
                session, referral.id, referral.post_version, chat_id, message_id
            )
        return True

    # ---------------------------------------------------------------------- family messages

    async def relay_messages(self) -> int:
        """Pass each family message to the member holding its request, privately."""
        async with self._sessions() as session:
            waiting = await referrals.messages_to_relay(session, RELAY_BATCH)
            if not waiting:
                return 0
            plan = []
            for message in waiting:
                referral = await session.get(Referral, message.referral_id)
                holder = (
                    await session.get(StaffMember, referral.assigned_staff_id)
                    if referral is not None and referral.assigned_staff_id is not None
                    else None
                )
                plan.append((message, referral, holder))
        relayed = 0
        for message, referral, holder in plan:
            if referral is None:
                continue
            if holder is None or holder.telegram_user_id is None:
                if referral.status not in referrals.OPEN:  # no one will hold it: it stays stored
                    async with self._sessions.begin() as session:
                        await referrals.mark_relayed(session, message.id, self._clock())
                continue  # waits for the claim
            try:
                await self._bot.send_message(
                    holder.telegram_user_id, relay_text(referral, message, GROUP_LOCALE)
                )
            except TelegramError as error:
                log.warning(
                    "request %d: message not relayed: %s", referral.id, describe_error(error)
                )
                continue
            async with self._sessions.begin() as session:
                await referrals.mark_relayed(session, message.id, self._clock())
            relayed += 1
        return relayed

    # ------------------------------------------------------------------------------ overdue

    async def repost_overdue(self) -> int:
        """Once a day, from 09:00 on a working day: every overdue request not yet reposted today
        goes to its team again. Taking the day's repost and sending it are one transaction, so
        of several processes one posts, and a failed send is tried again next cycle."""
        now = self._clock()
        local = now.astimezone(self.calendar.zone)
        today = local.date()
        if self._overdue_done_on == today or local.time() < self.spokes.working_hours.start:
            return 0
        async with self._sessions() as session:
            due = await referrals.overdue_to_repost(session, now, today)
        if due and not self.calendar.is_working_day(today):
            due = []
        reposted, failed = 0, False
        for referral in due:
            try:
                async with self._sessions.begin() as session:
                    if not await referrals.mark_overdue_posted(session, referral.id, today):
                        continue
                    fresh = await session.get(Referral, referral.id)
                    if fresh is None:
                        continue
                    facts = await post_facts(session, fresh)
                    await self._send_repost(facts, now)
                reposted += 1
            except TelegramError as error:
                failed = True
                log.warning(
                    "request %d: overdue repost not sent: %s", referral.id, describe_error(error)
                )
        if not failed:
            self._overdue_done_on = today
        return reposted

    async def _send_repost(self, facts: PostFacts, now: datetime) -> Message | None:
        referral = facts.referral
        team = self.spokes.teams.get(referral.team_id)
        chat_id = referral.group_chat_id or (team.group_chat_id if team else None)
        if chat_id is None:
            return None
        reply = (
            ReplyParameters(referral.group_message_id, allow_sending_without_reply=True)
            if referral.group_message_id is not None and referral.group_chat_id == chat_id
            else None
        )
        return await self._bot.send_message(
            chat_id,
            post_text(facts, self.spokes, self.calendar, now, GROUP_LOCALE, overdue_repost=True),
            reply_markup=overdue_keyboard(referral, GROUP_LOCALE),
            reply_parameters=reply,
        )

    # ------------------------------------------------------------------------------ details

    async def details(self, session: AsyncSession, referral: Referral, locale: str) -> str:
        """The whole request for one member: answers, contact, thread and history."""
        facts = await post_facts(session, referral)
        events: list[ReferralEvent] = await referrals.history(session, referral.id)
        messages = await referrals.thread(session, referral.id)
        staff_ids = {e.staff_id for e in events if e.staff_id} | {
            m.staff_id for m in messages if m.staff_id
        }
        names = {
            member.id: member.name
            for member in await session.scalars(
                select(StaffMember).where(StaffMember.id.in_(staff_ids))
            )
        }
        return details_text(
            facts,
            self.spokes,
            self.calendar,
            self._clock(),
            locale,
            messages=messages,
            events=events,
            names=names,
        )
