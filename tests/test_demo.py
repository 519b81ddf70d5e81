"""The seeded demo dataset: determinism, completeness, calibration and flow consistency.

The demo is built once per session into a real DuckDB store (through the same
ingest users run; conftest's ``demo_vintage``) and read here read-only; the build
that ``wfplan demo`` makes with the same seed (conftest's ``demo_command``) and a
second writing of the files check determinism.
"""

from __future__ import annotations

import csv
import filecmp
from importlib import resources

import pytest

from wfplan.dataset import codelists, schema
from wfplan.dataset.demo import DEFAULT_SEED, write_demo_files
from wfplan.dataset.demo_calibration import load
from wfplan.dataset.store import DuckDBStore

V = "demo"
FACT_TABLES = ("staff_in_post", "vacancies", "flows", "sickness_absence", "staff_survey",
               "education", "population", "utilisation")


@pytest.fixture(scope="module")
def built(demo_vintage):
    store = DuckDBStore(demo_vintage.db, read_only=True)
    yield store, demo_vintage.report, demo_vintage.files.parent
    store.close()


@pytest.fixture(scope="module")
def store(built):
    return built[0]


def scalar(store, sql, params=None):
    return store.scalar(sql, [V, *(params or [])])


def table_digest(store, table):
    """Return (rows, order-sensitive hash) of a table's contents in the vintage."""
    cols = ", ".join([*schema.table(table).column_names, "source_row"])
    frame = store.query(
        f"SELECT count(*) AS n, bit_xor(hash({cols})) AS h FROM {table} WHERE vintage = ?", [V])
    return int(frame.iat[0, 0]), int(frame.iat[0, 1])


# -- determinism ---------------------------------------------------------------


def test_same_seed_gives_identical_files_and_tables(built, demo_command, tmp_path):
    """Two builds with the default seed: the session's, and the one ``wfplan demo`` made."""
    store, _, root = built
    assert demo_command.result.exit_code == 0, demo_command.result.output
    with DuckDBStore(demo_command.db, read_only=True) as again:
        for table in ("areas", "organisations", *FACT_TABLES):
            assert table_digest(again, table) == table_digest(store, table), table
    write_demo_files(tmp_path / "files", seed=DEFAULT_SEED)
    names = sorted(p.name for p in (root / "files").iterdir())
    match, mismatch, errors = filecmp.cmpfiles(root / "files", tmp_path / "files", names,
                                               shallow=False)
    assert not mismatch
    assert not errors
    assert len(match) == len(names) == 10


def test_another_seed_gives_other_data(built, tmp_path):
    _, _, root = built
    paths = write_demo_files(tmp_path / "other", seed=DEFAULT_SEED + 1)
    by_name = {p.name: p for p in paths}
    for name in ("staff_in_post.parquet", "flows.parquet", "organisations.parquet"):
        assert by_name[name].read_bytes() != (root / "files" / name).read_bytes(), name


# -- completeness --------------------------------------------------------------


def test_every_table_has_rows_and_nothing_is_unmapped(store, built):
    _, report, _ = built
    counts = store.table_counts(V)
    for table in ("areas", "organisations", *FACT_TABLES):
        assert counts[table] > 0, table
    assert counts["unmapped"] == 0
    assert report.warnings == []
    assert {f.status for f in report.files} == {"loaded"}
    assert sum(counts[t] for t in ("areas", "organisations", *FACT_TABLES)) < 1_500_000


def test_every_org_code_in_fact_tables_is_an_organisation(store):
    for table in ("staff_in_post", "vacancies", "flows", "sickness_absence", "staff_survey"):
        missing = scalar(store, f"SELECT count(*) FROM {table} t WHERE vintage = ? AND NOT EXISTS "
                         "(SELECT 1 FROM organisations o WHERE o.vintage = t.vintage "
                         "AND o.org_code = t.org_code)")
        assert missing == 0, table


def test_geography_covers_england_consistently(store):
    orgs = store.query("SELECT org_code, sector, org_type, icb_code, region_code, parent_code "
                       "FROM organisations WHERE vintage = ?", [V])
    assert orgs["org_code"].is_unique
    assert orgs["region_code"].nunique() == 7
    assert orgs["icb_code"].nunique() == 42
    icb_region = {r["code"]: r["region_code"] for r in codelists.get("icb").rows}
    assert (orgs["icb_code"].map(icb_region) == orgs["region_code"]).all()
    trusts = orgs[orgs["sector"] == "nhs_trust"]
    assert 190 <= len(trusts) <= 210
    assert (trusts["org_type"] == "Ambulance").sum() == 10
    assert set(trusts["org_type"]) == {"Acute", "Mental Health", "Community", "Ambulance"}
    practices = orgs[orgs["org_type"] == "GP practice"]
    assert 1500 <= len(practices) <= 6500
    pcns = set(orgs.loc[orgs["org_type"] == "PCN", "org_code"])
    assert set(practices["parent_code"]) <= pcns
    assert (orgs["sector"] == "social_care").sum() >= 1000
    areas = store.query("SELECT code, level, parent_code FROM areas WHERE vintage = ?", [V])
    levels = areas.set_index("code")["level"]
    for level, parent_level in (("pcn", "sub_icb"), ("sub_icb", "icb")):
        parents = areas.loc[areas["level"] == level, "parent_code"].map(levels)
        assert (parents == parent_level).all(), level
    assert (areas["level"] == "pcn").sum() == len(pcns)


