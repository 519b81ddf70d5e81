"""The response model of the ICB boundaries (``GET /api/v1/boundaries``): GeoJSON.

The answer is a GeoJSON FeatureCollection (RFC 7946) with a few foreign members
saying where it comes from (the vintage, the file and its ingest) and whether it
covers every ICB of wfplan's code list (``complete``; the ICBs ``missing``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from wfplan.web.models import Model

#: A position: longitude, latitude (WGS 84) and, if the file gives one, a height.
Position = list[float]


class Polygon(Model):
    """A GeoJSON Polygon: linear rings, the first the outer one."""

    type: Literal["Polygon"]
    coordinates: list[list[Position]]


class MultiPolygon(Model):
    """A GeoJSON MultiPolygon: polygons, each a list of linear rings."""

    type: Literal["MultiPolygon"]
    coordinates: list[list[list[Position]]]


class BoundaryProperties(Model):
    """What a feature says: wfplan's ICB (null if unmapped) and the codes the file gave."""

    icb_code: str | None = Field(description="wfplan's ICB (ODS code); null: the feature's "
                                              "code maps to none (a warning at ingest)")
    icb_name: str | None = Field(description="the ICB's name in wfplan's code list")
    ons_code: str | None = Field(description="the ONS (GSS) code the file gives, ICBnnCD")
    name: str | None = Field(description="the name the file gives, ICBnnNM")
    feature_index: int = Field(description="the feature's index in the file's features")


class BoundaryFeature(Model):
    """One ICB's boundary, as the file gives it."""

    type: Literal["Feature"]
    properties: BoundaryProperties
    geometry: Annotated[Polygon | MultiPolygon, Field(discriminator="type")]


class Boundaries(Model):
    """A vintage's ICB boundaries: empty ``features`` when it holds none."""

    type: Literal["FeatureCollection"]
    vintage: str
    source_file: str | None = Field(description="the GeoJSON file loaded (null: none)")
    ingest_id: int | None
    loaded_at: datetime | None
    complete: bool = Field(description="every ICB of wfplan's code list has a boundary")
    missing: list[str] = Field(description="the ICBs of the code list without a boundary")
    features: list[BoundaryFeature]
