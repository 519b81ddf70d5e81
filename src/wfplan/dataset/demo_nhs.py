"""NHS trust staff for the demo: staff group × AfC grade × age band × ethnicity × nationality.

Each staff group's national headcount and FTE come from the calibration file
(the March 2025 totals split by the September 2017 staff-group shares). The
group is spread over trusts by trust type and size, then over cells:

- grade from the 2019 grade mix of the group;
- age from the group's age profile, tilted older at higher grades;
- ethnicity from the 2019 ethnic-minority share of the grade (so the share
  falls with AfC band), raised to the 2023 national level and tilted by region;
- nationality given ethnicity, matching the group's 2017 shares moved on by
  the international recruitment assumption.
"""

from __future__ import annotations

import numpy as np

from wfplan.dataset import codelists
from wfplan.dataset.demo_calibration import Calibration
from wfplan.dataset.demo_places import OrgSet
from wfplan.dataset.demo_workforce import Cohort, along, normalise, share_out

DIMS = ("grade", "age_band", "ethnicity", "nationality")
NATIONALITIES = ("british", "eu_eea", "non_eu", "unknown")
LEAVE_ROUTES = ("retirement", "voluntary", "other", "other_nhs")
JOIN_ROUTES = ("newly_qualified", "international", "return_to_practice", "other")
#: Age profile family of each NHS staff group (profiles are in the calibration file).
AGE_FAMILY = {
    "hchs_doctors": "doctors", "nurses_health_visitors": "registered", "midwives": "registered",
    "ambulance_staff": "registered", "scientific_therapeutic_technical": "registered",
    "support_doctors_nurses_midwives": "support", "support_ambulance": "support",
    "support_stt": "support", "central_functions": "infrastructure",
    "hotel_property_estates": "infrastructure", "unknown_classification": "infrastructure",
    "managers": "managers", "senior_managers": "managers",
}
#: Relative staff of a group per unit of trust size, by trust type (layout, not a statistic).
TYPE_WEIGHT = {
    "Acute": {},
    "Mental Health": {"hchs_doctors": .5, "nurses_health_visitors": .9, "midwives": 0,
                      "scientific_therapeutic_technical": .7, "support_stt": .4,
                      "hotel_property_estates": .6, "managers": 1.2, "senior_managers": 1.2},
    "Community": {"hchs_doctors": .15, "nurses_health_visitors": 1.1, "midwives": .1,
                  "scientific_therapeutic_technical": 1.3, "support_doctors_nurses_midwives": .8,
                  "support_stt": .8, "hotel_property_estates": .4, "managers": 1.2,
                  "senior_managers": 1.2},
    "Ambulance": {"hchs_doctors": .01, "nurses_health_visitors": .05, "midwives": 0,
                  "scientific_therapeutic_technical": .02, "support_doctors_nurses_midwives": 0,
                  "support_stt": 0, "central_functions": .5, "hotel_property_estates": .3,
                  "managers": .8, "senior_managers": .8},
}
AMBULANCE_ONLY = ("ambulance_staff", "support_ambulance")
#: Cap on the yearly probability of leaving a cell by any route.
MAX_LEAVE_P = 0.9
#: How strongly seniority (AfC band) shifts the age profile older.
SENIORITY_AGE_TILT = 0.6
#: Joiner grade tilt towards the lowest grades, by route.
JOIN_GRADE_TILT = {"newly_qualified": 3.0, "international": 1.5, "return_to_practice": 0.0,
                   "other": 0.7}


def staff_groups() -> tuple[str, ...]:
    """Return the NHS trust staff-group codes in code-list order."""
    return tuple(r["code"] for r in codelists.get("staff_group").rows if r["sector"] == "nhs_trust")


