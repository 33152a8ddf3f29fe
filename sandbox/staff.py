"""The sandbox's staff side: a group chat for each team, and Sam Taylor, a health visitor the
visitor plays beside the families.

Each team of resources/spokes.yaml gets a sandbox group with a real (negative) Telegram id, and
the bot is given them in place of the file's placeholders (`Spokes.with_group_chats`), so it
posts every new request where the page shows it. Sam is an admin of the hub team, so Sam may act
on every team's requests. Sam's account is made in the sandbox's database and linked the way a
real member links: Sam's Telegram user sends `/staff <code>` to the bot. Sam also signs in to
the staff dashboard beside the page, with an e-mail and a password new at every start. All of
it is done again after "Start again", and nothing is done twice across restarts (the database
and the page's chats are kept together).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.staff import create_staff, renew_link_code
from domain.web_accounts import set_email, set_password
from resources.bundle import Resources
from resources.spokes import Spokes
from sandbox.feed import Feed
from store.models import StaffMember, StaffRole

# Supergroup ids look like -100 followed by ten digits; the sandbox's start here, one per team.
FIRST_GROUP_ID = -1_007_000_000_001
SAM_USER_ID = 6_000_001  # below the families' ids (sandbox/feed.py)
SAM_FIRST_NAME, SAM_LAST_NAME = "Sam", "Taylor"
SAM_NAME = f"{SAM_FIRST_NAME} {SAM_LAST_NAME}"
SAM_TEAM = "health_visiting"  # the hub; as an admin Sam acts on every team's requests
SAM_EMAIL = "sam.taylor@sandbox.invalid"  # .invalid: a domain that can never receive mail


@dataclass(frozen=True)
class StaffGroup:
    team_id: str
    chat_id: int
    title: str


def staff_groups(spokes: Spokes) -> tuple[StaffGroup, ...]:
    """One sandbox group per team, numbered in the file's order of teams."""
    return tuple(
        StaffGroup(team.id, FIRST_GROUP_ID - number, f"{team.name} · staff group")
        for number, team in enumerate(spokes.teams.values())
    )


def with_sandbox_groups(resources: Resources) -> Resources:
    """The resources with every team posting to its sandbox group instead of a placeholder."""
    groups: Mapping[str, int] = {g.team_id: g.chat_id for g in staff_groups(resources.spokes)}
    return replace(resources, spokes=resources.spokes.with_group_chats(groups))


async def set_up_staff_side(
    feed: Feed,
    sessions: async_sessionmaker[AsyncSession],
    spokes: Spokes,
    clock: Callable[[], datetime],
    *,
    dashboard_password: str,
) -> None:
    """Show the team groups and Sam's chat on the page, give Sam this run's dashboard
    password, and link Sam's account if it is not linked yet (a fresh or reset sandbox): the
    bot answers Sam's `/staff <code>` before this returns, so Sam's desk is ready when the
    page opens."""
    for group in staff_groups(spokes):
        feed.add_group(group.chat_id, group.title)
    sam = feed.add_staff(SAM_USER_ID, SAM_FIRST_NAME, SAM_LAST_NAME)
    async with sessions.begin() as session:
        member_id, code = await _sam_and_link_code(session, spokes, clock())
        await set_email(session, member_id, SAM_EMAIL)
        await set_password(session, member_id, dashboard_password)
    if code is not None:
        await sam.send(f"/staff {code}")
        if not await sam.replies(timeout=10.0):  # the bot never started answering
            raise RuntimeError("the sandbox's bot did not answer Sam's /staff")


async def _sam_and_link_code(
    session: AsyncSession, spokes: Spokes, now: datetime
) -> tuple[int, str | None]:
    """Sam's id (the account is made on first use), and a one-time code to link it; None
    once Sam is linked."""
    member = await session.scalar(
        select(StaffMember).where(StaffMember.name == SAM_NAME).order_by(StaffMember.id)
    )
    if member is None:
        made = await create_staff(
            session, name=SAM_NAME, team_id=SAM_TEAM, role=StaffRole.ADMIN,
            teams=spokes.teams, now=now,
        )  # fmt: skip
        return made.member.id, made.code
    if member.telegram_user_id == SAM_USER_ID:
        return member.id, None
    # Made, but the link never happened.
    return member.id, await renew_link_code(session, member.id, now)
