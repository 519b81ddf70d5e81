"""``GET /api/v1/boundaries``: the ICB boundaries a vintage holds, as GeoJSON (public data).

Boundaries are public geography (no figure, no person), so every caller, the
public included, gets the same answer, whatever their scope. The answer is kept
per process until the vintage's data changes (:mod:`wfplan.web.cache`), as the
metrics' are: a file of real boundaries is large, and the dashboard's map asks
for it on every England and region page.
"""

from __future__ import annotations

import json
from collections.abc import Hashable
from typing import Any

import pandas as pd
from fastapi import APIRouter, Request, Response

from wfplan.dataset import codelists
from wfplan.dataset.store.queries import boundaries as queries
from wfplan.dataset.store.queries.accounts import data_version
from wfplan.web.cache import ResponseCache
from wfplan.web.deps import BearerDep, VintageParam, reading
from wfplan.web.models import Problem
from wfplan.web.models_boundaries import Boundaries
from wfplan.web.routes_metrics import _read_state, cached_user

router = APIRouter(prefix="/api/v1")


@router.get("/boundaries", response_model=Boundaries, tags=["data"],
            responses={404: {"model": Problem}})
async def boundaries(request: Request, credentials: BearerDep,
                     vintage: VintageParam = None) -> Response:
    """Return the vintage's ICB boundaries (GeoJSON; no features if it holds none); 404: no vintage.

    Load them with ``wfplan ingest`` or an upload of the ONS ICB boundaries GeoJSON.
    """
    cache: ResponseCache = request.app.state.cache
    state = await cache.current(lambda: _read_state(request))
    user = await cached_user(request, credentials, cache)
    chosen = vintage or state.default
    key = (("boundaries", chosen, state.versions[chosen])
           if chosen is not None and chosen in state.versions else None)
    body = cache.answer(key) if key is not None else None
    if body is None:
        body, _ = await cache.computed(key, lambda: _answer(request, user, vintage))
    return Response(body, media_type="application/geo+json")


def _answer(request: Request, user: Any, vintage: str | None) -> tuple[bytes, Hashable]:
    """Read the boundaries from the store; return the JSON and the key to keep it under."""
    with reading(request, user, vintage) as read:
        frame = queries.of_vintage(read.store, read.vintage)
        version = data_version(read.store, read.vintage)
    icbs = codelists.get("icb")
    features = [{"type": "Feature",
                 "properties": {"icb_code": row["icb_code"],
                                "icb_name": icbs.attribute(row["icb_code"], "name")
                                if row["icb_code"] else None,
                                "ons_code": row["ons_code"], "name": row["name"],
                                "feature_index": int(row["feature_index"])},
                 "geometry": json.loads(row["geometry"])}
                for row in frame.astype(object).where(frame.notna(), None).to_dict("records")]
    first = frame.iloc[0] if len(frame) else None
    mapped = {f["properties"]["icb_code"] for f in features}
    missing = sorted(set(icbs.codes) - mapped)
    body = {"type": "FeatureCollection", "vintage": read.vintage,
            "source_file": None if first is None else str(first["source_file"]),
            "ingest_id": None if first is None else int(first["ingest_id"]),
            "loaded_at": None if first is None else pd.Timestamp(first["loaded_at"]).isoformat(),
            "complete": not missing, "missing": missing, "features": features}
    return json.dumps(body, separators=(",", ":")).encode(), ("boundaries", read.vintage,
                                                                version)
