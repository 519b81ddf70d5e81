"""The data-gap report: known gaps in a hand-made vintage, the real data, the demo."""

from __future__ import annotations

import dataclasses
import html.parser
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest
from typer.testing import CliRunner

from shared_data import real
from wfplan.analysis.gaps import GapReport, gap_report, rank
from wfplan.cli import app
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import DuckDBStore
from wfplan.report.gaps_page import render_html

if TYPE_CHECKING:
    from conftest import DemoBuild

ROOT = Path(__file__).resolve().parents[1]

ORGS = """org_code,name,org_type,sector,icb_code,region_code
R1,Trust One,Acute,nhs_trust,QWE,Y56
R2,Trust Two,Acute,nhs_trust,QHM,Y63
R3,Trust Three,Acute,nhs_trust,QOP,Y62
P1,Practice One,GP practice,primary_care,QWE,Y56
P2,Practice Two,GP practice,primary_care,QHM,Y63
C1,Care Home One,care home,social_care,QWE,Y56
"""
# R3, P2 and C1 have no staff in post; social care has none at all; R2 reports no age;
# primary care stops in March 2022, two years before the NHS trusts.
SIP = """period,org_code,staff_group,age_band,sex,ethnicity,headcount,fte
2024-03,R1,nurses_health_visitors,25_29,female,white,10,10
2024-03,R1,hchs_doctors,35_39,male,asian,5,5
2024-03,R2,nurses_health_visitors,,,,15,15
2024-03,R2,Mystery group,,,,1,0
2022-03,P1,gp,,,,3,3
"""
VACANCIES = "period,org_code,staff_group,vacancy_fte\n2024-03,R1,nurses_health_visitors,2\n"
PCN = ("Data_source,CENSUS_YEAR,CENSUS_MONTH,PCN_CODE,PCN_NAME,SUB_ICB_CODE,SUB_ICB_NAME,"
       "ICB_CODE,ICB_NAME,COMM_REGION_CODE,COMM_REGION_NAME,STAFF_GROUP,STAFF_ROLE,"
       "DETAILED_STAFF_ROLE,FTE,UNIQUE_IDENTIFIER\n"
       "NWRS Staff,2021,12,U00070,WEST MERTON PCN,36L,SWL - 36L,QWE,SWL ICB,Y56,London,"
       "Other Direct Patient Care staff,Pharmacists,Pharmacist,1,11\n"
       "NWRS Staff,2022,3,U00070,WEST MERTON PCN,36L,SWL - 36L,QWE,SWL ICB,Y56,London,"
       "Other Direct Patient Care staff,Physiotherapists,Physiotherapist,1,11\n"
       "NWRS Staff,2022,3,U00070,WEST MERTON PCN,36L,SWL - 36L,QWE,SWL ICB,Y56,London,"
       "Other Direct Patient Care staff,Pharmacists,Pharmacist,1,12\n")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GapReport]:
    tmp_path = tmp_path_factory.mktemp("gaps")
    db = tmp_path / "gaps.duckdb"
    with DuckDBStore(db) as store:
        ingest(store, [write(tmp_path / "organisations.csv", ORGS),
                       write(tmp_path / "staff_in_post.csv", SIP),
                       write(tmp_path / "vacancies.csv", VACANCIES),
                       write(tmp_path / "pcn.csv", PCN)], "known")
        report = gap_report(store, "known")
    return db, report


def row(frame: pd.DataFrame, **where: object) -> dict[str, object]:
    hit = frame
    for column, value in where.items():
        hit = hit[hit[column] == value]
    assert len(hit) == 1, (where, hit)
    return hit.iloc[0].to_dict()


def test_coverage_regions_and_periods(known) -> None:
    _, report = known
    nhs = row(report.coverage, table="staff_in_post", sector="nhs_trust")
    assert nhs["rows"] == 4
    assert nhs["last_period"] == "2024-03-31"
    assert nhs["regions_with_data"] == 2
    assert nhs["regions_without_data"] == "Y58, Y59, Y60, Y61, Y62"
    assert nhs["icbs_with_data"] == 2
    primary = row(report.coverage, table="staff_in_post", sector="primary_care")
    assert (primary["periods"], primary["first_period"]) == (2, "2021-12-31")
    assert row(report.coverage, table="staff_in_post", sector="social_care")["rows"] == 0
    assert report.newest_period.isoformat() == "2024-03-31"


