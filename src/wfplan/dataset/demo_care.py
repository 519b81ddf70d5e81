"""Primary care and adult social care staff for the demo.

Primary care rows are organisation × staff group × age band × sex: GP
practices employ GPs, nurses, direct patient care and admin staff; PCNs employ
direct patient care staff (the additional roles), admin staff and one clinical
director each. Headcount and FTE match the practice-level General Practice
Workforce yearly averages for the two census years.

Adult social care rows are provider × job role group × age band ×
nationality (sex is left out to keep the row count down). Headcount is filled
posts; filled posts at both censuses, turnover and international recruitment
match Skills for Care's *State of the adult social care sector and workforce in
England*, 2025 edition (2024/25, and 2023/24 as that edition restates it).
"""

from __future__ import annotations

import numpy as np

from wfplan.dataset import codelists
from wfplan.dataset.demo_calibration import Calibration
from wfplan.dataset.demo_nhs import leave_probabilities
from wfplan.dataset.demo_places import OrgSet
from wfplan.dataset.demo_workforce import Cohort, along, normalise, share_out

PRACTICE_GROUPS = ("gp", "pc_nurses", "pc_direct_patient_care", "pc_admin")
PRIMARY_DIMS = ("age_band", "sex")
SEXES = ("female", "male")
PRIMARY_JOIN_ROUTES = ("newly_qualified", "international", "return_to_practice", "other")
SOCIAL_DIMS = ("age_band", "nationality")
SOCIAL_NATIONALITIES = ("british", "eu_eea", "non_eu")
SOCIAL_GROUPS = ("asc_direct_care", "asc_regulated_professions", "asc_managerial", "asc_other")
#: Relative staff of a job role group per unit of provider size, by provider type (layout).
SOCIAL_TYPE_WEIGHT = {
    "Care home": {"asc_regulated_professions": 0.5, "asc_other": 1.3},
    "Care home with nursing": {"asc_regulated_professions": 3.0, "asc_other": 1.3},
    "Domiciliary care": {"asc_regulated_professions": 0.3, "asc_other": 0.4},
}
#: FTE per head of a PCN clinical director (a few sessions a week).
DIRECTOR_FTE = 0.3


def primary_cohorts(rng: np.random.Generator, cal: Calibration, practices: OrgSet,
                    pcns: OrgSet, periods: tuple[str, str]) -> list[Cohort]:
    """Build the primary care cohorts: practice staff groups, then PCN staff."""
    t0, t1 = periods
    cohorts = []
    for group in PRACTICE_GROUPS:
        hc0 = share_out(rng, int(cal[f"pc.headcount.{group}.{t0}"]),
                        practices.size * rng.lognormal(0, 0.25, len(practices)))
        cohort = _primary_cohort(cal, group, practices, hc0)
        cohort.fte0 = cal[f"pc.fte.{group}.{t0}"]
        cohort.headcount1 = int(cal[f"pc.headcount.{group}.{t1}"])
        cohorts.append(cohort)
    return cohorts + _pcn_cohorts(rng, cal, pcns, periods)


def _fte_per_head(cal: Calibration, group: str, period: str) -> float:
    return cal[f"pc.fte.{group}.{period}"] / cal[f"pc.headcount.{group}.{period}"]


def _pcn_cohorts(rng: np.random.Generator, cal: Calibration, pcns: OrgSet,
                 periods: tuple[str, str]) -> list[Cohort]:
    """Build the PCN-employed cohorts: additional roles, admin staff, clinical directors."""
    t0, t1 = periods
    dpc_fph = _fte_per_head(cal, "pc_direct_patient_care", t0)
    admin = round(cal["pc.pcn_admin_per_pcn"] * len(pcns))
    # group: (headcount t0, FTE t0, headcount t1)
    targets = {
        "pc_direct_patient_care": (round(cal[f"pc.pcn_dpc_fte.{t0}"] / dpc_fph),
                                   cal[f"pc.pcn_dpc_fte.{t0}"],
                                   round(cal[f"pc.pcn_dpc_fte.{t1}"] / dpc_fph)),
        "pc_admin": (admin, admin * _fte_per_head(cal, "pc_admin", t0), admin),
        "pc_directors": (len(pcns), len(pcns) * DIRECTOR_FTE, len(pcns)),
    }
    cohorts = []
    for group, (head0, fte0, head1) in targets.items():
        if group == "pc_directors":  # one each
            hc0 = np.ones(len(pcns), dtype=np.int64)
        else:
            hc0 = share_out(rng, head0, pcns.size * rng.lognormal(0, 0.3, len(pcns)))
        cohort = _primary_cohort(cal, group, pcns, hc0)
        cohort.fte0, cohort.headcount1 = float(fte0), int(head1)
        cohorts.append(cohort)
    return cohorts


