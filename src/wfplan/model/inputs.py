"""Model inputs: labelled arrays for one base year, validated and completed with defaults.

The dataset layer builds a :class:`ModelInputs` from the store; the model never
reads files itself. Every array is a :class:`~wfplan.model.labelled.LabelledArray`
whose dimensions are named, so a transposed array is refused. Arrays the dataset
cannot supply may be left out: they are filled from the parameter table's
``input`` defaults and recorded in :attr:`ModelInputs.assumptions`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
from pydantic import ValidationError

from wfplan.model.assumptions import Assumption
from wfplan.model.errors import ModelInputError
from wfplan.model.input_checks import canonical, check_values
from wfplan.model.labelled import Coords, LabelledArray
from wfplan.model.parameters import constant_defaults, get_spec, input_default, model_input_dims

#: Canonical dimension order of every input array (the parameter table's input arrays).
INPUT_DIMS: dict[str, tuple[str, ...]] = model_input_dims()
#: Inputs filled with the parameter table's numeric default when left out.
_CONSTANT_DEFAULTS = constant_defaults()
#: Inputs filled without a record when left out: the census trends (0: no trend is then
#: used) and the published leaver rates (used only under ``supply_calibration =
#: published_rates``). The ``supply_calibration`` parameter records what each staff group used.
_SILENT_DEFAULTS = frozenset(name for name in _CONSTANT_DEFAULTS
                             if name.startswith("supply_trend")
                             or name == "published_leaver_rate")


def _rule(name: str) -> str:
    """Return the parameter table's name of the rule that fills input ``name``."""
    return get_spec(name).default_text