def national_targets(cal: Calibration, period_end: str) -> dict[str, dict[str, tuple[int, float]]]:
    """Return ``{period: {staff_group: (headcount, fte)}}`` for the two census dates.

    The second census is the published March 2025 total; the first divides it by
    one plus the growth assumption. Headcounts are whole and sum exactly.
    """
    groups = staff_groups()
    fte_share = normalise(cal.vector("nhs.staff_group_fte_2017", groups))
    hc_weight = normalise(fte_share / cal.vector("nhs.fte_per_head_relative", groups))
    growth = 1.0 + cal["nhs.growth.2024-25"]
    fte1, hc1 = cal[f"nhs.fte.{period_end}"], cal[f"nhs.headcount.{period_end}"]
    out = {}
    for label, divisor in (("t0", growth), ("t1", 1.0)):
        hc = _whole(hc1 / divisor * hc_weight)
        out[label] = {g: (int(h), float(fte1 / divisor * s))
                      for g, h, s in zip(groups, hc, fte_share, strict=True)}
    return out


def _whole(values: np.ndarray) -> np.ndarray:
    """Round to whole numbers that keep the rounded total (largest remainder)."""
    floor = np.floor(values).astype(np.int64)
    short = round(float(values.sum())) - int(floor.sum())
    order = np.argsort(-(values - floor), kind="stable")
    floor[order[:short]] += 1
    return floor


def build_cohorts(rng: np.random.Generator, cal: Calibration, trusts: OrgSet,
                  region_of: np.ndarray, period_end: str) -> list[Cohort]:
    """Build one cohort per NHS staff group, with cell and flow probabilities.

    Parameters
    ----------
    rng : numpy.random.Generator
        The demo's seeded generator.
    cal : Calibration
        The calibration figures.
    trusts : OrgSet
        The NHS trusts.
    region_of : np.ndarray
        The region code of each trust.
    period_end : str
        The second census date, whose published totals are the targets.
    """
    groups = staff_groups()
    targets = national_targets(cal, period_end)
    org_hc = {g: _org_headcount(rng, trusts, g, targets["t0"][g][0]) for g in groups}
    uplift = _minority_uplift(cal, groups, org_hc, region_of)
    cohorts = []
    for group in groups:
        cohort = _cohort(cal, group, org_hc[group], region_of, uplift)
        cohort.org_codes = trusts.codes
        cohort.fte0 = targets["t0"][group][1]
        cohort.headcount1 = targets["t1"][group][0]
        cohort.join_shares = cal.group(
            cal.with_default("nhs.joiner_route_share", group))
        cohort.move_route = "other_nhs"
        cohorts.append(cohort)
    return cohorts


def _org_headcount(rng: np.random.Generator, trusts: OrgSet, group: str, total: int) -> np.ndarray:
    weight = np.array([
        (1.0 if group in AMBULANCE_ONLY else 0.0) if t == "Ambulance"
        else (0.0 if group in AMBULANCE_ONLY else TYPE_WEIGHT[t].get(group, 1.0))
        for t in trusts.org_type])
    weight = weight * trusts.size * rng.lognormal(0, 0.2, len(trusts))
    return share_out(rng, total, weight)


def _grades(cal: Calibration, group: str) -> tuple[tuple[str, ...], np.ndarray]:
    shares = cal.group(f"nhs.grade_share_2019.{group}")
    order = codelists.get("grade").codes
    codes = tuple(c for c in order if c in shares)
    return codes, normalise(np.array([shares[c] for c in codes]))


def _seniority(codes: tuple[str, ...]) -> np.ndarray:
    """Return -1..1 by AfC band order (non-AfC and medical grades 0)."""
    grades = codelists.get("grade")
    ranked = [c for c in codes if grades.attribute(c, "kind") in ("afc", "senior")]
    out = np.zeros(len(codes))
    if len(ranked) > 1:
        for i, code in enumerate(ranked):
            out[codes.index(code)] = 2 * i / (len(ranked) - 1) - 1
    return out


