"""An assumption: a value the model or the dataset layer chose because the data did not give it.

Every default filled in (an input array, a scenario parameter, an intervention
field, a series held flat) is recorded as one :class:`Assumption`, carried with
the inputs and the results, and listed in every report. In results' metadata
(and so in every JSON file and bundle) each is written as :meth:`Assumption.record`:
``name``, ``value`` and ``reason``, plus ``source`` when one is known apart
from the reason and ``tier`` when the value was resolved from the vintage's data,
the evidence library or the parameter table's default (records written before
``tier`` existed have neither, and read back unchanged).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Assumption(BaseModel):
    """One recorded assumption.

    Attributes
    ----------
    name
        The quantity assumed: an input, a parameter or ``interventions[i].field``.
    value
        The value used: a number, a text (e.g. the name of a rule) or a list.
    reason
        Why it was assumed, and where the value comes from.
    source
        The value's source when it is not already in ``reason`` (left out of
        the record when unknown).
    tier
        Where a resolved input came from: ``data`` (the vintage), ``evidence``
        (a row of the evidence library, named in ``source``) or ``default``
        (the parameter table); left out of the record when not resolved.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    value: Any = Field(description="The value used: a number, a text or a list.")
    reason: str = Field(min_length=1)
    source: str | None = None
    tier: Literal["data", "evidence", "default"] | None = None

    @classmethod
    def of(cls, item: Assumption | Mapping[str, Any]) -> Assumption:
        """Return ``item`` as an :class:`Assumption` (a record is validated)."""
        return item if isinstance(item, Assumption) else cls.model_validate(dict(item))

    def record(self) -> dict[str, Any]:
        """Return the assumption as results' metadata write it (the value as given)."""
        out = {"name": self.name, "value": self.value, "reason": self.reason}
        if self.source is not None:
            out["source"] = self.source
        if self.tier is not None:
            out["tier"] = self.tier
        return out
