"""Fill the report's data contract from a computed assessment.

``wfplan assess`` and ``wfplan verify`` both render the report with
:func:`render_bundle_report`, from the bundle's own files (results and tables as
read back from Parquet) and the :class:`Stamp` recorded in its manifest, so that
verify can re-render ``report.html``, ``report.pdf`` and ``tables.xlsx`` and
compare them byte for byte.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from wfplan.analysis.disclosure import disclosure_text
from wfplan.assessment.compute import Computed
from wfplan.assessment.config import AssessmentConfig
from wfplan.assessment.skills import SKILLS_TABLE
from wfplan.dataset import codelists
from wfplan.report import derive
from wfplan.report import format as fmt
from wfplan.report.context import (
    SENSITIVITY_COLUMNS,
    SKILLS_COLUMNS,
    VARIANCE_COLUMNS,
    ReportData,
)
from wfplan.report.hubs import hubs_from_results
from wfplan.runs.project import ScenarioFile


@dataclass(frozen=True)
class Stamp:
    """What the report says about its bundle: each is recorded in ``manifest.json``.

    Nothing the report shows depends on the time or place it is rendered, so a
    re-render from the bundle is identical.
    """

    bundle_name: str
    created: datetime
    package_version: str
    core_sha256: str
    previous_assessment: str | None = None
    signer: str | None = None
    fingerprint: str | None = None
    #: The disclosure sentence (:meth:`wfplan.analysis.disclosure.Disclosure.text`).
    disclosure: str | None = None

    def fields(self) -> dict[str, Any]:
        """Return the manifest fields that record this stamp (besides version and digest)."""
        return {"bundle_name": self.bundle_name,
                "created": self.created.isoformat(timespec="seconds"),
                "previous_assessment": self.previous_assessment}

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any], core_sha256: str) -> Stamp:
        """Return the stamp a manifest records (``core_sha256`` as recomputed from the files).

        Raises
        ------
        ValueError
            If the manifest lacks a field or a field has the wrong form.
        """
        signature = manifest.get("signature")
        signer = str(signature["signer"]) if isinstance(signature, dict) else None
        fingerprint = str(signature["fingerprint"]) if isinstance(signature, dict) else None
        return cls(bundle_name=str(manifest["bundle_name"]),
                   created=datetime.fromisoformat(str(manifest["created"])),
                   package_version=str(manifest["environment"]["wfplan"]),
                   core_sha256=core_sha256,
                   previous_assessment=manifest.get("previous_assessment"),
                   signer=signer, fingerprint=fingerprint,
                   disclosure=disclosure_text(manifest.get("disclosure")))


def render_bundle_report(config: AssessmentConfig, base: date, computed: Computed,
                         provenance: pd.DataFrame, files: list[ScenarioFile],
                         stamp: Stamp, names: Collection[str] | None = None) -> dict[str, bytes]:
    """Return the report files of a bundle (``report.html``, ``report.pdf``, ``tables.xlsx``).

    ``names`` limits them to those files (default all three). The same data
    rendered earlier in this process gives the bytes of that rendering
    (:mod:`wfplan.assessment.rendered`).
    """
    from wfplan.assessment.rendered import render_cached

    return render_cached(report_data(config, base, computed, provenance, files, stamp), names)


def report_data(config: AssessmentConfig, base: date, computed: Computed,
                provenance: pd.DataFrame, files: list[ScenarioFile],
                stamp: Stamp, metadata: Mapping[str, Mapping[str, Any]] | None = None,
                ) -> ReportData:
    """Return the :class:`ReportData` of an assessment (England headline, regional position).

    The England totals (every staff group, each sector) are rows of the
    assessment's results, summed within each draw when the scenarios ran; the
    report takes them from there, so ``wfplan verify`` checks them too.
    ``metadata`` (scenario name to its run's metadata record) defaults to that of
    ``computed``'s projections; the report reads each record's ``scenario`` and
    ``assumptions`` only.
    """
    england = computed.results[computed.results["area"] == codelists.ENGLAND_CODE]
    if metadata is None:
        metadata = {p.scenario.name: p.results.metadata.record() for p in computed.projections}
    baseline = files[0].scenario.name
    parameters, assumptions = derive.methods_from_metadata(metadata)
    bands, overall = derive.ethnicity_from_metrics(computed.tables["ethnicity_by_band"])
    scenarios = pd.DataFrame([
        {"scenario": f.scenario.name, "title": f.scenario.title or f.scenario.name,
         "description": " ".join(f.scenario.description.split())} for f in files])
    groups, totals = derive.split_totals(
        derive.headline_from_results(england, base.year, scenario=baseline))
    gaps = {name.removeprefix("gaps_"): frame for name, frame in computed.tables.items()
            if name.startswith("gaps_")}
    region = computed.tables["position_region"]
    return ReportData(
        title=config.title,
        assessment_period=f"{config.period}: projections {base.year} to "
                          f"{base.year + config.horizon}",
        vintage=config.vintage, package_version=stamp.package_version, seed=config.seed,
        draws=config.draws, created=stamp.created, base_year=base.year,
        area_name="England", sources=derive.sources_from_ingests(provenance),
        totals=totals, headline=groups,
        position_region=region, position_icb=computed.tables["position_icb"],
        projections=derive.projection_frame(england), scenarios=scenarios,
        baseline_scenario=baseline,
        scenario_comparison=derive.scenario_comparison_from_results(england),
        interventions=derive.interventions_from_results(england, metadata),
        intervention_details=derive.intervention_details_from_metadata(metadata),
        hubs=hubs_from_results(computed.results, metadata),
        data_gaps=gaps, ethnicity=bands, ethnic_minority_overall=overall,
        wellbeing=derive.wellbeing_from_position(region), parameters=parameters,
        assumptions=assumptions, bundle_name=stamp.bundle_name,
        manifest_sha256=stamp.core_sha256,
        sensitivity=_england(computed.tables.get("sensitivity_tornado"), SENSITIVITY_COLUMNS),
        variance_shares=_england(computed.tables.get("sensitivity_variance"), VARIANCE_COLUMNS),
        comparison=_change_rows(computed.tables.get("comparison")),
        previous_assessment=stamp.previous_assessment,
        signer=stamp.signer, signer_fingerprint=stamp.fingerprint,
        disclosure=stamp.disclosure,
        plans={f.scenario.name: f.scenario.plan for f in files if f.scenario.plan is not None},
        skills=_skills(computed.tables.get(SKILLS_TABLE)),
    )


def _skills(table: pd.DataFrame | None) -> pd.DataFrame:
    """Return the skills-gap table (empty when no scenario has ``roles``)."""
    if table is None:
        return pd.DataFrame(columns=list(SKILLS_COLUMNS))
    return table.reset_index(drop=True)


def _england(table: pd.DataFrame | None, columns: tuple[str, ...]) -> pd.DataFrame:
    """England's rows of a sensitivity table (none when the bundle has no such table)."""
    if table is None:
        return pd.DataFrame(columns=list(columns))
    return table[table["area"] == codelists.ENGLAND_CODE].reset_index(drop=True)


def _change_rows(table: pd.DataFrame | None) -> pd.DataFrame | None:
    """Turn ``compare_bundles`` output into the report's what-changed rows."""
    if table is None:
        return None
    rows = [{
        "measure": f"{r.scenario}: {fmt.staff_group_name(r.staff_group)} gap, "
                   f"{r.horizon_years} years on (FTE)",
        "previous": r.old_gap_fte, "current": r.new_gap_fte, "change": r.change_fte,
        "reason": f"new data {r.data_effect_fte:+,.0f} FTE; changed assumptions "
                  f"{r.assumptions_effect_fte:+,.0f} FTE",
    } for r in table.itertuples(index=False)]
    return pd.DataFrame(rows, columns=["measure", "previous", "current", "change", "reason"])