def test_missing_organisations(known) -> None:
    _, report = known
    nhs = row(report.missing_organisations, table="staff_in_post", sector="nhs_trust")
    assert (nhs["expected"], nhs["without_data"]) == (3, 1)
    assert nhs["examples"] == "R3 (Trust Three)"
    primary = row(report.missing_organisations, table="staff_in_post", sector="primary_care")
    assert (primary["expected"], primary["without_data"], primary["examples"]) == \
        (3, 1, "P2 (Practice Two)")  # P1, P2 and the PCN U00070
    care = row(report.missing_organisations, table="staff_in_post", sector="social_care")
    assert (care["expected"], care["without_data"]) == (1, 1)
    vac = row(report.missing_organisations, table="vacancies", sector="nhs_trust")
    assert vac["without_data"] == 2


def test_dimensions(known) -> None:
    _, report = known
    age = row(report.dimensions, sector="nhs_trust", dimension="age_band")
    assert age["share_not_reported"] == pytest.approx(15 / 30)
    assert age["period"] == "2024-03-31"
    vacancies = row(report.dimensions, sector="nhs_trust", dimension="vacancies")
    assert vacancies["share_not_reported"] == pytest.approx(15 / 30)  # R2 has none
    flows = row(report.dimensions, sector="primary_care", dimension="flows")
    assert flows["share_not_reported"] == 1
    care = row(report.dimensions, sector="social_care", dimension="age_band")
    assert pd.isna(care["share_not_reported"])


def test_stale_unmapped_and_findings(known) -> None:
    _, report = known
    stale = report.stale[report.stale["sector"] == "primary_care"]
    assert stale["months_behind"].tolist() == [24, 24]
    assert stale["stale"].all()
    assert set(stale["source"]) == {
        "Primary Care Networks workforce, individual level – NHS Digital (NHS England)",
        "staff_in_post.csv (tidy template)"}
    assert not row(report.stale, table="staff_in_post", sector="nhs_trust")["stale"]
    unmapped = row(report.unmapped, table="staff_in_post", column="staff_group")
    assert (unmapped["values"], unmapped["rows"], unmapped["examples"]) == \
        (1, 1, "Mystery group")
    finding = row(report.findings, source="pcn_workforce")
    assert finding["publication"] == ("Primary Care Networks workforce, individual level – "
                                      "NHS Digital (NHS England)")
    assert finding["sector"] == "primary_care"
    assert finding["detail"].startswith("flows unavailable: identifiers not stable")


def test_ranked_gaps_sort_by_severity_primary_and_social_care_first_among_equals(known) -> None:
    _, report = known
    ranked = report.ranked
    assert ranked["rank"].tolist() == list(range(1, len(ranked) + 1))
    assert ranked["severity"].is_monotonic_decreasing
    first = ranked.iloc[0]
    assert (first["sector"], first["gap"]) == ("social_care", "No staff in post for social care")
    care = {"primary_care": 0, "social_care": 0}
    for severity, rows in ranked.groupby("severity"):
        order = [care.get(s, 1 if s == "nhs_trust" else 2) for s in rows["sector"]]
        assert order == sorted(order), severity
    gaps = " | ".join(ranked["gap"])
    assert "Joiners and leavers cannot be measured for primary care" in gaps
    assert "No vacancy figures for primary care" in gaps
    assert "Staff in post for primary care is out of date" in gaps
    assert len(ranked) == 10
    everything = rank(report.coverage, report.missing_organisations, report.dimensions,
                      report.unmapped, report.stale, report.findings, top=100)
    nhs = everything[everything["sector"] == "nhs_trust"]
    assert nhs["severity"].is_monotonic_decreasing
    assert "No joiner or leaver flows for NHS trusts" in set(nhs["gap"])
    assert "Organisations without staff in post (NHS trusts)" in set(nhs["gap"])
    ages = nhs[nhs["gap"].str.startswith("Age band")]["evidence"].item()
    assert "age_band 50%" in ages
    assert everything["gap"].iloc[-1] == "Unmapped codes in staff_in_post.staff_group"


class _Checker(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.open: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in ("meta", "link", "br"):
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"unexpected </{tag}>")
        else:
            self.open.pop()


def check_html(page: str) -> _Checker:
    checker = _Checker()
    checker.feed(page)
    assert not checker.problems
    assert not checker.open
    names = [t for t, _ in checker.tags]
    assert ("html", {"lang": "en-GB"}) in checker.tags
    assert names.count("table") == names.count("caption")
    assert all(a.get("scope") in ("col", "row") for t, a in checker.tags if t == "th")
    assert "h1" in names
    assert "<script" not in page
    assert "http://" not in page
    assert "https://" not in page
    return checker


def test_html_page_is_self_contained_and_accessible(known) -> None:
    _, report = known
    page = render_html(report)
    check_html(page)
    assert "Mystery group" in page
    assert page.index('id="findings-heading"') < page.index('id="ranked-heading"')