def _ethnicity_p(cal: Calibration, grade_codes: tuple[str, ...], region_of: np.ndarray,
                 uplift: float) -> np.ndarray:
    """Return P(ethnicity | org, grade), shape ``(n_orgs, n_grades, n_ethnicities)``."""
    ethnicities = codelists.get("ethnicity").codes
    minority = cal.vector("nhs.minority_share_2019", grade_codes)
    odds = minority / (1 - minority) * uplift
    region_odds = cal.vector("nhs.region_minority_odds", region_of)
    odds_og = region_odds[:, None] * odds[None, :]
    p_min = odds_og / (1 + odds_og)
    unknown = cal["nhs.ethnicity_unknown_share"]
    mix = normalise(cal.vector("nhs.minority_mix_2019", ethnicities, default=0.0))
    out = (1 - unknown) * p_min[..., None] * mix[None, None, :]
    out[..., ethnicities.index("white")] = (1 - unknown) * (1 - p_min)
    out[..., ethnicities.index("unknown")] = unknown
    return out


def _minority_uplift(cal: Calibration, groups: tuple[str, ...], org_hc: dict[str, np.ndarray],
                     region_of: np.ndarray) -> float:
    """Solve for the odds multiplier that gives the national ethnic-minority target."""
    target = cal["nhs.minority_share.target"]
    ethnicities = codelists.get("ethnicity").codes
    white, unknown = ethnicities.index("white"), ethnicities.index("unknown")

    def share(uplift: float) -> float:
        known = minority = 0.0
        for group in groups:
            codes, mix = _grades(cal, group)
            p = _ethnicity_p(cal, codes, region_of, uplift)
            weight = org_hc[group][:, None] * mix[None, :]
            known_p = 1 - p[..., unknown]
            known += float((weight * known_p).sum())
            minority += float((weight * (known_p - p[..., white])).sum())
        return minority / known

    low, high = 0.1, 10.0
    for _ in range(50):
        mid = (low * high) ** 0.5
        low, high = (mid, high) if share(mid) < target else (low, mid)
    return (low * high) ** 0.5


def _nationality_p(cal: Calibration, group: str, eth_marginal: np.ndarray) -> np.ndarray:
    """Return P(nationality | ethnicity), shape ``(n_ethnicities, 4)``, for one staff group."""
    ethnicities = codelists.get("ethnicity").codes
    targets = {
        nat: cal[f"nhs.nationality_share_2017.{group}.{nat}"]
        * cal[f"nhs.nationality_change_since_2017.{nat}"]
        for nat in ("eu_eea", "non_eu", "unknown")
    }
    out = np.zeros((len(ethnicities), len(NATIONALITIES)))
    weights = (("non_eu", "workforce.non_eu_weight"), ("eu_eea", "workforce.eu_weight"))
    for nat, weight_name in weights:
        weight = cal.vector(weight_name, ethnicities)
        out[:, NATIONALITIES.index(nat)] = targets[nat] / float(eth_marginal @ weight) * weight
    out[:, NATIONALITIES.index("unknown")] = targets["unknown"]
    out = np.clip(out, 0.0, 0.95)
    out[:, 0] = np.clip(1 - out[:, 1:].sum(axis=1), 0.0, 1.0)
    return normalise(out)


def _international_p(cal: Calibration) -> np.ndarray:
    """Return P(ethnicity, nationality) of international joiners, shape ``(n_eth, 4)``."""
    ethnicities = codelists.get("ethnicity").codes
    out = np.zeros((len(ethnicities), len(NATIONALITIES)))
    for nat in ("non_eu", "eu_eea"):
        eth = cal.vector(f"workforce.international_ethnicity.{nat}", ethnicities, default=0.0)
        out[:, NATIONALITIES.index(nat)] = cal[f"workforce.international_nationality.{nat}"] * eth
    return normalise(out, axis=(0, 1))