def _primary_cohort(cal: Calibration, group: str, orgs: OrgSet, hc0: np.ndarray) -> Cohort:
    bands = codelists.get("age_band").codes
    keep = np.flatnonzero(hc0 > 0)
    age = cal.vector(f"pc.age_share.{group}", bands)
    female = cal[f"pc.female_share.{group}"]
    stock_p = (age[:, None] * np.array([female, 1 - female])[None, :])[None]
    join_p = {}
    for route in PRIMARY_JOIN_ROUTES:
        join_age = cal.vector(f"workforce.joiner_age.{route}", bands)
        join_p[route] = (join_age[:, None] * np.array([female, 1 - female])[None, :])[None]
    fph = (along(cal.vector("workforce.fte_age_factor", bands), 1, 3)
           * along(cal.vector("workforce.fte_sex_factor", SEXES), 2, 3))
    return Cohort(
        staff_group=group, orgs=keep, dims=PRIMARY_DIMS, codes=(bands, SEXES),
        headcount0=hc0[keep], stock_p=stock_p, fte_per_head=fph,
        leave_p=leave_probabilities(cal, leaver_rate=cal[f"pc.leaver_rate.{group}"],
                                    move_rate=cal["pc.move_rate"], age_marginal=age,
                                    ndim=3, age_axis=1),
        leave_routes=("retirement", "voluntary", "other", "other_nhs"), join_p=join_p,
        org_codes=orgs.codes,
        join_shares=cal.group(cal.with_default("pc.joiner_route_share", group)),
        move_route="other_nhs",
    )


def social_cohorts(rng: np.random.Generator, cal: Calibration, providers: OrgSet) -> list[Cohort]:
    """Build one adult social care cohort per job role group."""
    bands = codelists.get("age_band").codes
    posts0, posts1 = (cal[f"asc.filled_posts.{p}"] for p in ("2024-03-31", "2025-03-31"))
    shares = normalise(cal.vector("asc.staff_group_share", SOCIAL_GROUPS))
    nationality = normalise(cal.vector("asc.nationality_share", SOCIAL_NATIONALITIES))
    age = {g: normalise(cal.vector(f"asc.age_share.{g}", bands)) for g in SOCIAL_GROUPS}
    # Turnover by group is relative; scale so the sector's rate is the published one. The
    # rate is read as the year's leavers over the posts filled at its end (Skills for Care's
    # returns count the leavers of the past 12 months beside the staff in post: a wfplan
    # assumption); the demo draws leavers from the posts at the start.
    relative = cal.vector("asc.turnover_relative", SOCIAL_GROUPS)
    turnover = (cal["asc.turnover.2024-25"] * posts1 / posts0
                * relative / float(shares @ relative))
    intl_nat = np.array([0.0, cal["workforce.international_nationality.eu_eea"],
                         cal["workforce.international_nationality.non_eu"]])
    cohorts = []
    for i, group in enumerate(SOCIAL_GROUPS):
        weight = np.array([SOCIAL_TYPE_WEIGHT[t].get(group, 1.0) for t in providers.org_type])
        hc0 = share_out(rng, round(posts0 * shares[i]),
                        weight * providers.size * rng.lognormal(0, 0.2, len(providers)))
        keep = np.flatnonzero(hc0 > 0)
        stock_p = (age[group][:, None] * nationality[None, :])[None]
        join_p = {route: (cal.vector(f"workforce.joiner_age.{route}", bands)[:, None]
                          * (intl_nat if route == "international" else nationality)[None, :])[None]
                  for route in ("newly_qualified", "international", "other")}
        nq = cal.get(f"asc.newly_qualified_share.{group}", 0.0)
        cohort = Cohort(
            staff_group=group, orgs=keep, dims=SOCIAL_DIMS, codes=(bands, SOCIAL_NATIONALITIES),
            headcount0=hc0[keep], stock_p=stock_p,
            fte_per_head=np.full((1, 1, 1), cal[f"asc.fte_per_post.{group}"]),
            leave_p=leave_probabilities(cal, leaver_rate=float(turnover[i]), move_rate=None,
                                        age_marginal=age[group], ndim=3, age_axis=1,
                                        profile="asc.turnover_age_profile"),
            leave_routes=("retirement", "voluntary", "other"), join_p=join_p,
            org_codes=providers.codes, join_shares={"newly_qualified": nq, "other": 1 - nq},
        )
        cohort.fte0 = float(hc0.sum() * cal[f"asc.fte_per_post.{group}"])
        cohort.headcount1 = round(posts1 * shares[i])
        if group == "asc_direct_care":
            cohort.join_fixed = {"international": int(cal["asc.international_recruits.2024-25"])}
        cohorts.append(cohort)
    return cohorts
