"""Model Employer trajectories: the ethnic-minority appointments a goal needs, year by year.

A goal asks that the ethnic-minority share of one pay band (or medical grade) in
one area reach ``target_share`` by ``target_year``, starting from the band's
position at a base census. NHS England's *A Model Employer* (WRES leadership
strategy, January 2019) asks that representation at every band match the
workforce as a whole; ICSs set their own goals (docs/equality.md).

The stock-flow rule, for each year ``t = 1 … n`` after the base (``n`` = target
year − base year):

* the path of the share is a straight line from the base share ``s0`` to the
  target ``s*``: ``s_t = s0 + (s* − s0) · t / n``; a band already at or above its
  goal keeps the goal as a floor (``s_t = s*``);
* the band's headcount grows at ``g`` a year: ``H_t = H0 · (1 + g)^t``;
* a band loses a share ``e = l + p`` of its staff each year: leavers (leaver rate
  ``l``) and promotions out of the band (rate ``p``), ethnic-minority staff at the
  same rates as everyone else;
* appointments to the band (recruits and promotions in) are
  ``A_t = H_t − (1 − e) · H_{t−1}``;
* ethnic-minority appointments needed are
  ``R_t = max(0, s_t · H_t − (1 − e) · M_{t−1})``, with ``M_0`` the base
  ethnic-minority headcount and ``M_t = s_t · H_t`` afterwards;
* the share of appointments that must go to ethnic-minority staff is ``R_t / A_t``.

Progress at a later census compares the observed ethnic-minority headcount with
the path: expected ``s_t · H_obs`` (the path's share of the band as it is), gap
= expected − observed, on track when the gap is at most 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["TRAJECTORY_COLUMNS", "BandStart", "path_share", "progress_row", "trajectory"]

#: Columns of :func:`trajectory`.
TRAJECTORY_COLUMNS = (
    "area_code", "grade", "year", "path_share", "headcount", "minority_target",
    "appointments", "minority_appointments", "minority_share_of_appointments",
)


@dataclass(frozen=True)
class BandStart:
    """One band's position at the base census and the goal and rates applied to it.

    Attributes
    ----------
    area_code, grade : str
        The area and the band (grade code).
    base_year : int
        The year of the base census.
    headcount, minority : float
        Headcount with known ethnicity, and its ethnic-minority part, at the base.
    target_share : float
        The goal's ethnic-minority share (a fraction).
    target_year : int
        The year the goal is to be met (after ``base_year``).
    leaver_rate, promotion_rate, headcount_growth : float
        Fractions per year (see the module notes).
    """

    area_code: str
    grade: str
    base_year: int
    headcount: float
    minority: float
    target_share: float
    target_year: int
    leaver_rate: float
    promotion_rate: float = 0.0
    headcount_growth: float = 0.0

    @property
    def base_share(self) -> float:
        """The ethnic-minority share at the base (0 for an empty band)."""
        return self.minority / self.headcount if self.headcount else 0.0

    @property
    def at_goal(self) -> bool:
        """Whether the band is at or above its goal at the base."""
        return self.base_share >= self.target_share - 1e-12


def path_share(band: BandStart, year: int) -> float:
    """Return the trajectory's ethnic-minority share in ``year`` (see the module notes)."""
    if band.at_goal:
        return band.target_share
    span = band.target_year - band.base_year
    done = min(max(year - band.base_year, 0), span) / span
    return band.base_share + (band.target_share - band.base_share) * done


def trajectory(band: BandStart) -> pd.DataFrame:
    """Return the year-by-year appointments ``band`` needs to meet its goal.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TRAJECTORY_COLUMNS`, one row per year after the base up
        to the target year.
    """
    if band.target_year <= band.base_year:
        raise ValueError(f"target year {band.target_year} is not after the base year "
                         f"{band.base_year}")
    stay = 1.0 - band.leaver_rate - band.promotion_rate
    rows = []
    heads, minority = band.headcount, band.minority
    for year in range(band.base_year + 1, band.target_year + 1):
        share = path_share(band, year)
        new_heads = band.headcount * (1.0 + band.headcount_growth) ** (year - band.base_year)
        target = share * new_heads
        appointments = new_heads - stay * heads
        needed = max(0.0, target - stay * minority)
        rows.append((band.area_code, band.grade, year, share, new_heads, target, appointments,
                     needed, needed / appointments if appointments > 0 else float("nan")))
        heads, minority = new_heads, target
    return pd.DataFrame(rows, columns=list(TRAJECTORY_COLUMNS))


def progress_row(band: BandStart, year: int, headcount: float,
                 minority: float) -> dict[str, object]:
    """Return progress against ``band``'s path at a later census of ``year``.

    ``expected`` is the path's share of the observed ``headcount``; ``gap_heads``
    is expected − observed ``minority`` (positive: short of the path); the status
    is ``on track`` when the gap is at most 0, else ``off track``.
    """
    share = path_share(band, year)
    expected = share * headcount
    gap = expected - minority
    return {"area_code": band.area_code, "grade": band.grade, "year": year,
            "minority_headcount": minority, "known_headcount": headcount,
            "path_share": share, "expected_minority": expected, "gap_heads": gap,
            "status": "on track" if gap <= 1e-9 else "off track"}