# -- calibration ---------------------------------------------------------------


def nhs_totals(store, period):
    frame = store.query(
        "SELECT sum(s.headcount) AS hc, sum(s.fte) AS fte FROM staff_in_post s "
        "JOIN organisations o ON o.vintage = s.vintage AND o.org_code = s.org_code "
        "WHERE s.vintage = ? AND s.period = ? AND o.sector = 'nhs_trust'", [V, period])
    return float(frame.iat[0, 0]), float(frame.iat[0, 1])


def test_hchs_totals_match_the_calibration(store):
    cal = load()
    growth = 1 + cal["nhs.growth.2024-25"]
    for period, divisor in (("2025-03-31", 1.0), ("2024-03-31", growth)):
        headcount, fte = nhs_totals(store, period)
        assert fte == pytest.approx(cal["nhs.fte.2025-03-31"] / divisor, rel=0.01)
        assert headcount == pytest.approx(cal["nhs.headcount.2025-03-31"] / divisor, rel=0.001)


def test_nhs_staff_group_split_follows_2017(store):
    cal = load()
    shares = cal.group("nhs.staff_group_fte_2017")
    total = sum(shares.values())
    got = store.query("SELECT staff_group, sum(fte) AS fte FROM staff_in_post WHERE vintage = ? "
                      "AND period = '2024-03-31' AND grade IS NOT NULL GROUP BY 1", [V])
    got = dict(zip(got["staff_group"], got["fte"] / got["fte"].sum(), strict=True))
    for group, value in shares.items():
        assert got[group] == pytest.approx(value / total, abs=0.002), group


def vacancy_fte(store, sector, period):
    return scalar(store, "SELECT sum(v.vacancy_fte) FROM vacancies v JOIN organisations o "
                  "ON o.vintage = v.vintage AND o.org_code = v.org_code "
                  "WHERE v.vintage = ? AND o.sector = ? AND v.period = ?", [sector, period])


def test_vacancies_match_the_calibration(store):
    cal = load()
    assert vacancy_fte(store, "nhs_trust", "2025-03-31") == pytest.approx(
        cal["nhs.vacancy_fte.2025-03-31"], rel=0.05)
    assert 85_000 <= vacancy_fte(store, "nhs_trust", "2025-03-31") <= 95_000
    nurses = scalar(store, "SELECT sum(vacancy_fte) FROM vacancies WHERE vintage = ? "
                    "AND period = '2025-03-31' AND staff_group = 'nurses_health_visitors'")
    assert 30_000 * 0.95 <= nurses <= 40_000
    for period in ("2024-03-31", "2025-03-31"):
        assert vacancy_fte(store, "social_care", period) == pytest.approx(
            cal[f"asc.vacancies.{period}"], rel=0.05)
    assert vacancy_fte(store, "social_care", "2024-03-31") > 120_000


def test_social_and_primary_care_match_the_calibration(store):
    cal = load()
    posts = scalar(store, "SELECT sum(headcount) FROM staff_in_post WHERE vintage = ? "
                   "AND period = '2024-03-31' AND staff_group LIKE 'asc_%'")
    assert posts == pytest.approx(cal["asc.filled_posts.2024-03-31"], rel=0.001)
    gp = store.query("SELECT sum(headcount) AS hc, sum(fte) AS fte FROM staff_in_post s "
                     "JOIN organisations o ON o.vintage = s.vintage AND o.org_code = s.org_code "
                     "WHERE s.vintage = ? AND period = '2024-03-31' AND staff_group = 'gp' "
                     "AND o.org_type = 'GP practice'", [V])
    assert gp.at[0, "fte"] == pytest.approx(cal["pc.fte.gp.2024-03-31"], rel=0.01)
    assert gp.at[0, "hc"] == cal["pc.headcount.gp.2024-03-31"]


#: The edition of Skills for Care's report the demo's social care is calibrated to (each
#: edition restates earlier years, so the figures are those of one edition).
SFC_EDITION = ("Skills for Care, The state of the adult social care sector and workforce in "
               "England, 2025 edition")


def social_flows(store, direction):
    return scalar(store, "SELECT sum(headcount) FROM flows WHERE vintage = ? AND "
                  "staff_group LIKE 'asc_%' AND direction = ?", [direction])


