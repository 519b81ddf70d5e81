"""Input extracts at the level the assessment models: a vintage aggregated by cell.

An assessment reads its facts by area (England, NHS region, ICB) and staff
group, never by organisation: organisations only say where staff are (their ICB,
region and sector) and which of them report flows and vacancies (the "reporting
cells" of :mod:`wfplan.inputs.flows` and :mod:`wfplan.analysis.metrics`).
So the extract replaces each organisation by a **cell**: every organisation of
one ICB, region and sector whose rows for a staff group report the same things.
A cell's code is ``~ICB~region~sector~FFV`` (``-`` for none; the three flags say
whether the staff group reports flows for the model's flow period, flows for
the period ending at the base period, and vacancies at the vacancy period);
organisations with no reference record are ``~unmapped~FFV``. Rows reported for
a whole area (a national publication) keep their area code. Cells are ICB-level
at their finest, so every level an assessment runs at, and the ICB table of its
report, sum exactly as from the organisations' own rows.

Each table keeps only the rows and columns that an assessment reads:

- ``staff_in_post``: the censuses read (the base period and the two flow
  periods' first and last censuses) by cell, staff group, age band and
  nationality (``british``, ``unknown`` or ``non_uk``: all the share of non-UK
  staff needs); grade, sex and ethnicity are dropped, and role too unless a
  scenario of the assessment projects by role (``roles``). For the ethnicity by
  pay band table, one set of England rows (``org_code`` E92000001, no staff
  group) by grade and ethnic group at the latest census with both, which no
  other figure reads. Suppressed cells stay one row each.
- ``flows``: the two flow periods, by cell, staff group, age band, direction and
  route (``international``, ``return_to_practice``, ``newly_qualified``,
  ``internal`` or ``other``); no FTE.
- ``vacancies`` at the vacancy period; ``sickness_absence`` (all staff) over the
  twelve months to the base period; ``staff_survey`` (burnout, the survey year
  matched to the base period), by cell.
- ``education`` summed nationally by academic year, staff group, completion
  rate and duration; ``population`` (persons) for England, the cells'
  regions and the local authorities of ``la_icb_lookup``; ``utilisation``
  (persons); ``la_icb_lookup`` as it is; ``distinct_headcount`` of all staff at ICB,
  region and England level at the base period; ``areas`` as they are.
- ``education_programmes`` as it is (provider, region and programme rows: the
  newly qualified supply by region reads each row's completion and take-up).
- ``asc_workforce``: the latest returns on or before the base period (the only
  ones the projections read) summed by **location cell**: every location of one
  local authority and own ICB whose row for a job role reports the same measures
  (``location_id`` ``~LA~ICB~FFFF``, names dropped). The placement and the rates
  of :mod:`wfplan.inputs.asc` (sums over the locations reporting both measures)
  are those of the locations' own rows.

Rows are grouped on whether each measure is missing, so a figure that counts
only rows with both headcount and FTE counts the same rows. The SQL is in
:mod:`wfplan.dataset.store.queries.cells` (portable to DuckDB and PostgreSQL).
"""

from __future__ import annotations

from datetime import date

from wfplan.analysis.metrics_coverage import pick_survey_year
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries import cells as queries
from wfplan.dataset.store.queries import model_inputs
from wfplan.dataset.store.queries.cells import (
    FACTS,
    PLAIN,
    ROUTES,
    Periods,
    asc_rows,
    education_rows,
    ethnicity_rows,
    fact_cells,
    organisation_cells,
    plain_rows,
)

__all__ = ["FACTS", "PLAIN", "ROUTES", "Periods", "asc_rows", "education_rows",
           "ethnicity_rows", "fact_cells", "organisation_cells", "periods", "plain_rows"]


def _day(value: object) -> date | None:
    if value is None or value != value:
        return None
    return date.fromisoformat(str(value)[:10])


def periods(store: Store, vintage: str, base: date) -> Periods:
    """Return the periods read, found as :mod:`~wfplan.assessment` and the metrics find them."""
    end = model_inputs.latest_flow_end(store, vintage, base)
    pair = None
    if end is not None:
        start = model_inputs.flow_start(store, vintage, end)
        pair = (start, end) if start is not None else None
    at_base = model_inputs.flow_start(store, vintage, base)
    vacancy = model_inputs.latest_vacancy_period(store, vintage, base)
    years = queries.survey_years(store, vintage, base.year)
    survey, _ = pick_survey_year(base, years) if years else (None, None)
    ethnicity = _day(queries.latest_ethnicity_census(store, vintage, base))
    return Periods(base, pair, at_base, vacancy, survey, ethnicity)
