"""The methods section's frames: parameter settings, assumptions and data sources.

Pure helpers, like :mod:`wfplan.report.derive` (which re-exports them): values are
described for reading (:func:`describe_value`), the parameter table becomes the
methods table, and the ingest log becomes the sources table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from wfplan.model.parameters import parameter_table
from wfplan.report import format as fmt
from wfplan.report.context import ASSUMPTION_COLUMNS, PARAMETER_COLUMNS, SOURCE_COLUMNS


def describe_value(value: Any) -> str:
    """Describe a parameter value or distribution in words, e.g. ``triangular 0.4 / 0.5 / 0.7``.

    Numbers are rounded for reading (:func:`wfplan.report.format.readable`);
    the exact values are in the bundle's ``metadata.json``.
    """
    if isinstance(value, Mapping) and "dist" in value:
        dist = str(value["dist"])
        if dist == "choice":
            return f"choice of {fmt.readable(value.get('options', []))} " \
                   f"(central {fmt.readable(value.get('central'))})"
        keys = {"triangular": ("low", "mode", "high"), "normal": ("mean", "sd"),
                "uniform": ("low", "high")}.get(dist, tuple(k for k in value if k != "dist"))
        parts = " / ".join(fmt.readable(value[k]) for k in keys if k in value)
        names = "/".join(k for k in keys if k in value)
        return f"{dist} ({names}) {parts}"
    return fmt.readable(value)


#: Shown for provenance a file did not record (a user's tidy template file records none).
NOT_RECORDED = "not stated in the file"


def sources_from_ingests(ingests: pd.DataFrame) -> pd.DataFrame:
    """Return provenance rows from the store's ``ingests`` table.

    Columns :data:`~wfplan.report.context.SOURCE_COLUMNS` and ``tables``: the
    publisher, title, period and licence each file's importer recorded (the
    demo generator's files record the publishers they are calibrated to). What
    a file did not record reads :data:`NOT_RECORDED`; a missing title reads as
    the file's format.
    """
    renamed = ingests.rename(columns={"source_file": "file"})
    out = pd.DataFrame({column: renamed.get(column) for column in (*SOURCE_COLUMNS, "tables")})
    formats = renamed.get("format", pd.Series([None] * len(renamed), index=renamed.index))
    titles = [str(f) if isinstance(f, str) and f else NOT_RECORDED for f in formats]
    out["title"] = out["title"].astype(object).where(out["title"].notna(),
                                                     pd.Series(titles, index=out.index))
    for column in ("publisher", "licence", "period"):
        out[column] = out[column].astype(object).where(out[column].notna(), NOT_RECORDED)
    return out.reset_index(drop=True)


def _settings(metadata: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    many = len(metadata) > 1
    for scenario, meta in metadata.items():
        spec = meta.get("scenario", {})
        prefix = f"{scenario}: " if many else ""
        for name, value in spec.get("parameters", {}).items():
            settings.setdefault(name, []).append(prefix + describe_value(value))
        for group, params in spec.get("staff_group_parameters", {}).items():
            for name, value in params.items():
                settings.setdefault(name, []).append(
                    f"{prefix}{group}: {describe_value(value)}")
    return settings


def _assumption_rows(metadata: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per recorded assumption; a recorded source is appended to the reason."""
    rows = []
    for scenario, meta in metadata.items():
        for item in meta.get("assumptions", []):
            reason = str(item.get("reason", ""))
            if item.get("source"):
                reason += f" Source: {item['source']}."
            rows.append({"scenario": scenario, "name": str(item.get("name")),
                         "value": describe_value(item.get("value")), "reason": reason,
                         "tier": item.get("tier"), "source": item.get("source")})
    return rows


def _setting(spec: Any, settings: dict[str, list[str]], defaulted: list[str],
             evidence: list[str]) -> str:
    """Describe how a parameter or input was set across the scenarios."""
    if spec.name in settings:
        setting = "; ".join(settings[spec.name])
        return setting + ("; default elsewhere" if defaulted else "")
    if evidence:
        setting = ("evidence library where the data lacks it: "
                   + "; ".join(dict.fromkeys(evidence)))
        return setting + (f"; default ({spec.default_text}) elsewhere" if defaulted else "")
    if defaulted:
        return f"default ({spec.default_text})"
    return "from the dataset" if spec.kind == "input" else f"default ({spec.default_text})"


def methods_from_metadata(metadata: Mapping[str, Mapping[str, Any]],
                          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the methods table (from the parameter table) and the assumptions list.

    Parameters
    ----------
    metadata : mapping
        Scenario name to ``Results.metadata`` (``scenario`` and ``assumptions``).

    Returns
    -------
    (DataFrame, DataFrame)
        :data:`~wfplan.report.context.PARAMETER_COLUMNS` for every parameter and
        input of the parameter table, ``defaulted`` true where any scenario left it
        at its table default (``defaulted_in`` names them); an input that the
        evidence library filled (an assumption of tier ``evidence``) names the
        library's rows in ``setting``; an assumption of tier ``data`` (a value
        borrowed within the vintage) is not a default. And
        :data:`~wfplan.report.context.ASSUMPTION_COLUMNS`, one row per recorded
        assumption of each scenario, its source appended to the reason.
    """
    assumptions = _assumption_rows(metadata)
    defaulted_in: dict[str, list[str]] = {}
    evidence: dict[str, list[str]] = {}
    for item in assumptions:
        if item["tier"] == "evidence":
            evidence.setdefault(item["name"], []).append(str(item["source"]))
        elif item["tier"] != "data":
            defaulted_in.setdefault(item["name"], []).append(item["scenario"])
    settings = _settings(metadata)
    rows = []
    for spec in parameter_table():
        if spec.kind == "variable":
            continue
        scenarios = list(dict.fromkeys(defaulted_in.get(spec.name, [])))
        rows.append({
            "name": spec.name, "kind": spec.kind.value, "unit": spec.unit,
            "default": spec.default_text,
            "setting": _setting(spec, settings, scenarios, evidence.get(spec.name, [])),
            "defaulted": bool(scenarios),
            "defaulted_in": ", ".join(scenarios), "description": spec.description,
            "source": spec.source,
        })
    parameters = pd.DataFrame(rows, columns=[*PARAMETER_COLUMNS, "defaulted_in", "description"])
    return parameters, pd.DataFrame(assumptions, columns=list(ASSUMPTION_COLUMNS))
