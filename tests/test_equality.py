"""``wfplan equality``: WRES indicator 1 and Model Employer trajectories (docs/equality.md).

A hand-made vintage whose answer is worked out by hand below, and the real GOV.UK
ethnicity series (2009-2019), whose figures the tests sum from the file itself.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from shared_data import real
from wfplan.analysis.model_employer import BandStart, trajectory
from wfplan.cli import app
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import DuckDBStore

ETHNICITY = ("nhs_workforce_ethnicity", "nhs_workforce_ethnicity_headcount_2009-2019.csv")
MINORITY = ("Asian", "Black", "Chinese", "Mixed", "Other")

#: Two censuses for England: band 5 with 200 of 1,000 ethnic-minority staff at both;
#: band 7 with 100 of 1,000 (and 50 whose ethnicity is unknown) in 2020, 120 of 1,000 in 2021.
HAND = [("2020-03-31", "band_5", "white", 800), ("2020-03-31", "band_5", "asian", 200),
        ("2020-03-31", "band_7", "white", 900), ("2020-03-31", "band_7", "black", 100),
        ("2020-03-31", "band_7", "unknown", 50),
        ("2021-03-31", "band_5", "white", 800), ("2021-03-31", "band_5", "asian", 200),
        ("2021-03-31", "band_7", "white", 880), ("2021-03-31", "band_7", "black", 120)]
GOAL = "area_code,grade,target_year,target_share,leaver_rate,promotion_rate\n" \
       "E92000001,Band 7,2024,0.2,0.1,0.05\n"


@pytest.fixture(scope="module")
def hand_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("equality")
    source = folder / "staff.csv"
    with source.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["period", "org_code", "staff_group", "grade", "ethnicity", "headcount",
                         "fte"])
        for period, grade, group, heads in HAND:
            writer.writerow([period, "E92000001", "nurses_health_visitors", grade, group, heads,
                             heads * 0.9])
    db = folder / "hand.duckdb"
    with DuckDBStore(db) as store:
        ingest(store, [source], "hand")
    return db


@pytest.fixture(scope="module")
def real_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = real(*ETHNICITY)
    db = tmp_path_factory.mktemp("equality-real") / "eth.duckdb"
    with DuckDBStore(db) as store:
        ingest(store, [path], "eth")
    return db


def _json(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["equality", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _row(rows: list[dict[str, Any]], **match: object) -> dict[str, Any]:
    found = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, (match, found)
    return found[0]


def test_trajectory_of_a_band_is_the_stock_flow_rule_worked_by_hand() -> None:
    band = BandStart("E92000001", "band_7", 2020, headcount=1000, minority=100,
                     target_share=0.2, target_year=2024, leaver_rate=0.1, promotion_rate=0.05)
    frame = trajectory(band)
    # share path 10% -> 20% in 4 steps; 15% of the band leaves or is promoted each year
    assert list(frame["path_share"]) == pytest.approx([0.125, 0.15, 0.175, 0.2])
    assert list(frame["appointments"]) == pytest.approx([1000 - 0.85 * 1000] * 4)
    assert list(frame["minority_appointments"]) == pytest.approx(
        [125 - 0.85 * 100, 150 - 0.85 * 125, 175 - 0.85 * 150, 200 - 0.85 * 175])
    assert frame["minority_share_of_appointments"].iat[0] == pytest.approx(40 / 150)


def test_a_band_at_its_goal_keeps_the_goal_as_a_floor() -> None:
    band = BandStart("E92000001", "band_5", 2020, headcount=1000, minority=300,
                     target_share=0.2, target_year=2022, leaver_rate=0.1)
    frame = trajectory(band)
    assert list(frame["path_share"]) == [0.2, 0.2]
    # 300 x 0.9 = 270 stay, more than the 200 the goal asks: none needed; then 10% of 200
    assert list(frame["minority_appointments"]) == pytest.approx([0.0, 200 - 0.9 * 200])


def test_equality_on_a_hand_made_vintage_with_a_goal_file(hand_db: Path,
                                                           tmp_path: Path) -> None:
    goal = tmp_path / "goals.csv"
    goal.write_text(GOAL)
    body = _json("--db", str(hand_db), "--goal", str(goal))
    band7 = _row(body["wres"], grade="band_7")
    assert band7["period"] == "2021-03-31"
    assert band7["ethnic_minority_share"] == pytest.approx(120 / 1000)
    assert band7["overall_share"] == pytest.approx((200 + 120) / 2000)
    assert body["base"] == "2020-03-31"
    assert [r["grade"] for r in body["goals"]] == ["band_7"]
    needed = [r["minority_appointments"] for r in body["trajectory"]]
    assert needed == pytest.approx([40.0, 43.75, 47.5, 51.25])
    assert [r["year"] for r in body["trajectory"]] == [2021, 2022, 2023, 2024]
    progress = _row(body["progress"], grade="band_7")
    # on the path, 12.5% of the 1,000 staff in 2021 = 125; 120 are: 5 short
    assert progress["gap_heads"] == pytest.approx(125 - 120)
    assert progress["status"] == "off track"


def test_the_default_goal_is_the_overall_share_by_2028(hand_db: Path) -> None:
    body = _json("--db", str(hand_db))
    band7 = _row(body["goals"], grade="band_7")
    # overall at the base: (200 + 100) of 2,000 known; the 50 unknown are left out
    assert band7["target_share"] == pytest.approx(300 / 2000)
    assert band7["target_year"] == 2028
    assert band7["leaver_rate_source"].startswith("evidence leaver_hchs_sep2024")
    assert _row(body["goals"], grade="band_5")["at_base"] == "at or above goal"
    first = _row(body["trajectory"], grade="band_7", year=2021)
    share = 0.1 + (0.15 - 0.1) / 8
    assert first["minority_appointments"] == pytest.approx(
        share * 1000 - (1 - 0.101) * 100)
    assert _row(body["progress"], grade="band_7")["status"] == "on track"


@pytest.mark.parametrize(("text", "message"), [
    ("area_code,grade,target_year,colour\nE92000001,band_7,2028,red\n",
     "header: unknown field 'colour'"),
    ("grade,target_year,target_share\nband_7,2028,20\n",
     "row 1 (line 2): target_share: 20 is not a fraction from 0 to 1"),
    ("grade,target_year\nBand 10,2028\n", "row 1 (line 2): grade: 'Band 10' is not a pay band"),
    ("grade,target_year\nband_7,2019\n",
     "row 1 (line 2): target_year: 2019 is not after the base census (2020-03-31)"),
    ("grade,target_year\nband_7,2028\nband_7,2030\n",
     "row 2 (line 3): area_code and grade: the same area and band as"),
    ("grade,target_year,leaver_rate,promotion_rate\nband_7,2028,0.6,0.5\n",
     "leaver_rate and promotion_rate: they add to 1.1"),
])
def test_a_bad_goal_file_is_refused_naming_row_and_field(hand_db: Path, tmp_path: Path,
                                                         text: str, message: str) -> None:
    goal = tmp_path / "goals.csv"
    goal.write_text(text)
    result = CliRunner().invoke(app, ["equality", "--db", str(hand_db), "--goal", str(goal)])
    assert result.exit_code == 2, result.output
    assert f"{goal}: {message}" in result.output.replace("\n", " ") or message in result.output
    assert str(goal) in result.output
    assert "Traceback" not in result.output


def test_a_toml_goal_file_gives_the_same_answer_as_csv(hand_db: Path, tmp_path: Path) -> None:
    toml = tmp_path / "goals.toml"
    toml.write_text('[[goal]]\narea_code = "E92000001"\ngrade = "band_7"\ntarget_year = 2024\n'
                    "target_share = 0.2\nleaver_rate = 0.1\npromotion_rate = 0.05\n")
    csv_goal = tmp_path / "goals.csv"
    csv_goal.write_text(GOAL)
    a = _json("--db", str(hand_db), "--goal", str(toml))
    b = _json("--db", str(hand_db), "--goal", str(csv_goal))
    assert a["trajectory"] == b["trajectory"]


@pytest.mark.parametrize("width", [80, 120])
def test_tables_fit_and_show_every_headcount_whole(hand_db: Path, width: int) -> None:
    result = CliRunner().invoke(app, ["equality", "--db", str(hand_db)],
                                env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.stdout.splitlines()) <= width
    assert "…" not in result.stdout
    for text in ("1,000", "200", "120", "Progress against the trajectory", "on track"):
        assert text in result.stdout


# -- the real ethnicity series ------------------------------------------------------------


def _from_file(year: int) -> dict[str, tuple[int, int]]:
    """Sum the file by hand: grade -> (ethnic minority, known) headcount, all role groups."""
    out: dict[str, list[int]] = {}
    with real(*ETHNICITY).open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Time"] != f"{year}-09-01" or row["Grade"] == "All Grades":
                continue
            if row["Ethnicity"] not in (*MINORITY, "White"):
                continue
            pair = out.setdefault(row["Grade"], [0, 0])
            value = int(row["Value"])
            pair[1] += value
            if row["Ethnicity"] in MINORITY:
                pair[0] += value
    return {grade: (m, k) for grade, (m, k) in out.items()}


@pytest.mark.realdata
def test_real_series_at_icb_level_says_it_is_national_and_gives_england_by_band(
        real_db: Path, tmp_path: Path) -> None:
    goal = tmp_path / "goals.csv"
    goal.write_text("area_code,grade,target_year,target_share,leaver_rate,promotion_rate\n"
                    "E92000001,band_8a,2023,0.2,0.1,0.05\n")
    body = _json("--db", str(real_db), "--level", "icb", "--goal", str(goal))
    assert body["level"] == "england"
    assert body["requested_level"] == "icb"
    assert any("no ICB has staff in post by pay band" in n for n in body["notes"])
    y2019, y2018 = _from_file(2019), _from_file(2018)
    minority, known = y2019["Band 8a"]
    overall = (sum(m for m, _ in y2019.values()), sum(k for _, k in y2019.values()))
    band = _row(body["wres"], grade="band_8a")
    assert band["period"] == "2019-09-30"
    assert (band["minority_headcount"], band["known_headcount"]) == (minority, known)
    assert band["overall_share"] == pytest.approx(overall[0] / overall[1])
    consultants = _row(body["wres"], grade="medical", role="consultant")
    assert consultants["known_headcount"] == y2019["Consultant"][1]
    # the Model Employer trajectory from the 2018 census (the default base), by hand
    m0, h0 = y2018["Band 8a"]
    s0, stay = m0 / h0, 1 - 0.1 - 0.05
    path = [s0 + (0.2 - s0) * t / 5 for t in range(1, 6)]
    expected, before = [], m0
    for share in path:
        expected.append(share * h0 - stay * before)
        before = share * h0
    assert body["base"] == "2018-09-30"
    assert [r["minority_appointments"] for r in body["trajectory"]] == pytest.approx(expected)
    progress = _row(body["progress"], grade="band_8a")
    assert progress["gap_heads"] == pytest.approx(path[0] * known - minority)
    assert progress["status"] == ("on track" if path[0] * known <= minority else "off track")


@pytest.mark.realdata
def test_real_series_default_goal_tables_print(real_db: Path) -> None:
    result = CliRunner().invoke(app, ["equality", "--db", str(real_db), "--level", "region"],
                                env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    assert "no region has staff in post by pay band" in result.stdout.replace("\n", " ")
    assert "Very Senior Manager" in result.stdout