def test_social_care_matches_the_named_skills_for_care_edition_within_2_percent(store):
    cal = load()
    for name in ("asc.filled_posts.2024-03-31", "asc.filled_posts.2025-03-31",
                 "asc.filled_posts_growth.2024-25", "asc.vacancies.2024-03-31",
                 "asc.vacancies.2025-03-31", "asc.vacancy_rate.2024-25",
                 "asc.personal_assistant_share.2024-25", "asc.turnover.2024-25"):
        assert cal.sources[name].startswith(SFC_EDITION), name
    posts = {p: scalar(store, "SELECT sum(headcount) FROM staff_in_post WHERE vintage = ? "
                       "AND period = ? AND staff_group LIKE 'asc_%'", [p])
             for p in ("2024-03-31", "2025-03-31")}
    for period, count in posts.items():
        assert count == pytest.approx(cal[f"asc.filled_posts.{period}"], rel=0.02), period
        assert vacancy_fte(store, "social_care", period) == pytest.approx(
            cal[f"asc.vacancies.{period}"], rel=0.02), period
    before, after = posts["2024-03-31"], posts["2025-03-31"]
    assert after / before - 1 == pytest.approx(cal["asc.filled_posts_growth.2024-25"], rel=0.02)
    # Skills for Care's vacancy rate leaves out personal assistants (no vacancy data for them)
    vacant = vacancy_fte(store, "social_care", "2025-03-31")
    base = after * (1 - cal["asc.personal_assistant_share.2024-25"]) + vacant
    assert vacant / base == pytest.approx(cal["asc.vacancy_rate.2024-25"], rel=0.02)
    leavers, starters = social_flows(store, "leaver"), social_flows(store, "joiner")
    assert leavers / after == pytest.approx(cal["asc.turnover.2024-25"], rel=0.02)
    # starters: the leavers replaced and the growth (no published starters rate is typed in)
    assert starters == leavers + after - before


def test_workforce_profile_is_plausible(store):
    profile = store.query(
        "SELECT sum(headcount) FILTER (WHERE age_band IN ('55_59', '60_64', '65_plus')) "
        "/ sum(headcount) AS aged_55, "
        "sum(headcount) FILTER (WHERE nationality IN ('eu_eea', 'non_eu')) "
        "/ sum(headcount) FILTER (WHERE nationality <> 'unknown') AS non_uk, "
        "sum(headcount) FILTER (WHERE ethnicity NOT IN ('white', 'unknown')) "
        "/ sum(headcount) FILTER (WHERE ethnicity <> 'unknown') AS minority, "
        "sum(fte) / sum(headcount) AS fte_per_head "
        "FROM staff_in_post WHERE vintage = ? AND period = '2025-03-31' AND grade IS NOT NULL",
        [V]).iloc[0]
    assert 0.15 <= profile["aged_55"] <= 0.25
    assert 0.15 <= profile["non_uk"] <= 0.27
    assert 0.25 <= profile["minority"] <= 0.31
    assert 0.85 <= profile["fte_per_head"] <= 0.95


def test_ethnic_minority_share_falls_with_afc_band(store):
    frame = store.query(
        "SELECT grade, sum(headcount) FILTER (WHERE ethnicity NOT IN ('white', 'unknown')) "
        "/ sum(headcount) FILTER (WHERE ethnicity <> 'unknown') AS share "
        "FROM staff_in_post WHERE vintage = ? AND period = '2025-03-31' GROUP BY grade", [V])
    share = dict(zip(frame["grade"], frame["share"], strict=True))
    assert share["band_5"] > share["band_7"] > share["band_8b"] > share["band_8d"]
    assert share["band_9"] < 0.2 < share["band_5"]
    assert share["medical"] > 0.4


def test_flows_are_plausible(store):
    rates = store.query(
        "WITH stock AS (SELECT staff_group, sum(headcount) AS hc FROM staff_in_post "
        "  WHERE vintage = ? AND period = '2024-03-31' GROUP BY 1), "
        "moves AS (SELECT staff_group, "
        "  sum(headcount) FILTER (WHERE direction = 'leaver' AND route <> 'other_nhs') AS out, "
        "  sum(headcount) FILTER (WHERE direction = 'leaver' AND route = 'other_nhs') "
        "    AS moved_out, "
        "  sum(headcount) FILTER (WHERE direction = 'joiner' AND route = 'other_nhs') "
        "    AS moved_in "
        "  FROM flows WHERE vintage = ? GROUP BY 1) "
        "SELECT staff_group, out / hc AS leaver_rate, moved_out, moved_in "
        "FROM stock JOIN moves USING (staff_group)", [V, V]).set_index("staff_group")
    published = load()["nhs.leaver_rate.nurses_health_visitors"]  # NHS England, 2023-24
    assert abs(rates.at["nurses_health_visitors", "leaver_rate"] - published) < 0.005
    assert 0.22 <= rates.at["asc_direct_care", "leaver_rate"] <= 0.32
    nhs = rates.dropna(subset=["moved_out"])
    assert (nhs["moved_out"] == nhs["moved_in"]).all()
    retire = store.query(
        "SELECT age_band IN ('55_59', '60_64', '65_plus') AS older, sum(headcount) AS n "
        "FROM flows WHERE vintage = ? AND route = 'retirement' GROUP BY 1", [V])
    older = retire.set_index("older")["n"]
    assert older.get(True, 0) / older.sum() > 0.9
    intl = scalar(store, "SELECT sum(headcount) FROM flows WHERE vintage = ? "
                  "AND staff_group LIKE 'asc_%' AND route = 'international'")
    assert intl == load()["asc.international_recruits.2024-25"]


