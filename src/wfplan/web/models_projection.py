"""The response model of ``/api/v1/projection``: a vintage's baseline fans, by area and year."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from wfplan.web.models import Level, Model

#: The variables served (the names of ``wfplan project``'s long table).
FanVariable = Literal["supply_fte", "demand_funded_fte", "gap_fte", "gap_pct"]


class FanRow(Model):
    """One area's, staff group's and variable's percentiles in one year."""

    level: Level
    area_code: str
    area_name: str | None
    staff_group: str = Field(description="A staff group's code, or a total: all_staff_groups, "
                             "all_<sector>")
    staff_group_name: str
    variable: FanVariable = Field(description="supply_fte, demand_funded_fte, gap_fte (demand "
                                  "minus supply) or gap_pct (100 x gap / demand)")
    unit: Literal["FTE", "%"]
    year: int
    p5: float | None = Field(description="5th percentile over the draws (null: suppressed)")
    p50: float | None
    p95: float | None
    suppressed: bool = Field(description="Disclosure control suppressed the row (the public: "
                             "a series whose base-year headcount is 1 to 4 people)")


class Projection(Model):
    """The baseline projection of a vintage: what was run, and the rows in the caller's scope."""

    vintage: str
    scenario: str = Field(description="The shipped scenario projected (baseline)")
    scenario_title: str
    scenario_sha256: str = Field(description="SHA-256 of the scenario file")
    base_period: str = Field(description="The census the projection starts from (YYYY-MM-DD)")
    base_year: int
    final_year: int = Field(description="The horizon's last year")
    projected_level: Literal["icb", "org"] = Field(
        description="The level the model ran at: icb (regions and England are its ICBs' "
                    "sums, taken within each draw) or org (one organisation, level=org)")
    seed: int
    draws: int
    source: str = Field(description="What the figures are, in one sentence (for a caption)")
    controlled: bool
    disclosure: str | None = None
    rows: list[FanRow]


class SkillsRow(Model):
    """A role's or staff group's shortfall, surplus or shortfall left, at one horizon."""

    scenario: str
    area: str
    staff_group: str = Field(description="A role's code, or its staff group's (the roles' sum)")
    horizon: int = Field(description="Years after the base year: 5, 10 or 15")
    year: int
    variable: str = Field(description="shortfall_fte, surplus_fte or "
                          "shortfall_after_substitution_fte (docs/skills.md)")
    p50: float | None
    p5: float | None
    p95: float | None


class SkillsResults(Model):
    """A projection job's skills-gap view: the rows in the caller's scope (none by group)."""

    job_id: str
    vintage: str
    sha256: str
    rows: list[SkillsRow]
