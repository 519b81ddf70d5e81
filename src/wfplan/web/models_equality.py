"""The models of ``/api/v1/equality``: WRES indicator 1 and Model Employer trajectories."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from wfplan.web.models import AreaLevel, Model


class WresRow(Model):
    """The ethnic-minority share of one band (or medical grade) of one area, and the whole's."""

    level: AreaLevel
    area_code: str
    area_name: str | None
    period: str | None
    grade: str
    role: str | None = Field(description="The medical grade of a row of grade 'medical', "
                             "else null (the band as a whole)")
    minority_headcount: float | None
    known_headcount: float | None
    ethnic_minority_share: float | None
    overall_share: float | None
    difference: float | None
    suppressed: bool = False


class GoalRow(Model):
    """One band's start at the base census and the goal and rates applied to it."""

    area_code: str
    grade: str
    base_period: str
    known_headcount: float
    minority_headcount: float
    base_share: float
    target_share: float
    target_year: int
    leaver_rate: float
    leaver_rate_source: str
    promotion_rate: float
    headcount_growth: float
    at_base: Literal["below goal", "at or above goal"]
    goal: str


class TrajectoryRow(Model):
    """One year of a band's Model Employer trajectory."""

    area_code: str
    grade: str
    year: int
    path_share: float
    headcount: float
    minority_target: float
    appointments: float
    minority_appointments: float
    minority_share_of_appointments: float | None


class ProgressRow(Model):
    """A band's position at a later census against its trajectory."""

    period: str
    area_code: str
    grade: str
    year: int
    minority_headcount: float
    known_headcount: float
    path_share: float
    expected_minority: float
    gap_heads: float
    status: Literal["on track", "off track"]


class Equality(Model):
    """WRES indicator 1, Model Employer goals, trajectories and progress (``wfplan equality``)."""

    vintage: str
    level: AreaLevel = Field(description="The level of the figures (England where the data "
                             "do not allow the level asked for; see notes)")
    requested_level: AreaLevel
    controlled: bool
    disclosure: str | None
    base: str | None
    notes: list[str]
    assumptions: list[str]
    wres: list[WresRow]
    goals: list[GoalRow]
    trajectory: list[TrajectoryRow]
    progress: list[ProgressRow]


class GoalIn(Model):
    """One goal of a request (the fields of a goals file, docs/equality.md)."""

    target_year: int
    area_code: str | None = None
    grade: str | None = None
    target_share: float | None = None
    leaver_rate: float | None = None
    promotion_rate: float | None = None
    headcount_growth: float | None = None


class GoalsIn(Model):
    """The body of ``POST /api/v1/equality``: the goals to apply (ICS-set goals)."""

    goals: list[GoalIn] = Field(min_length=1, max_length=1000)