def test_flows_reconcile_the_two_censuses(store):
    bad = store.query(
        "WITH stock AS (SELECT org_code, staff_group, "
        "  sum(headcount) FILTER (WHERE period = '2024-03-31') AS h0, "
        "  sum(headcount) FILTER (WHERE period = '2025-03-31') AS h1 "
        "  FROM staff_in_post WHERE vintage = ? GROUP BY ALL), "
        "net AS (SELECT org_code, staff_group, "
        "  sum(CASE WHEN direction = 'joiner' THEN headcount ELSE -headcount END) AS net "
        "  FROM flows WHERE vintage = ? GROUP BY ALL) "
        "SELECT * FROM stock FULL JOIN net USING (org_code, staff_group) "
        "WHERE coalesce(h1, 0) <> coalesce(h0, 0) + coalesce(net, 0)", [V, V])
    assert bad.empty, bad.head()
    pairs = scalar(store, "SELECT count(DISTINCT (org_code, staff_group)) FROM flows "
                   "WHERE vintage = ?")
    assert pairs > 20_000


def test_sickness_survey_and_population_are_calibrated(store):
    cal = load()
    rate = scalar(store, "SELECT sum(fte_days_lost) / sum(fte_days_available) "
                  "FROM sickness_absence WHERE vintage = ?")
    assert rate == pytest.approx(0.0515, abs=0.003)
    available = scalar(store, "SELECT sum(fte_days_available) / 31 FROM sickness_absence "
                       "WHERE vintage = ? AND period = '2025-03-31'")
    assert available == pytest.approx(nhs_totals(store, "2025-03-31")[1], rel=0.02)
    burned = scalar(store, "SELECT sum(value * base) / sum(base) FROM staff_survey "
                    "WHERE vintage = ? AND indicator = 'burned_out' AND year = 2023")
    assert burned == pytest.approx(cal["survey.burned_out.2023"], abs=0.005)
    england = store.query(
        "SELECT year, variant, sum(persons) AS persons FROM population WHERE vintage = ? "
        "AND area_code = ? GROUP BY ALL", [V, codelists.ENGLAND_CODE])
    persons = {(int(r.year), r.variant if isinstance(r.variant, str) else None): r.persons
               for r in england.itertuples()}
    assert persons[(2022, None)] == pytest.approx(57.1e6, rel=0.005)
    assert persons[(2045, "low")] < persons[(2045, "principal")] < persons[(2045, "high")]
    assert persons[(2024, "principal")] < persons[(2045, "principal")]
    regions = scalar(store, "SELECT sum(persons) FROM population WHERE vintage = ? AND year = 2030 "
                     "AND variant = 'principal' AND area_code IN (SELECT code FROM areas "
                     "WHERE vintage = ? AND level = 'region')", [V])
    assert regions == pytest.approx(persons[(2030, "principal")], rel=1e-6)
    util = store.query("SELECT service, age_band, activity_per_head FROM utilisation "
                       "WHERE vintage = ? AND service = 'APC'", [V]).set_index("age_band")
    assert util.at["80_plus", "activity_per_head"] > 3 * util.at["30_39", "activity_per_head"]
    medicine = scalar(store, "SELECT sum(places) FROM education WHERE vintage = ? "
                      "AND academic_year = '2023/24' AND staff_group = 'hchs_doctors'")
    assert medicine == pytest.approx(cal["edu.medicine.places"], rel=0.01)


def test_calibration_file_names_every_source():
    text = resources.files("wfplan").joinpath("data/demo_calibration.csv").read_text("utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    assert list(rows[0]) == ["name", "value", "unit", "source", "note"]
    names = [r["name"] for r in rows]
    assert len(names) == len(set(names))
    for row in rows:
        assert row["source"].strip(), row["name"]
        assert row["unit"].strip(), row["name"]
        float(row["value"])
    published = [r for r in rows if r["source"] != "wfplan assumption"]
    assert len(published) > 100
