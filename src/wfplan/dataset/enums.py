"""Enumerations of the dataset layer: area levels, sectors and what an ingest did to a file.

Their values are the strings stored in the database, written in files and
shown in reports (a :class:`~enum.StrEnum` compares equal to its value, so
nothing written changes). :class:`AreaLevel` and :class:`Sector` are the code
lists ``area_level`` and ``sector`` of ``codelists/enums.csv``; a test checks
that they agree.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["AreaLevel", "FileStatus", "Sector"]


class AreaLevel(StrEnum):
    """The level of an area in the ``areas`` table (code list ``area_level``)."""

    ENGLAND = "england"
    REGION = "region"
    ICB = "icb"
    SUB_ICB = "sub_icb"
    PCN = "pcn"
    LA = "la"
    ONS_REGION = "ons_region"
    UK = "uk"


class Sector(StrEnum):
    """The sector of an organisation (code list ``sector``)."""

    NHS_TRUST = "nhs_trust"
    PRIMARY_CARE = "primary_care"
    SOCIAL_CARE = "social_care"
    COMMISSIONER = "commissioner"
    OTHER = "other"


class FileStatus(StrEnum):
    """What an ingest did to one file."""

    #: Read, validated and loaded.
    LOADED = "loaded"
    #: A file with the same SHA-256 is already in the vintage; nothing added.
    ALREADY_LOADED = "already loaded"
