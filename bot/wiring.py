"""The one place that lists what each feature contributes: its kinds of scheduled work and sweepers,
its composers (outbox methods rendered at send time) and its export sections. Features expose plain
data; nothing registers itself on import."""

from __future__ import annotations

from bot.features.adoption import compose as adoption_compose
from bot.features.checkins import compose as checkins_compose
from bot.features.checkins import export as checkins_export
from bot.features.digest import compose as digest_compose
from bot.features.help_post import compose as help_post_compose
from bot.features.home import compose as home_compose
from bot.features.home import plan as home_plan
from bot.features.issues import compose as issues_compose
from bot.features.issues import export as issues_export
from bot.features.issues import plan as issues_plan
from bot.features.launches import export as launches_export
from bot.features.milestones import compose as milestones_compose
from bot.features.milestones import export as milestones_export
from bot.features.usage import compose as usage_compose
from bot.features.usage import export as usage_export
from bot.flows.export import Section
from bot.flows.planning import PLANNED_FEATURES
from bot.outbox.compose import Composers
from schedules.registry import Schedule

SCHEDULE = Schedule.of(
    kinds=tuple(kind for feature in PLANNED_FEATURES for kind in feature.KINDS),
    sweepers=issues_plan.SWEEPERS + home_plan.SWEEPERS,
)

COMPOSERS = Composers.of(
    checkins_compose.COMPOSERS + issues_compose.COMPOSERS + help_post_compose.COMPOSERS + digest_compose.COMPOSERS
    + home_compose.COMPOSERS + adoption_compose.COMPOSERS + usage_compose.COMPOSERS + milestones_compose.COMPOSERS
)

# In this order in `golive export` (JSON keys; the `record` column of the CSV).
EXPORT_SECTIONS: tuple[Section, ...] = (
    launches_export.SECTIONS + checkins_export.SECTIONS + issues_export.SECTIONS + milestones_export.SECTIONS
    + usage_export.SECTIONS
)
