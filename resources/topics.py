"""What a reminder or an article is about: one list for the plan, the library and the spokes.

The order is the library's shelves for a family whose needs we do not know yet. A family mutes
a topic's tips, a spoke offers itself on articles and reminders of its topics, and reports
count messages by topic, so one name must mean one thing everywhere.
"""

from __future__ import annotations

from enum import StrEnum


class Topic(StrEnum):
    SAFE_SLEEP = "safe_sleep"
    FEEDING = "feeding"
    CRYING = "crying"
    IMMUNISATIONS = "immunisations"
    REVIEWS = "reviews"
    ORAL_HEALTH = "oral_health"
    MENTAL_HEALTH = "mental_health"
    FATHERS = "fathers"
    URGENT_HELP = "urgent_help"
