"""Everything the service edits, loaded and checked together before the bot starts.

Any invalid file stops start-up with one line naming the file and the problem.
"""

from __future__ import annotations

from dataclasses import dataclass

from resources.areas import AreaFileError, Areas, load_areas
from resources.library import Library, LibraryError, load_library
from resources.message_plan import MessagePlan, PlanError, load_plan
from resources.safety_rules import SafetyRuleError, SafetyRules, load_safety_rules
from resources.service import ServiceFileError, ServiceRules, load_service_rules
from resources.spokes import SpokeFileError, Spokes, load_spokes

RESOURCE_ERRORS = (
    AreaFileError,
    LibraryError,
    PlanError,
    SafetyRuleError,
    ServiceFileError,
    SpokeFileError,
)


@dataclass(frozen=True)
class Resources:
    areas: Areas
    rules: ServiceRules
    library: Library
    plan: MessagePlan
    safety: SafetyRules
    spokes: Spokes


def load_resources() -> Resources:
    """The shipped files; the plan's 'Read more' links must name library articles."""
    library = load_library()
    return Resources(
        areas=load_areas(),
        rules=load_service_rules(),
        library=library,
        plan=load_plan(article_ids=library.ids),
        safety=load_safety_rules(),
        spokes=load_spokes(),
    )
