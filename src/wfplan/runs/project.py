"""Run scenarios on a vintage: scenario files → inputs → model → long tables.

Over 400 lines (issue 10 allows it with a reason): the size and memory checks
(``check_size``, ``check_memory``) sit beside the run they guard, which ``wfplan sweep``
and ``wfplan project`` share.

This is where the files are read (the model never reads one): a scenario
file is parsed and validated, checked against the store (vintage, base period,
level, staff groups), the inputs are built from the vintage
(:func:`~wfplan.inputs.build.build_inputs`), the model is run, and the
results become the IAMC long table
``scenario, area, staff_group, variable, unit, year, statistic, value`` with
the areas of the run's level followed by England (their sum, ratios
recomputed) and England's totals over staff groups (every group, each sector),
summed within each draw. The metadata names the scenario, file hash, vintage, seed, every
assumption, where each parameter value comes from, the source and owner of
every intervention, and the data sources of the vintage.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from wfplan.dataset import codelists
from wfplan.dataset.codelists import staff_group_order
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries.model_inputs import ingest_sources
from wfplan.errors import InputError
from wfplan.inputs.build import resolve_period
from wfplan.inputs.roles import scenario_inputs
from wfplan.model import (
    ModelInputError,
    ModelInputs,
    Results,
    Scenario,
    ScenarioError,
    aggregate,
    load_scenario_text,
    parameter_table,
    parse_scenario,
    run,
    to_long,
)
from wfplan.model.aggregate import staff_group_totals, sum_staff_groups
from wfplan.model.levels import Level
from wfplan.model.roles import role_totals
from wfplan.model.skills import Substitution
from wfplan.runs.care_pay import with_care_pay
from wfplan.runs.outputs import LICENCE
from wfplan.runs.skills import skills_rows
from wfplan.runs.wellbeing import with_wellbeing

ENGLAND = codelists.ENGLAND_CODE
HORIZONS = (5, 10, 15)
#: Called with a description, the scenarios done and the scenarios in all.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ScenarioFile:
    """A validated scenario and the file it came from."""

    path: Path
    scenario: Scenario
    sha256: str


#: Where the shipped scenarios live in the package (identical to the repository's scenarios/).
SHIPPED_SCENARIOS = ("data", "scenarios")


def shipped_scenarios() -> dict[str, Path]:
    """Return the scenarios shipped with wfplan by name (``baseline``, ``ltwp``)."""
    folder = resources.files("wfplan").joinpath(*SHIPPED_SCENARIOS)
    return {entry.name.removesuffix(".toml"): Path(str(entry))
            for entry in sorted(folder.iterdir(), key=lambda e: e.name)
            if entry.name.endswith(".toml")}


def find_scenario(ref: str | os.PathLike[str]) -> Path:
    """Return the scenario file ``ref`` names: a path, else a shipped scenario's name.

    A file that exists wins; otherwise a bare name (``baseline`` or
    ``baseline.toml``, no folder) is a shipped scenario. Anything else is
    returned as given, for :func:`read_scenario` to report.
    """
    path = Path(ref)
    if path.exists() or path.parent != Path("."):
        return path
    return shipped_scenarios().get(path.name.removesuffix(".toml"), path)


def read_scenario(path: str | os.PathLike[str]) -> ScenarioFile:
    """Read and validate a scenario file (a path or a shipped scenario's name).

    A problem is an :class:`InputError` naming each field.
    """
    path = find_scenario(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        shipped = ", ".join(shipped_scenarios())
        raise InputError(f"{path}: cannot read the scenario file ({error.strerror}); "
                         f"shipped scenarios, named without a folder: {shipped}") from None
    try:
        scenario = load_scenario_text(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file") from None
    except ScenarioError as error:
        raise InputError(f"{path}: {error}") from None
    return ScenarioFile(path, scenario, hashlib.sha256(data).hexdigest())


def with_overrides(scenario: Scenario, **changes: Any) -> Scenario:
    """Return the scenario with the given fields replaced (``None`` keeps a field), revalidated."""
    given = {name: value for name, value in changes.items() if value is not None}
    if not given:
        return scenario
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    try:
        return parse_scenario({**data, **given})
    except ScenarioError as error:
        raise InputError(str(error)) from None


@dataclass(frozen=True)
class Projection:
    """One scenario's results, long table and metadata, and the inputs it ran on."""

    scenario: Scenario
    results: Results
    table: pd.DataFrame
    metadata: dict[str, Any]
    inputs: ModelInputs | None = field(default=None, repr=False, compare=False)


def _parameters(scenario: Scenario) -> list[dict[str, Any]]:
    """Where each parameter value comes from: the scenario file or the table's default."""
    out: list[dict[str, Any]] = []
    for spec in parameter_table():
        if spec.kind != "parameter":
            continue
        values = {"": scenario.parameters.get(spec.name)}
        for group, group_values in sorted(scenario.staff_group_parameters.items()):
            if spec.name in group_values:
                values[group] = group_values[spec.name]
        for group, value in values.items():
            if group == "" and value is None:
                out.append({"name": spec.name, "value": spec.default_text, "set_by": "default",
                            "source": spec.source})
            elif value is not None:
                shown = value.model_dump() if hasattr(value, "model_dump") else value
                out.append({"name": spec.name + (f"[{group}]" if group else ""),
                            "value": shown, "set_by": f"scenario {scenario.name}",
                            "source": f"scenario file (parameter table: {spec.source})"})
    return out


def data_sources(store: Store, vintage: str) -> list[dict[str, Any]]:
    """Return the files loaded into the vintage (no load times: outputs stay reproducible)."""
    frame = ingest_sources(store, vintage)
    frame = frame.astype(object).where(frame.notna(), None)
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _sectors() -> dict[str, str]:
    """Staff group (and role) code -> sector code, from the staff-group and role code lists."""
    sectors = {row["code"]: row["sector"] for row in codelists.get("staff_group").rows}
    for role, group in role_parents().items():
        sectors.setdefault(role, sectors.get(group, ""))
    return sectors


def role_parents() -> dict[str, str]:
    """Role code -> its staff group, from the role code list."""
    return {row["code"]: row["staff_group"] for row in codelists.get("role").rows}


def _long_table(results: Results, substitutions: Sequence[Substitution] = ()) -> pd.DataFrame:
    """Return the long table: the run's areas, England, then England's staff-group totals.

    The totals (every staff group, and each sector) are summed within each draw
    before their percentiles are taken (:func:`~wfplan.model.aggregate.sum_staff_groups`).
    A run by role has its roles' rows and, after each level's, their staff groups'
    (the roles summed within each draw), then the skills-gap view's rows
    (:func:`~wfplan.runs.skills.skills_rows`).
    """
    parents = role_parents()
    groups = role_totals(results.staff_groups, parents)
    parts = [results]
    if groups:
        parts.append(sum_staff_groups(results, groups))
    england = results
    if results.metadata.level != Level.ENGLAND:
        england = aggregate(results, dict.fromkeys(results.areas, ENGLAND), Level.ENGLAND.value)
        parts.append(england)
        if groups:
            parts.append(sum_staff_groups(england, groups))
    totals = staff_group_totals(england.staff_groups, _sectors())
    parts.append(sum_staff_groups(england, totals))
    table = to_long(parts)
    if not groups:
        return table
    views = [results] if england is results else [results, england]
    parent = {code: parents[code] for code in results.staff_groups if code in parents}
    try:
        skills = skills_rows(views, parent, substitutions)
    except ValueError as error:
        raise InputError(f"scenario {results.scenario!r}: {error}") from None
    return pd.concat([table, skills], ignore_index=True)


def project_one(store: Store, source: ScenarioFile, inputs: ModelInputs, base_period: str,
                *, draws: int | None = None, seed: int | None = None,
                level: str | None = None) -> Projection:
    """Run one scenario on prepared inputs and build its table and metadata."""
    scenario = with_overrides(source.scenario, draws=draws, seed=seed, level=level)
    check_size(inputs, scenario)
    try:
        results = run(inputs, scenario)
    except (ScenarioError, ModelInputError) as error:
        raise InputError(f"{source.path}: {error}") from None
    meta = results.metadata.record()
    metadata = {
        "scenario": meta["scenario"], "scenario_file": source.path.name,
        "scenario_sha256": source.sha256, "vintage": inputs.vintage,
        "base_period": base_period, "base_year": meta["base_year"], "level": meta["level"],
        "seed": meta["seed"], "draws": meta["draws"], "horizon": meta["horizon"],
        "uncertain_parameters": meta["uncertain_parameters"],
        "parameters": _parameters(scenario), "interventions": meta["interventions"],
        "assumptions": meta["assumptions"], "wfplan_version": meta["wfplan_version"],
    }
    table = _long_table(results, scenario.substitutions or ())
    return Projection(scenario, results, table, metadata, inputs)


#: Rows of the long table above which a run is refused (a planner's file, not a dump).
MAX_ROWS = 25_000_000
#: Share of the machine's memory a run may plan to use.
MEMORY_SHARE = 0.5


def check_size(inputs: ModelInputs, scenario: Scenario) -> None:
    """Refuse a run whose table or arrays would not fit, before it starts.

    The long table has about 4 statistics x 18 variables per area (plus England),
    staff group and year; the model's peak memory is about five stored variables
    of draws x years x areas x staff groups (docs/model.md).
    """
    areas, groups = len(inputs.coords.area), len(inputs.coords.staff_group)
    cells = (areas + 1) * groups * (scenario.horizon + 1)
    rows = cells * 4 * 18
    if rows > MAX_ROWS:
        raise InputError(f"scenario {scenario.name!r}: {areas:,} areas x {groups} staff groups "
                         f"would make a table of about {rows:,} rows; {SIZE_ADVICE}")
    check_memory(inputs, scenario)


SIZE_ADVICE = "use a coarser --level, fewer staff groups in the scenario, or fewer --draws"


def run_memory(inputs: ModelInputs, scenario: Scenario) -> int:
    """Return the bytes one run needs at its peak: five variables of draws x cells (about)."""
    areas, groups = len(inputs.coords.area), len(inputs.coords.staff_group)
    return 5 * 8 * (scenario.draws + 1) * (areas + 1) * groups * (scenario.horizon + 1)


def check_memory(inputs: ModelInputs, scenario: Scenario) -> None:
    """Refuse a run whose arrays would not fit in :data:`MEMORY_SHARE` of this machine."""
    peak = run_memory(inputs, scenario)
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return
    if peak > MEMORY_SHARE * memory:
        raise InputError(f"scenario {scenario.name!r}: {scenario.draws:,} draws over "
                         f"{len(inputs.coords.area):,} areas and "
                         f"{len(inputs.coords.staff_group)} staff groups need about "
                         f"{peak / 2**30:.1f} GiB of memory; this machine has "
                         f"{memory / 2**30:.1f} GiB; {SIZE_ADVICE}")


def choose_vintage(store: Store, scenario: Scenario, vintage: str | None,
             tell: Callable[[str], None]) -> str:
    """Return the vintage to run on: ``vintage``, else base_vintage, else the store's default."""
    named = scenario.base_vintage
    if vintage:
        if named and vintage != named:
            tell(f"scenario {scenario.name!r} names base_vintage {named!r}; running it on "
                 f"--vintage {vintage!r}")
        return vintage
    if named:
        return named
    choice = store.resolve_vintage(None)
    if choice.note:
        tell(choice.note)
    return choice.name


def project(store: Store, paths: Sequence[str | os.PathLike[str]], *,
            vintage: str | None = None, draws: int | None = None, seed: int | None = None,
            level: str | None = None, progress: Progress | None = None,
            tell: Callable[[str], None] | None = None, cache: bool = False,
            ) -> list[Projection]:
    """Read, check and run each scenario on its vintage; inputs are built once per need.

    ``paths`` are scenario files or shipped scenarios' names. The vintage is
    ``vintage`` if given, else the scenario's ``base_vintage``, else the
    store's default (:meth:`Store.resolve_vintage`); ``tell`` hears which,
    when it was not named, and when ``vintage`` overrides a base_vintage. With
    ``cache``, inputs built from a frozen vintage are kept on disk and read back
    when nothing they depend on has changed (:mod:`wfplan.inputs.cache`).
    """
    note = progress or (lambda _text, _done, _total: None)
    told: list[str] = []

    def once(text: str) -> None:
        if text not in told:
            told.append(text)
            if tell:
                tell(text)

    files = [read_scenario(path) for path in paths]
    names = [source.scenario.name for source in files]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InputError(f"several scenario files are named {repeated}: each scenario needs "
                         "its own name to be told apart in the results")
    ready: dict[tuple[Any, ...], tuple[ModelInputs, str]] = {}
    out: list[Projection] = []
    for index, source in enumerate(files):
        scenario = with_overrides(source.scenario, level=level)
        chosen = choose_vintage(store, scenario, vintage, once)
        store.require_vintage(chosen)
        if scenario.base_vintage not in (None, chosen):
            source = replace(source, scenario=with_overrides(source.scenario,
                                                             base_vintage=chosen))
        source = replace(source, scenario=with_care_pay(
            with_wellbeing(store, chosen, source.scenario)))
        groups = None if scenario.staff_groups == "all" else tuple(scenario.staff_groups)
        roles = scenario.roles if scenario.roles is None or scenario.roles == "all" \
            else tuple(scenario.roles)
        key = (chosen, scenario.base_period, scenario.level, groups, roles)
        if key not in ready:
            note(f"{scenario.name}: building inputs from vintage {chosen!r}", index, len(files))
            period = resolve_period(store, chosen, scenario.base_period)
            try:
                built = scenario_inputs(store, chosen, period, scenario, use_cache=cache)
            except ModelInputError as error:
                raise InputError(f"inputs from vintage {chosen!r}: {error}") from None
            ready[key] = (built, period.isoformat())
        inputs, base_period = ready[key]
        count = scenario.draws if draws is None else draws
        note(f"{scenario.name}: projecting {count} draws", index, len(files))
        out.append(project_one(store, source, inputs, base_period, draws=draws, seed=seed,
                               level=level))
    note("done", len(files), len(files))
    return out


def combined(store: Store, projections: Sequence[Projection]) -> tuple[pd.DataFrame,
                                                                        dict[str, Any]]:
    """Return one long table of every projection and its metadata."""
    tables = [p.table for p in projections]
    # one table is kept as it is: a copy of a planner's whole table costs its size again
    table = tables[0] if len(tables) == 1 else pd.concat(tables, ignore_index=True)
    vintages = sorted({str(p.metadata["vintage"]) for p in projections})
    metadata = {
        "table": "IAMC long table: scenario, area, staff_group, variable, unit, year, "
                 "statistic, value; the areas of the run's level, then England (their sum), "
                 "then England's totals over staff groups (all_staff_groups and all_<sector>"
                 "), summed within each draw before percentiles are taken",
        "licence": LICENCE,
        "scenarios": [p.metadata for p in projections],
        "data_sources": [dict(item, vintage=v) for v in vintages
                         for item in data_sources(store, v)],
    }
    return table, metadata


def headline(table: pd.DataFrame, years: Sequence[int] = HORIZONS,
             areas: Sequence[str] | None = (ENGLAND,)) -> pd.DataFrame:
    """Return the gap (FTE) by staff group ``years`` after the base year: P50, P5 and P95.

    Columns ``scenario, area, staff_group, horizon, year, p50, p5, p95``; ``areas``
    ``None`` keeps every area. Horizons beyond a scenario's horizon are left out; a
    scenario shorter than all of them is shown at its last year. England's totals
    (``all_staff_groups``, then each sector's ``all_<sector>``) come first, then the
    staff groups in the staff-group code list's order
    (:func:`wfplan.dataset.codelists.staff_group_order`).
    """
    gap = table[(table["variable"] == "gap_fte") & table["statistic"].isin(["p5", "p50", "p95"])]
    if areas is not None:
        gap = gap[gap["area"].isin(list(areas))]
    span = table.groupby("scenario")["year"].agg(["min", "max"])
    gap = gap.assign(horizon=gap["year"] - gap["scenario"].map(span["min"]))
    last = gap["year"] == gap["scenario"].map(span["max"])
    wanted = gap["horizon"].isin(list(years))
    short = ~gap["scenario"].map(wanted.groupby(gap["scenario"]).any())
    gap = gap[wanted | (short & last)]
    if gap.empty:
        return pd.DataFrame(columns=["scenario", "area", "staff_group", "horizon", "year", "p50",
                                     "p5", "p95"])
    wide = gap.pivot_table(index=["scenario", "area", "staff_group", "horizon", "year"],
                           columns="statistic", values="value", sort=False).reset_index()
    wide.columns.name = None
    # the distinct values in order of appearance (not a Python loop over every row)
    order = {name: i for i, name in enumerate(table["scenario"].unique())}
    rank = {g: i for i, g in enumerate(staff_group_order(table["staff_group"].unique()))}
    keys = {"scenario": order, "staff_group": rank}
    wide = wide.sort_values(["scenario", "area", "staff_group", "horizon"],
                            key=lambda s: s.map(keys[str(s.name)]) if s.name in keys else s)
    return wide[["scenario", "area", "staff_group", "horizon", "year", "p50", "p5",
                 "p95"]].reset_index(drop=True)


def side_by_side(heads: pd.DataFrame) -> pd.DataFrame:
    """Return the headline with one column per scenario: rows area × staff group × horizon.

    Each cell is ``(p50, p5, p95)``; a scenario without that row has ``None``.
    """
    triples = zip(heads["p50"], heads["p5"], heads["p95"], strict=True)
    cells = heads.assign(cell=pd.Series(list(triples), index=heads.index, dtype=object))
    scenarios = list(dict.fromkeys(heads["scenario"]))
    wide = cells.pivot(index=["area", "staff_group", "horizon"], columns="scenario",
                       values="cell")
    wide = wide.reindex(columns=scenarios).astype(object)
    wide = wide.where(wide.notna(), None).reset_index()
    wide.columns.name = None
    return wide