def test_html_escapes_text(known) -> None:
    _, report = known
    findings = report.findings.copy()
    findings.loc[0, "detail"] = "<b>bold</b> & co"
    page = render_html(dataclasses.replace(report, findings=findings))
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in page


@pytest.mark.parametrize("fmt", ["table", "csv", "html"])
def test_cli_formats(known, fmt: str) -> None:
    db, _ = known
    result = CliRunner().invoke(app, ["gaps", "--db", str(db), "--vintage", "known",
                                      "--format", fmt])
    assert result.exit_code == 0, result.output
    if fmt == "csv":
        frame = pd.read_csv(pd.io.common.StringIO(result.stdout))
        assert set(frame["section"]) >= {"coverage", "ranked", "findings"}
        assert frame["section"].iloc[-1] == "ranked"
    elif fmt == "html":
        check_html(result.stdout)
    else:
        text = " ".join(result.stdout.split())
        assert "Most important gaps" in text
        assert "No staff in post for social care" in text


def test_gaps_table_shows_the_rows_without_coverage(known) -> None:
    db, _ = known
    result = CliRunner().invoke(app, ["gaps", "--db", str(db), "--vintage", "known"])
    assert result.exit_code == 0, result.output
    text = " ".join(re.sub(r"[\u2500-\u257f]", " ", result.stdout).split())
    assert "staff_in_post Social care 0 0 n/a n/a 0" in text
    assert "sickness_absence NHS trusts 0 0" in text


def test_newest_workforce_period_does_not_count_education(tmp_path: Path) -> None:
    import handmade_vintage as hv

    with DuckDBStore(tmp_path / "h.duckdb") as store:
        hv.build(store, tmp_path)
        report = gap_report(store, hv.VINTAGE)
    education = row(report.coverage, table="education", sector="nhs_trust")
    assert education["last_period"] == "2024-07-31"  # academic year 2023/24
    assert report.newest_period.isoformat() == hv.LATER  # 2024-06-30, the latest census
    assert "education" in set(report.stale["table"])


def test_cli_unknown_vintage_is_bad_input(known) -> None:
    db, _ = known
    result = CliRunner().invoke(app, ["gaps", "--db", str(db), "--vintage", "nope"])
    assert result.exit_code == 2
    assert "no vintage named 'nope'" in result.stderr


def test_an_empty_vintage_reports_everything_missing(tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "e.duckdb") as store:
        store.ensure_writable_vintage("empty")
        report = gap_report(store, "empty")
    assert report.newest_period is None
    assert report.ranked["gap"].head(3).tolist() == [
        "No staff in post for primary care", "No staff in post for social care",
        "No staff in post for NHS trusts"]
    check_html(render_html(report))


# -- the real data and the demo --------------------------------------------------------


@pytest.mark.realdata
def test_gap_report_on_real_data(tmp_path: Path) -> None:
    pcn = sorted(real("pcn_workforce").glob("*Individual_Level.csv"))[-2:]
    files = [*pcn, real("gp_practice_workforce", "heec_gp_workforce_practice_year_derived.csv"),
             real("population", "ons_region_population_by_age_2022_2028.csv")]
    with DuckDBStore(tmp_path / "real.duckdb") as store:
        ingest(store, files, "real")
        report = gap_report(store, "real")
    finding = row(report.findings, source="pcn_workforce")
    assert finding["detail"].startswith("flows unavailable: identifiers not stable")
    assert "3 of 1,792" in finding["detail"]
    primary = row(report.coverage, table="staff_in_post", sector="primary_care")
    assert primary["regions_with_data"] == 7
    assert primary["icbs_with_data"] == 42
    pcn_stale = report.stale[report.stale["source"].str.startswith("Primary Care Networks")]
    assert pcn_stale["months_behind"].item() == 36  # Sep 2021 against Sep 2024
    assert report.ranked.iloc[0]["gap"] == "No staff in post for social care"
    assert "Joiners and leavers cannot be measured for primary care" in set(report.ranked["gap"])
    check_html(render_html(report))


@pytest.mark.slow
def test_gap_report_on_the_demo(demo_vintage: DemoBuild) -> None:
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        report = gap_report(store, "demo")
    assert report.newest_period is not None
    covered = report.coverage[(report.coverage["table"] == "staff_in_post")]
    assert (covered.set_index("sector").loc[["nhs_trust", "primary_care", "social_care"],
                                            "rows"] > 0).all()
    assert len(report.ranked) > 0
    check_html(render_html(report))
