"""What the plan holds for one child from today on: for "My reminders" and the welcome message."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

from resources.message_plan import MessagePlan, PlanEntry, Priority
from resources.topics import Topic

# How far ahead a yearly entry's seasons are looked for (the next autumn's flu vaccine).
SEASONS_AHEAD = timedelta(days=2 * 366)


@dataclass(frozen=True)
class Upcoming:
    day: date
    entry: PlanEntry


def upcoming_for_child(
    plan: MessagePlan,
    *,
    born: date | None,
    due: date | None,
    today: date,
    fathers: bool = False,
    topics: Collection[Topic] | None = None,
    muted: Collection[str] = (),
    priority: Priority | None = None,
    limit: int = 5,
) -> list[Upcoming]:
    """The next entries for a child, in date order, as the planner will send them."""
    anchor = born or due
    if anchor is None:
        return []
    found = []
    seasons = (today, today + SEASONS_AHEAD)
    for entry in plan.entries_for(born_on=born, fathers=fathers, seasons=seasons):
        if topics is not None and entry.topic not in topics:
            continue
        if priority is not None and entry.priority is not priority:
            continue
        if entry.priority is Priority.TIP and entry.topic.value in muted:
            continue
        day = entry.send_day(anchor, not_before=today)
        if day is not None and entry.due_day(anchor) >= today:
            found.append(Upcoming(day, entry))
    found.sort(key=lambda u: (u.day, -int(u.entry.priority is Priority.CRITICAL)))
    return found[:limit]