def _cohort(cal: Calibration, group: str, org_hc: np.ndarray, region_of: np.ndarray,
            uplift: float) -> Cohort:
    bands = codelists.get("age_band").codes
    ethnicities = codelists.get("ethnicity").codes
    orgs = np.flatnonzero(org_hc > 0)
    grade_codes, grade_mix = _grades(cal, group)
    seniority = _seniority(grade_codes)
    z = (np.arange(len(bands)) - (len(bands) - 1) / 2) / ((len(bands) - 1) / 2)
    base_age = cal.vector(f"nhs.age_share.{AGE_FAMILY[group]}", bands)
    age_given_grade = normalise(base_age[None, :] *
                                np.exp(SENIORITY_AGE_TILT * seniority[:, None] * z[None, :]))
    eth = _ethnicity_p(cal, grade_codes, region_of[orgs], uplift)  # (o, g, e)
    eth_marginal = np.einsum("o,g,oge->e", org_hc[orgs], grade_mix, eth) / org_hc[orgs].sum()
    nat = _nationality_p(cal, group, eth_marginal)  # (e, n)
    eth_nat = eth[..., None] * nat[None, None]  # (o, g, e, n)

    def cells(grade_w: np.ndarray, age_w: np.ndarray, eth_nat_p: np.ndarray) -> np.ndarray:
        grade_age = grade_w[:, None] * age_w  # (g, a)
        if eth_nat_p.ndim == 2:  # the same for every org and grade
            eth_nat_p = eth_nat_p[None, None]
        return grade_age[None, :, :, None, None] * eth_nat_p[:, :, None, :, :]

    stock_p = cells(grade_mix, age_given_grade, eth_nat)
    rank = np.linspace(0.0, 1.0, len(grade_codes)) if len(grade_codes) > 1 else np.zeros(1)
    join_p = {}
    for route in JOIN_ROUTES:
        grade_w = normalise(grade_mix * np.exp(-JOIN_GRADE_TILT[route] * rank))
        age_w = cal.vector(f"workforce.joiner_age.{route}", bands)[None, :]
        join_p[route] = cells(grade_w, age_w, _international_p(cal) if route == "international"
                              else eth_nat)
    join_p["other_nhs"] = stock_p
    age_marginal = grade_mix @ age_given_grade
    fph = (cal[f"nhs.fte_per_head_relative.{group}"]
           * along(cal.vector("workforce.fte_age_factor", bands), 2, 5))
    return Cohort(
        staff_group=group, orgs=orgs, dims=DIMS,
        codes=(grade_codes, bands, ethnicities, NATIONALITIES),
        headcount0=org_hc[orgs], stock_p=stock_p, fte_per_head=fph,
        leave_p=leave_probabilities(
            cal, leaver_rate=cal[f"nhs.leaver_rate.{group}"],
            move_rate=cal[cal.with_default("nhs.move_rate", group)],
            age_marginal=age_marginal, ndim=5, age_axis=2),
        leave_routes=LEAVE_ROUTES, join_p=join_p,
    )


def leave_probabilities(cal: Calibration, *, leaver_rate: float, move_rate: float | None,
                        age_marginal: np.ndarray, ndim: int, age_axis: int,
                        profile: str = "workforce.leaver_age_profile") -> np.ndarray:
    """Return yearly leaving probabilities by age and route.

    The routes are retirement, voluntary, other and, if ``move_rate`` is given,
    other_nhs (a move to another organisation of the sector). The age profiles
    are scaled so that the staff group's overall rates (weighted by
    ``age_marginal``) equal ``leaver_rate`` and ``move_rate``. The result has
    the age bands along ``age_axis`` of an ``ndim + 1`` array whose last axis
    is the route.
    """
    bands = codelists.get("age_band").codes
    shape_profile = cal.vector(profile, bands)
    leave = leaver_rate * shape_profile / float(age_marginal @ shape_profile)
    retire = cal.vector("workforce.retirement_share", bands)
    voluntary = cal["workforce.voluntary_share"]
    resign = leave * (1 - retire)
    parts = [leave * retire, resign * voluntary, resign * (1 - voluntary)]
    if move_rate is not None:
        move_profile = cal.vector("workforce.move_age_profile", bands)
        parts.append(move_rate * move_profile / float(age_marginal @ move_profile))
    routes = np.stack(parts, axis=-1)
    routes *= np.minimum(1.0, MAX_LEAVE_P / routes.sum(axis=-1, keepdims=True))
    shape = [1] * (ndim + 1)
    shape[age_axis] = len(bands)
    shape[-1] = routes.shape[-1]
    return routes.reshape(shape)