@dataclass(frozen=True, eq=False)
class ModelInputs:
    """Everything the projection needs about the base year, as labelled arrays.

    Parameters
    ----------
    coords
        Area, staff group and age band codes; every array is aligned to them.
    base_year
        Calendar year of the base census (year 0 of the projection).
    age_band_width
        ``[age_band]`` years per band; the last (open) band's width is ignored.
    stock_hc
        ``[area, staff_group, age_band]`` staff in post (headcount).
    joiner_age_profile
        ``[staff_group, age_band]`` age distribution of joiners (sums to 1).
    other_joiners
        ``[area, staff_group]`` baseline other joiners a year (headcount).
    leaver_rate
        ``[area, staff_group, age_band]`` annual leaver rate (fraction).
    published_leaver_rate
        ``[staff_group, age_band]`` published annual leaver rate (evidence library),
        used instead of ``leaver_rate`` by staff groups whose ``supply_calibration``
        is ``published_rates``.
    newly_qualified_age_profile
        ``[staff_group, age_band]`` age distribution of newly qualified joiners.
    international_joiners, return_to_practice_joiners
        ``[area, staff_group]`` baseline joiners a year by route (headcount).
    supply_trend_linear, supply_trend_log_linear (and ``_se``), supply_trend_points
        Census trends of staff groups with no flows (``[area, staff_group]``
        growth a year and its standard error; ``[staff_group]`` censuses used,
        0 where none), for the ``supply_calibration`` parameter.
    fte_per_head, vacancy_fte
        ``[area, staff_group]`` FTE per head in post; vacant FTE.
    area_share
        ``[area, staff_group]`` split of national counts between areas (sums to 1).
    training_places
        ``[staff_group]`` (constant) or ``[year, staff_group]`` national intakes a year.
    training_duration, completion_rate, take_up_rate
        ``[staff_group]`` training route: whole years, fractions.
    population
        ``[variant, year, area, population_age_band]`` persons.
    utilisation
        ``[staff_group, population_age_band]`` relative activity per person.
    published_leaver_rate_sources
        Staff group to the :class:`~wfplan.model.assumptions.Assumption` naming the
        source of its published leaver rate (library row ids); the model records it
        only for the staff groups that use it.
    level, vintage
        Area level and dataset vintage, checked against the scenario when given.
    assumptions
        :class:`~wfplan.model.assumptions.Assumption` records (or mappings with
        name, value and reason) of inputs the caller defaulted; the defaults filled
        here are appended.
    area_subset
        The areas are some of a larger set (:meth:`select_areas`): ``area_share`` is
        each one's share of the whole set's counts, so over them it sums to at most 1.
    """

    coords: Coords
    base_year: int
    age_band_width: LabelledArray
    stock_hc: LabelledArray
    joiner_age_profile: LabelledArray
    other_joiners: LabelledArray
    leaver_rate: LabelledArray | None = None
    published_leaver_rate: LabelledArray | None = None
    newly_qualified_age_profile: LabelledArray | None = None
    international_joiners: LabelledArray | None = None
    return_to_practice_joiners: LabelledArray | None = None
    supply_trend_linear: LabelledArray | None = None
    supply_trend_linear_se: LabelledArray | None = None
    supply_trend_log_linear: LabelledArray | None = None
    supply_trend_log_linear_se: LabelledArray | None = None
    supply_trend_points: LabelledArray | None = None
    fte_per_head: LabelledArray | None = None
    vacancy_fte: LabelledArray | None = None
    area_share: LabelledArray | None = None
    training_places: LabelledArray | None = None
    training_duration: LabelledArray | None = None
    completion_rate: LabelledArray | None = None
    take_up_rate: LabelledArray | None = None
    population: LabelledArray | None = None
    utilisation: LabelledArray | None = None
    published_leaver_rate_sources: Mapping[str, Assumption] = field(default_factory=dict)
    level: str | None = None
    vintage: str | None = None
    assumptions: Sequence[Assumption | Mapping[str, Any]] = ()
    area_subset: bool = False
    _values: dict[str, np.ndarray] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        try:
            assumptions = [Assumption.of(item) for item in self.assumptions]
        except (ValidationError, TypeError, ValueError):
            raise ModelInputError("assumptions", "", "each needs name, value and reason") from None
        if not isinstance(self.base_year, int) or not 1900 <= self.base_year <= 2200:
            raise ModelInputError("base_year", "", "must be a calendar year (an int)")
        filled = self._fill_defaults(assumptions)
        values = {name: filled[name].values for name in INPUT_DIMS}
        for name, array in filled.items():
            object.__setattr__(self, name, array)
        object.__setattr__(self, "assumptions", tuple(assumptions))
        object.__setattr__(self, "_values", values)
        self._check_population(values)

    def _given(self) -> dict[str, LabelledArray]:
        given = {}
        for name in INPUT_DIMS:
            array = getattr(self, name)
            if array is not None:
                given[name] = self._canonical(name, array)
        return given

    def _canonical(self, name: str, array: LabelledArray) -> LabelledArray:
        if not isinstance(array, LabelledArray):
            raise ModelInputError(name, "", "must be a LabelledArray with named dimensions")
        if "year" in get_spec(name).optional_dims and "year" not in array.dims:
            # a constant over years: the series of one year, the base year
            array = LabelledArray(
                ("year", *array.dims),
                {"year": (self.base_year,), **array.coords},
                array.values[np.newaxis, ...],
            )
        array = canonical(name, array, INPUT_DIMS[name], self.coords.as_dict())
        check_values(name, array, get_spec(name), area_subset=self.area_subset)
        return array

    def _fill_defaults(self, assumptions: list[Assumption]) -> dict[str, LabelledArray]:
        arrays = self._given()
        coords = self.coords

        def record(name: str, value: object) -> None:
            spec = get_spec(name)
            reason = f"not in the inputs; default from the parameter table ({spec.source})"
            assumptions.append(Assumption(name=name, value=value, reason=reason))

        for name in _CONSTANT_DEFAULTS:
            if name not in arrays:
                value = input_default(name)
                shape = tuple(len(coords.as_dict()[dim]) for dim in INPUT_DIMS[name])
                arrays[name] = coords.label(INPUT_DIMS[name], np.full(shape, value))
                if name not in _SILENT_DEFAULTS:
                    record(name, value)
        if "training_places" not in arrays:
            places = np.zeros((1, len(coords.staff_group)))
            arrays["training_places"] = coords.label(
                "year staff_group", places, year=(self.base_year,)
            )
            record("training_places", 0.0)
        if "newly_qualified_age_profile" not in arrays:
            arrays["newly_qualified_age_profile"] = arrays["joiner_age_profile"]
            record("newly_qualified_age_profile", _rule("newly_qualified_age_profile"))
        if "area_share" not in arrays:
            arrays["area_share"] = self._headcount_share(arrays["stock_hc"].values)
            record("area_share", _rule("area_share"))
        self._fill_population(arrays, record)
        for name in ("newly_qualified_age_profile", "area_share", "utilisation"):
            check_values(name, arrays[name], get_spec(name), area_subset=self.area_subset)
        return arrays

    def _headcount_share(self, stock_hc: np.ndarray) -> LabelledArray:
        by_area = stock_hc.sum(axis=2)
        totals = by_area.sum(axis=0)
        equal = np.full_like(by_area, 1.0 / by_area.shape[0])
        share = np.divide(by_area, totals, out=equal, where=totals > 0)
        return self.coords.label("area staff_group", share)

    def _fill_population(self, arrays: dict[str, LabelledArray], record: Any) -> None:
        if "population" not in arrays:
            if "utilisation" in arrays:
                raise ModelInputError("utilisation", "", "given without a population")
            years = tuple(range(self.base_year, self.base_year + 26))
            ones = np.ones((1, len(years), len(self.coords.area), 1))
            arrays["population"] = self.coords.label(
                "variant year area population_age_band",
                ones,
                variant=("principal",),
                year=years,
                population_age_band=("all",),
            )
            record("population", _rule("population"))
        if "utilisation" not in arrays:
            bands = arrays["population"].coords["population_age_band"]
            ones = np.ones((len(self.coords.staff_group), len(bands)))
            arrays["utilisation"] = self.coords.label(
                "staff_group population_age_band", ones, population_age_band=bands
            )
            record("utilisation", 1.0)
        bands = arrays["population"].coords["population_age_band"]
        try:
            arrays["utilisation"] = arrays["utilisation"].reindex("population_age_band", bands)
        except ValueError as error:
            raise ModelInputError("utilisation", "population_age_band", str(error)) from None

    def _check_population(self, values: dict[str, np.ndarray]) -> None:
        population = self.population
        assert population is not None  # filled above
        if self.base_year not in population.coords["year"]:
            raise ModelInputError(
                "population", "year", f"must include the base year {self.base_year}"
            )
        base = population.coords["year"].index(self.base_year)
        weighted = np.einsum("vap,gp->vag", values["population"][:, base], values["utilisation"])
        establishment = self.establishment_fte()
        empty = (weighted <= 0) & (establishment > 0)[np.newaxis]
        if empty.any():
            v, a, g = np.argwhere(empty)[0]
            where = (
                f"variant={population.coords['variant'][v]}, area={self.coords.area[a]}, "
                f"staff_group={self.coords.staff_group[g]}"
            )
            raise ModelInputError(
                "population", where, "population x utilisation is zero in the base year"
            )

    def array(self, name: str) -> np.ndarray:
        """Return an input as a plain ndarray in the order given by :data:`INPUT_DIMS`."""
        return self._values[name]

    def establishment_fte(self) -> np.ndarray:
        """``[area, staff_group]`` base establishment D0 = FTE in post + vacant FTE."""
        stock = self.array("stock_hc").sum(axis=2)
        return stock * self.array("fte_per_head") + self.array("vacancy_fte")

    @property
    def population_variants(self) -> tuple[str, ...]:
        """Population projection variants available."""
        assert self.population is not None
        return tuple(str(label) for label in self.population.coords["variant"])

    @property
    def population_years(self) -> tuple[int, ...]:
        """Calendar years of the population projection."""
        assert self.population is not None
        return tuple(int(label) for label in self.population.coords["year"])

    @property
    def training_years(self) -> tuple[int, ...]:
        """Calendar intake years of the training places series."""
        assert self.training_places is not None
        return tuple(int(label) for label in self.training_places.coords["year"])

    def select_staff_groups(self, staff_groups: Sequence[str]) -> ModelInputs:
        """Return the inputs for a subset of staff groups (assumptions kept)."""
        missing = [group for group in staff_groups if group not in self.coords.staff_group]
        if missing:
            raise ModelInputError("coords", "staff_group", f"unknown staff groups {missing}")
        index = [self.coords.staff_group.index(group) for group in staff_groups]
        coords = replace(self.coords, staff_group=tuple(staff_groups))
        changes: dict[str, Any] = {"coords": coords}
        for item in fields(self):
            array = getattr(self, item.name)
            if isinstance(array, LabelledArray) and "staff_group" in array.dims:
                axis = array.dims.index("staff_group")
                values = np.take(array.values, index, axis=axis)
                labels = {**array.coords, "staff_group": tuple(staff_groups)}
                changes[item.name] = LabelledArray(array.dims, labels, values)
        return replace(self, **changes)

    def select_areas(self, areas: Sequence[str]) -> ModelInputs:
        """Return the inputs of a subset of areas (assumptions kept).

        Every array with an area dimension keeps only those areas; ``area_share`` is
        already filled (:meth:`_fill_defaults`), so each area keeps its share of the
        national counts of *all* the areas, not of the subset. The model's areas are
        separable (no quantity of one area depends on another's but through
        ``area_share``), so a run on the subset gives the subset's rows of a run on
        all of them.
        """
        missing = [area for area in areas if area not in self.coords.area]
        if missing:
            raise ModelInputError("coords", "area", f"unknown areas {missing}")
        index = [self.coords.area.index(area) for area in areas]
        changes: dict[str, Any] = {"coords": replace(self.coords, area=tuple(areas)),
                                   "area_subset": True}
        for item in fields(self):
            array = getattr(self, item.name)
            if isinstance(array, LabelledArray) and "area" in array.dims:
                values = np.take(array.values, index, axis=array.dims.index("area"))
                changes[item.name] = LabelledArray(array.dims, {**array.coords,
                                                                "area": tuple(areas)}, values)
        return replace(self, **changes)
