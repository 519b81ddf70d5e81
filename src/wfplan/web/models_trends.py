"""The response models of ``/api/v1/trends``: one area's series of one measure, with its SPC."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from wfplan.web.models import Level, Model

#: The measures a trend can show (``/api/v1/trends?measure=``); 404 where the vintage has none.
MeasureName = Literal[
    "sickness_rate", "staff_in_post_headcount", "staff_in_post_fte", "vacancy_rate"
]
#: A point's type on an SPC chart (NHS England's "Making Data Count").
PointType = Literal["common_cause", "improvement", "concern", "neutral_high", "neutral_low"]
#: The variation icon: the latest point's type, with its side of the mean.
VariationIcon = Literal[
    "common_cause",
    "improvement_high",
    "improvement_low",
    "concern_high",
    "concern_low",
    "neutral_high",
    "neutral_low",
]


class TrendPoint(Model):
    """One period of a trend, with its SPC flags (null when the trend has no SPC)."""

    period: str = Field(description="The period's last day (YYYY-MM-DD)")
    value: float | None = Field(description="The figure (null: suppressed)")
    numerator: float | None = Field(description="A rate's numerator (null for a level)")
    denominator: float | None = Field(description="A rate's denominator (null for a level)")
    suppressed: bool = Field(description="Disclosure control suppressed the figure")
    point_type: PointType | None = None
    outside: bool | None = Field(default=None, description="Beyond a process limit")
    shift: bool | None = Field(default=None, description="In a run of 7 on one side of the mean")
    trend: bool | None = Field(default=None, description="In 7 rising or 7 falling points")
    two_of_three: bool | None = Field(
        default=None, description="2 of 3 points beyond two-thirds of the way to a limit"
    )


class Spc(Model):
    """The XmR chart of a trend: centre line, process limits and icons."""

    mean: float
    mean_moving_range: float
    upper_process_limit: float = Field(description="mean + 2.66 × mean moving range")
    lower_process_limit: float = Field(description="mean − 2.66 × mean moving range")
    variation: PointType = Field(description="The latest point's type")
    variation_icon: VariationIcon
    assurance_icon: Literal["pass", "fail", "hit_and_miss"] | None = Field(
        description="Against a target (null: the measure has none)"
    )


class Trend(Model):
    """One area's series of one measure (``/api/v1/trends``), oldest point first."""

    vintage: str
    measure: MeasureName
    label: str
    unit: Literal["proportion", "persons", "FTE"]
    improvement: Literal["higher", "lower", "neutral"] = Field(
        description="Which way is improvement (neutral: neither)"
    )
    frequency: str = Field(description="What the periods are: month, census, vacancy period")
    numerator_label: str | None
    denominator_label: str | None
    level: Level
    area_code: str
    area_name: str
    staff_group: str | None
    sector: str | None
    period: str = Field(description="The period covered, in words")
    source: str = Field(description="The publications the figures come from")
    controlled: bool
    disclosure: str | None
    points: list[TrendPoint]
    spc: Spc | None = Field(description="Null with fewer than 2 points or a point suppressed")
    warning: str | None = Field(description="Why the SPC is missing or not to be trusted")
