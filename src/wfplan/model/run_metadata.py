"""What a run was made from and assumed: the typed metadata of a run's results.

:class:`RunMetadata` is what :func:`wfplan.model.engine.run` records and what
aggregation adds to (``aggregation``, ``staff_group_totals``). :meth:`RunMetadata.record`
gives the plain record written in results' files and read by reports: the
same keys, in the same order, as the dict it replaced.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from wfplan.model.assumptions import Assumption

__all__ = ["Aggregation", "InterventionSummary", "RunMetadata"]


class InterventionSummary(BaseModel):
    """One intervention of the run: its key, what it acts on, and who stands behind it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(description="The intervention's key in the results (type, group, index).")
    type: str
    staff_group: str
    area: str | None = Field(description="The area it acts in; None means every area.")
    source: str
    owner: str


class Aggregation(BaseModel):
    """One summing of the results' areas to a coarser level."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    from_level: str | None
    to_level: str | None
    areas: int = Field(ge=0, description="Areas after the summing.")


class RunMetadata(BaseModel):
    """The scenario, seed, coordinates' provenance and every assumption of one run.

    Attributes
    ----------
    scenario
        The scenario as read (its JSON form, aliases as in the file, no empty fields).
    seed, draws, base_year, horizon, level, vintage
        How the run was made.
    uncertain_parameters
        Parameters drawn from a distribution.
    interventions
        Each intervention with its source and owner.
    assumptions
        Every default filled in, written as :meth:`Assumption.record`.
    wfplan_version
        The version of wfplan that ran it.
    aggregation
        The summings to coarser levels since the run, if any.
    staff_group_totals
        Total staff-group code to the groups it sums, if the results hold totals.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    scenario: dict[str, Any]
    seed: int
    draws: int
    base_year: int
    horizon: int
    level: str
    vintage: str | None = Field(description="The dataset vintage; None for inputs not from one.")
    uncertain_parameters: list[str]
    interventions: list[InterventionSummary]
    assumptions: list[Assumption]
    wfplan_version: str
    aggregation: list[Aggregation] | None = None
    staff_group_totals: dict[str, list[str]] | None = None

    @field_serializer("assumptions")
    def _records(self, assumptions: list[Assumption]) -> list[dict[str, Any]]:
        return [item.record() for item in assumptions]

    def record(self) -> dict[str, Any]:
        """Return the metadata as a plain record (the optional parts only when set)."""
        out = self.model_dump()
        for name in ("aggregation", "staff_group_totals"):
            if out[name] is None:
                del out[name]
        return out
