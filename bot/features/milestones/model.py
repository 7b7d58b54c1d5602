"""Milestones: types and constants shared by its service and views."""

from __future__ import annotations

from enum import StrEnum

from bot.core.i18n import N_


class MilestoneAction(StrEnum):
    READINESS_TOGGLE = "readiness_toggle"
    GOAL_MET = "goal_met"
    GOAL_NOT_MET = "goal_not_met"
    GOAL_IN_PROGRESS = "goal_in_progress"
    GOALS_CONFIRM = "goals_confirm"
    LESSON_ADD_TEMPLATE = "lesson_add_template"  # on a retrospective summary's proposed lesson


CHECKBOXES_PER_BLOCK = 10  # Slack's limit for one checkboxes element


GOAL_STATES = {MilestoneAction.GOAL_MET: "met", MilestoneAction.GOAL_NOT_MET: "not_met",
               MilestoneAction.GOAL_IN_PROGRESS: "in_progress"}


# TRANSLATORS: a 30-day goal's state, in the review DM and the outcome post.
GOAL_LABELS = {"open": N_(":white_circle: not reviewed yet"), "met": N_(":white_check_mark: met"),
               "not_met": N_(":x: not met"), "in_progress": N_(":hourglass_flowing_sand: in progress")}


class MilestoneCallback(StrEnum):
    LIVE_CONFIRM = "live_confirm_modal"
    RETRO = "retro_modal"


MAX_REASON = 2000
