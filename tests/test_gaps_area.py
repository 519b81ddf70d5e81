"""The data-gap report of one region or ICB: the report of the rows placed in the area.

The hand-made vintage of tests/test_gaps.py has organisations in three ICBs of three
regions. Its report restricted to the ICB QWE (a hand-made placement) is checked
against an independent computation: the same files cut by hand to QWE's
organisations, loaded as a vintage of their own, and that vintage's England report.
The two must agree but for what a report restricted to an area says of England on
purpose: the regions and ICBs it counts (the area's own).
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from test_gaps import ORGS, PCN, SIP, VACANCIES, write
from wfplan.analysis.gaps import Area, GapReport, gap_report, rank
from wfplan.cli import app
from wfplan.cli.display import csv_text
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import DuckDBStore

#: The hand-made ICB QWE (London, Y56): R1, P1, C1 and the PCN U00070 of the PCN extract.
ICB, REGION = "QWE", "Y56"
#: What an area's report counts of its own, not England's (see the module's docstring).
AREA_COLUMNS = ["regions_with_data", "regions_without_data", "icbs_total"]
_CODE = re.compile(r"(?:^|, )([A-Z0-9]{2,10}) \(")


def _cut(text: str, keep: str) -> str:
    """Return a CSV text's header and the lines that contain ``keep`` (a column's value)."""
    lines = text.splitlines()
    return "\n".join([lines[0], *(line for line in lines[1:] if keep in line.split(","))]) + "\n"


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("gaps-area")
    cut = folder / "cut"
    cut.mkdir()
    qwe_orgs = {line.split(",")[0] for line in ORGS.splitlines()[1:] if f",{ICB}," in line}
    sip = "\n".join([SIP.splitlines()[0], *(line for line in SIP.splitlines()[1:]
                                            if line.split(",")[1] in qwe_orgs)]) + "\n"
    with DuckDBStore(folder / "gaps.duckdb") as store:
        ingest(store, [write(folder / "organisations.csv", ORGS),
                       write(folder / "staff_in_post.csv", SIP),
                       write(folder / "vacancies.csv", VACANCIES),
                       write(folder / "pcn.csv", PCN)], "known")
        ingest(store, [write(cut / "organisations.csv", _cut(ORGS, ICB)),
                       write(cut / "staff_in_post.csv", sip),
                       write(cut / "vacancies.csv", VACANCIES),  # R1's only
                       write(cut / "pcn.csv", PCN)], "cut")  # QWE's only
        return {"db": folder / "gaps.duckdb", "england": gap_report(store, "known"),
                "icb": gap_report(store, "known", area=Area("icb", ICB)),
                "region": gap_report(store, "known", area=Area("region", REGION)),
                "cut": gap_report(store, "cut")}


def _all_gaps(report: GapReport) -> list[str]:
    """Return every gap of a report, ranked, but the ICBs without staff in post."""
    everything = rank(report.coverage, report.missing_organisations, report.dimensions,
                      report.unmapped, report.stale, report.findings, top=100)
    return [g for g in everything["gap"] if not g.startswith("ICBs without")]


def _named(report: GapReport) -> set[str]:
    return {code for text in report.missing_organisations["examples"]
            for code in _CODE.findall(str(text))}


def test_an_icb_s_report_is_the_report_of_its_rows_alone(reports) -> None:
    icb, cut = reports["icb"], reports["cut"]
    assert icb.newest_period == cut.newest_period
    assert icb.totals == cut.totals
    assert icb.totals["staff_in_post"] < reports["england"].totals["staff_in_post"]
    for name in ("missing_organisations", "dimensions", "stale", "unmapped", "findings"):
        pd.testing.assert_frame_equal(icb.sections()[name], cut.sections()[name],
                                      check_dtype=False, obj=name)
    pd.testing.assert_frame_equal(icb.coverage.drop(columns=AREA_COLUMNS),
                                  cut.coverage.drop(columns=AREA_COLUMNS), check_dtype=False)
    # the area's own regions and ICBs: one region, one ICB, instead of England's
    staff = icb.coverage[icb.coverage["table"] == "staff_in_post"].set_index("sector")
    assert set(icb.coverage["icbs_total"]) == {1}
    assert staff.loc["nhs_trust", "regions_without_data"] == ""
    assert staff.loc["social_care", "regions_without_data"] == REGION
    assert set(cut.coverage["icbs_total"]) == {42}
    # every gap ranked (not the top ten): they differ by England's ICBs without data (41 of
    # 42 in the cut vintage), which pushes one of the area's out of the cut's top ten
    assert _all_gaps(icb) == _all_gaps(cut)
    assert any(g.startswith("ICBs without") for g in cut.ranked["gap"])
    assert list(icb.ranked["gap"]) == _all_gaps(icb)[:10]


def test_an_area_s_report_names_only_its_organisations(reports) -> None:
    qwe = {"R1", "P1", "C1", "U00070"}
    assert _named(reports["icb"])
    assert _named(reports["icb"]) <= qwe
    assert _named(reports["england"]) - qwe  # England's names others: the check can fail
    assert _named(reports["region"]) <= qwe  # London's only ICB with organisations is QWE
    region = reports["region"].coverage
    assert set(region["icbs_total"]) == {5}  # London's five ICBs (the code list)
    assert any(g.startswith("ICBs without staff in post") for g in reports["region"].ranked["gap"])


def test_an_area_has_no_unmapped_codes_and_keeps_the_vintage_s_newest_period(reports) -> None:
    england, icb = reports["england"], reports["icb"]
    assert not england.unmapped.empty
    assert icb.unmapped.empty
    assert icb.newest_period == england.newest_period
    other = reports["icb"].findings
    assert list(other["source"]) == ["pcn_workforce"]  # the PCN extract is QWE's


def test_an_area_is_a_region_or_an_icb() -> None:
    with pytest.raises(ValueError, match="region or an ICB"):
        Area("org", "R1")


def test_the_cli_reports_an_icb_or_a_region(reports) -> None:
    db = str(reports["db"])
    run = CliRunner().invoke(app, ["gaps", "--db", db, "--vintage", "known", "--icb", "qwe",
                                   "--format", "csv"])
    assert run.exit_code == 0, run.output
    assert run.stdout == csv_text(reports["icb"].to_long())
    table = CliRunner().invoke(app, ["gaps", "--db", db, "--vintage", "known",
                                     "--region", REGION])
    assert table.exit_code == 0, table.output
    assert table.stdout.startswith(f"Data gaps of region {REGION} in vintage 'known';")
    page = CliRunner().invoke(app, ["gaps", "--db", db, "--vintage", "known", "--icb", ICB,
                                    "--format", "html"])
    assert f"<h1>Data gaps of ICB {ICB} in vintage" in page.stdout
    for wrong, says in ((["--icb", "Y56"], "has no ICB 'Y56'"),
                        (["--icb", ICB, "--region", REGION], "not both")):
        refused = CliRunner().invoke(app, ["gaps", "--db", db, "--vintage", "known", *wrong])
        assert refused.exit_code == 2
        assert says in refused.output
