"""Build the model's inputs from a vintage: data → :class:`~wfplan.model.ModelInputs`.

:func:`build_inputs` reads the store (read-only) through the domain queries of
:mod:`wfplan.dataset.store.queries.model_inputs` and hands the model labelled arrays
for one base period, at the level asked (England, NHS region, ICB or
organisation: detail is kept, results are aggregated afterwards).
Where the data lacks something, a documented default is used and recorded in
``ModelInputs.assumptions`` (name, value, reason), which the model carries into
every result's metadata, so no default is silent. The derivations are
described in :mod:`~wfplan.inputs.stock`, :mod:`~wfplan.inputs.flows`,
:mod:`~wfplan.inputs.training`, :mod:`~wfplan.inputs.demography` and
``docs/projections.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

import numpy as np

from wfplan.dataset import codelists
from wfplan.dataset.geography import LEVELS
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries.model_inputs import staff_in_post_periods
from wfplan.errors import InputError
from wfplan.inputs.asc import returned_vacancies, with_returns
from wfplan.inputs.demography import read_demography
from wfplan.inputs.flows import Flows, read_flows
from wfplan.inputs.programmes import (
    Programmes,
    merge_training,
    read_programmes,
    regional_area_share,
)
from wfplan.inputs.resolve import record, resolve_groups, resolve_leaver_rate
from wfplan.inputs.source import Assumptions, Selection, age_bands
from wfplan.inputs.stock import Stock, base_stock, vacancies
from wfplan.inputs.training import Training, read_training
from wfplan.inputs.trend import Trend, no_trend, read_trend
from wfplan.model import Coords, LabelledArray, ModelInputs
from wfplan.model.assumptions import Assumption


def resolve_period(store: Store, vintage: str, period: date | str | None = None,
                   known_at: date | None = None) -> date:
    """Return the base period: the census given, else the latest (up to ``known_at``).

    ``period`` is a date, or ``YYYY-MM`` for the census of that month.
    """
    periods = staff_in_post_periods(store, vintage, known_at)
    if not periods:
        raise InputError(f"vintage {vintage!r} has no staff in post to build inputs from")
    if period is None:
        return periods[-1]
    text = str(period)[:10]
    matches = [p for p in periods if p.isoformat() == text or p.isoformat()[:7] == text]
    if len(matches) == 1:
        return matches[0]
    try:
        date.fromisoformat(text if len(text) == 10 else f"{text}-01")
    except ValueError:
        raise InputError(f"base period {period!r} is not a date (YYYY-MM-DD or YYYY-MM)"
                         ) from None
    held = ", ".join(p.isoformat() for p in periods)
    raise InputError(f"vintage {vintage!r} has no staff in post on {text} (censuses: {held})")


def _staff_groups(groups: Sequence[str] | None) -> tuple[str, ...] | None:
    """Return the codes of the staff groups asked for; refuse one the code list lacks.

    A staff-group value outside the code list is never a model dimension, even
    when asked for by name: its rows are kept in the dataset, as unmapped.
    """
    if groups is None:
        return None
    codes = []
    for label in groups:
        code = codelists.get("staff_group").code_for(label)
        if code is None:
            raise InputError(
                f"staff group {label!r} is not in the staff-group code list, so it is never "
                "projected (rows that give it are kept in the dataset, as unmapped values); "
                "staff groups are: " + ", ".join(codelists.get("staff_group").codes))
        codes.append(code)
    return tuple(dict.fromkeys(codes))


def _check(store: Store, vintage: str, level: str, sector: str | None) -> None:
    if level not in LEVELS:
        raise InputError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    sectors = codelists.get("sector").codes
    if sector is not None and sector not in sectors:
        raise InputError(f"sector must be one of {', '.join(sectors)}, not {sector!r}")
    store.require_vintage(vintage)


def _joiners(flows: Flows, training: Training | None, stock: Stock,
             assumptions: Assumptions) -> dict[str, np.ndarray]:
    """Observed newly qualified joiners count as other joiners where there is no training."""
    trained = training.trained if training else frozenset()
    other = flows.joiners["other"].copy()
    moved = []
    for g, group in enumerate(stock.staff_groups):
        if group not in trained and flows.joiners["newly_qualified"][:, g].any():
            other[:, g] += flows.joiners["newly_qualified"][:, g]
            moved.append(group)
    if moved:
        assumptions.add("other_joiners", "includes observed newly qualified joiners",
                        f"no training places for staff groups {', '.join(moved)}: newly qualified "
                        "joiners continue at the base-period number, as other joiners")
    return {**flows.joiners, "other": other}


def _without(training: Training | None, steady: frozenset[str],
             assumptions: Assumptions) -> Training | None:
    """Drop the training route of staff groups held steady (their joiners replace leavers)."""
    if training is None or not steady & training.trained:
        return training
    dropped = sorted(steady & training.trained)
    keep = np.array([group not in steady for group in training.groups], dtype=float)
    assumptions.add("training_places", 0.0,
                    f"no flows for staff groups {', '.join(dropped)}: their stock is held steady "
                    "(joiners "
                    "replace leavers), so their education places are not added on top")
    return replace(training, places=training.places * keep,
                   trained=training.trained - steady)


def _training_arrays(training: Training | None, coords: Coords) -> dict[str, LabelledArray]:
    if training is None:
        return {}
    return {
        "training_places": coords.label("year staff_group", training.places,
                                        year=training.years),
        "training_duration": coords.label("staff_group", training.duration),
        "completion_rate": coords.label("staff_group", training.completion),
    }


def _take_up(stock: Stock, coords: Coords,
             assumptions: Assumptions) -> dict[str, LabelledArray]:
    """Take-up from the evidence library where it has a figure (the vintage has none).

    When no staff group has one, the model fills the parameter table's default.
    """
    found = resolve_groups("take_up_rate", stock.staff_groups)
    if all(item.row is None for item in found):
        return {}
    record(assumptions, found, "no take-up rate in the data")
    return {"take_up_rate": coords.label("staff_group",
                                         np.array([item.value for item in found]))}


def _programme_arrays(selection: Selection, stock: Stock, coords: Coords,
                      programmes: Programmes, arrays: dict[str, LabelledArray],
                      assumptions: Assumptions) -> dict[str, LabelledArray]:
    """Take-up and ``area_share`` where ``education_programmes`` gives them by region."""
    if "take_up_rate" in arrays:
        base = np.asarray(arrays["take_up_rate"].values, dtype=np.float64)
    else:
        base = np.array([item.value for item in resolve_groups("take_up_rate",
                                                               stock.staff_groups)])
    take_up = np.where(np.isnan(programmes.take_up), base, programmes.take_up)
    share = regional_area_share(selection, stock, programmes, assumptions)
    return {"take_up_rate": coords.label("staff_group", take_up),
            "area_share": coords.label("area staff_group", share)}


def _published_leaver_rate(stock: Stock, coords: Coords,
                           ) -> tuple[LabelledArray, dict[str, Assumption]]:
    """Return every staff group's published leaver rates (library, else default) and sources.

    Resolved as for a staff group with no flows, so a group held steady (joiners =
    leavers) has the same rates either way. Not recorded here: the model records a
    group's source only when its ``supply_calibration`` is ``published_rates``.
    """
    rates, sources = [], {}
    for group in stock.staff_groups:
        rate, assumption = resolve_leaver_rate(group, stock.age_bands)
        rates.append(rate)
        sources[group] = assumption
    return coords.label("staff_group age_band", np.array(rates)), sources


def build_inputs(store: Store, vintage: str, period: date | str | None = None,
                 level: str = "england", staff_groups: Sequence[str] | None = None,
                 sector: str | None = None, *, known_at: date | None = None,
                 demography: bool = True, trend_censuses: int | None = None) -> ModelInputs:
    """Build :class:`~wfplan.model.ModelInputs` from a vintage.

    Parameters
    ----------
    store, vintage
        Where the data is.
    period
        Base census date (default: the latest staff-in-post period).
    level
        ``england``, ``region``, ``icb`` or ``org``: the model's areas.
    staff_groups, sector
        Only these staff groups (codes or labels) / organisations of this sector.
    known_at
        Use only what was known at this date (back-tests): censuses, vacancies
        and flows up to it, education intakes that started by it, and population
        years up to its year.
    demography
        Read population and utilisation (otherwise demand has no demographic driver).
    trend_censuses
        Censuses (the last N up to the base period; default all) from which the
        census trend of staff groups with no flows is estimated
        (:mod:`~wfplan.inputs.trend`).

    Returns
    -------
    ModelInputs
        Areas and staff groups with staff in post at the base period; every
        defaulted input recorded in ``assumptions``.
    """
    _check(store, vintage, level, sector)
    base = resolve_period(store, vintage, period, known_at)
    groups = _staff_groups(staff_groups)
    selection = Selection(store, vintage, level, base, sector, groups)
    assumptions = Assumptions()
    stock = base_stock(selection, assumptions)
    if groups:
        absent = [g for g in groups if g not in stock.staff_groups]
        if absent:
            raise InputError(f"staff groups {absent} have no staff in post in vintage "
                             f"{vintage!r} on {base} (level {level})")
    coords = Coords(area=stock.areas, staff_group=stock.staff_groups, age_band=stock.age_bands)
    flows, returns = with_returns(selection, stock, read_flows(selection, stock, assumptions),
                                  assumptions)
    last_year = known_at.year if known_at else 9999
    training = read_training(store, vintage, stock.staff_groups, base, assumptions, known_at)
    programmes = read_programmes(selection, stock, base, assumptions, known_at)
    if programmes is not None:
        training = merge_training(training, programmes.training)
    training = _without(training, flows.steady, assumptions)
    joiners = _joiners(flows, training, stock, assumptions)
    arrays: dict[str, LabelledArray] = _training_arrays(training, coords)
    arrays.update(_take_up(stock, coords, assumptions))
    if programmes is not None:
        arrays.update(_programme_arrays(selection, stock, coords, programmes, arrays,
                                        assumptions))
    vacancy = returned_vacancies(stock, returns, vacancies(selection, stock, assumptions),
                                 assumptions)
    if vacancy is not None:
        arrays["vacancy_fte"] = coords.label("area staff_group", vacancy)
    if flows.newly_qualified_age_profile is not None:
        arrays["newly_qualified_age_profile"] = coords.label(
            "staff_group age_band", flows.newly_qualified_age_profile)
    if demography:
        arrays.update(_demography(selection, stock, coords, last_year, assumptions))
    # always given (zeros where no trend was estimated), so the methods table is right to
    # say the census trends come from the dataset
    trend = read_trend(selection, stock, flows.steady, assumptions, trend_censuses)
    arrays.update(_trend_arrays(trend or no_trend(stock), coords))
    return _model_inputs(selection, stock, flows, joiners, arrays, assumptions)


def _trend_arrays(trend: Trend, coords: Coords) -> dict[str, LabelledArray]:
    arrays = {"supply_trend_points": coords.label("staff_group", trend.points)}
    for form in trend.slope:
        arrays[f"supply_trend_{form}"] = coords.label("area staff_group", trend.slope[form])
        arrays[f"supply_trend_{form}_se"] = coords.label("area staff_group", trend.se[form])
    return arrays


def _model_inputs(selection: Selection, stock: Stock, flows: Flows,
                  joiners: dict[str, np.ndarray], arrays: dict[str, LabelledArray],
                  assumptions: Assumptions) -> ModelInputs:
    coords = Coords(area=stock.areas, staff_group=stock.staff_groups, age_band=stock.age_bands)
    _, widths = age_bands()
    published, sources = _published_leaver_rate(stock, coords)
    return ModelInputs(
        coords=coords, base_year=selection.period.year,
        age_band_width=coords.label("age_band", widths),
        stock_hc=coords.label("area staff_group age_band", stock.headcount),
        fte_per_head=coords.label("area staff_group", stock.fte_per_head),
        leaver_rate=coords.label("area staff_group age_band", flows.leaver_rate),
        published_leaver_rate=published, published_leaver_rate_sources=sources,
        joiner_age_profile=coords.label("staff_group age_band", flows.joiner_age_profile),
        other_joiners=coords.label("area staff_group", joiners["other"]),
        international_joiners=coords.label("area staff_group", joiners["international"]),
        return_to_practice_joiners=coords.label("area staff_group",
                                                joiners["return_to_practice"]),
        **arrays, level=selection.level, vintage=selection.vintage,
        assumptions=assumptions.records, area_subset=False)


def _demography(selection: Selection, stock: Stock, coords: Coords, last_year: int,
                assumptions: Assumptions) -> dict[str, LabelledArray]:
    regions = selection.regions()
    regions = {area: regions.get(area) for area in stock.areas}
    found = read_demography(selection.store, selection.vintage, selection.level, regions,
                            tuple(stock.staff_groups), selection.period.year, last_year,
                            assumptions, on=selection.period)
    if found is None:
        return {}
    return {
        "population": coords.label("variant year area population_age_band", found.population,
                                   variant=found.variants, year=found.years,
                                   population_age_band=found.bands),
        "utilisation": coords.label("staff_group population_age_band", found.utilisation,
                                    population_age_band=found.bands),
    }
