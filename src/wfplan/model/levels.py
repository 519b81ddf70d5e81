"""The levels a projection runs at, as one enumeration.

A scenario's ``level`` and every layer above the model (model inputs, metrics,
backtests) take one of these. The values are the strings written in scenario
files, results' metadata and bundles; a :class:`Level` compares equal to its
value, so code and files that hold the plain string keep working.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["LEVELS", "Level"]


class Level(StrEnum):
    """A level of the projection's areas, coarsest first.

    ``england``, ``region`` and ``icb`` are area levels of the code list
    ``area_level`` (``codelists/enums.csv``); ``org`` is one organisation.
    """

    ENGLAND = "england"
    REGION = "region"
    ICB = "icb"
    ORG = "org"


#: The levels' values, coarsest first (for messages and membership checks).
LEVELS: tuple[str, ...] = tuple(level.value for level in Level)
