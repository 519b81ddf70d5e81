"""Record-level extracts: aggregates, flows against planted truth, pseudonymisation."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import pandas as pd
import pytest

from wfplan.dataset import pseudonym
from wfplan.dataset.importers.staff_records import template_docs
from wfplan.dataset.ingest import IngestReport
from wfplan.dataset.ingest import ingest as run_ingest
from wfplan.dataset.schema import SCHEMA_VERSION
from wfplan.dataset.store import DuckDBStore
from wfplan.errors import InputError

#: The test series' pseudonym key (a real one comes from 'wfplan keys pseudonym').
KEY = pseudonym.PseudonymKey(bytes(range(1, 33)), "test key")
ORGS = ("RX1", "RX2", "RX3")
GROUPS = ("nurses_health_visitors", "hchs_doctors", "support_doctors_nurses_midwives")
BANDS = ("band_2", "band_5", "band_6", "band_7")
AGES = ("under_25", "25_29", "35_39", "50_54", "60_64")
PERIODS = ("2023-03", "2023-06", "2023-09", "2023-12")
COLUMNS = ["period", "person_id", "org_code", "staff_group", "role", "band", "age_band", "sex",
           "ethnicity", "fte"]


def ingest(store: DuckDBStore, paths: list[Path], vintage: str,
           key: pseudonym.PseudonymKey | None = KEY) -> IngestReport:
    """Ingest with the test series' pseudonym key."""
    return run_ingest(store, paths, vintage, pseudonym_key=key)


@dataclass
class Person:
    pid: str
    cells: list[tuple[str, str, str, float]]  # (org, group, band, fte): one per assignment
    age: str
    sex: str
    ethnicity: str


@dataclass
class Extract:
    """Generated records per period and the flows planted between consecutive periods."""

    rows: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    truth: Counter[tuple[str, str, str, str, str, str, bool]] = field(default_factory=Counter)


def generate(seed: int, people: int = 240) -> Extract:
    """Plant joiners, leavers and internal moves (organisation or staff group changes)."""
    rng = random.Random(seed)
    serial = iter(range(1, 10**6))

    def new_person() -> Person:
        org, group = rng.choice(ORGS), rng.choice(GROUPS)
        cells = [(org, group, rng.choice(BANDS), rng.choice((1.0, 0.8, 0.6)))]
        if rng.random() < 0.15:  # a second assignment, in another organisation
            other = rng.choice([o for o in ORGS if o != org])
            cells.append((other, group, rng.choice(BANDS), 0.2))
        return Person(f"ESR-PERSON-{next(serial):06d}-X", cells, rng.choice(AGES),
                      rng.choice(("female", "male")), rng.choice(("white", "asian", "black")))

    staff = [new_person() for _ in range(people)]
    out = Extract()

    def snapshot(period: str) -> None:
        out.rows[period] = [
            {"period": period, "person_id": p.pid, "org_code": org, "staff_group": group,
             "role": None, "band": band, "age_band": p.age, "sex": p.sex,
             "ethnicity": p.ethnicity, "fte": fte}
            for p in staff for org, group, band, fte in p.cells]

    snapshot(PERIODS[0])
    for start, end in pairwise(PERIODS):
        rng.shuffle(staff)
        leavers, rest = staff[:20], staff[20:]
        for p in leavers:
            for org, group, _, _ in dict.fromkeys(p.cells):
                out.truth[(start, end, org, group, p.age, "leaver", False)] += 1
        movers = [p for p in rest if len(p.cells) == 1][:25]
        for p in movers:
            org, group, band, fte = p.cells[0]
            if rng.random() < 0.5:
                new = (rng.choice([o for o in ORGS if o != org]), group, band, fte)
            else:
                new = (org, rng.choice([g for g in GROUPS if g != group]), band, fte)
            out.truth[(start, end, org, group, p.age, "leaver", True)] += 1
            p.cells = [new]
            out.truth[(start, end, new[0], new[1], p.age, "joiner", True)] += 1
        for p in rest:
            if p not in movers and rng.random() < 0.1:  # a band change is not a move
                org, group, _, fte = p.cells[0]
                p.cells[0] = (org, group, rng.choice(BANDS), fte)
        joiners = [new_person() for _ in range(30)]
        for p in joiners:
            for org, group, _, _ in p.cells:
                out.truth[(start, end, org, group, p.age, "joiner", False)] += 1
        staff = rest + joiners
        snapshot(end)
    return out


def write_csv(path: Path, extract: Extract, periods: tuple[str, ...]) -> Path:
    rows = [r for p in periods for r in extract.rows[p]]
    pd.DataFrame(rows, columns=COLUMNS).to_csv(path, index=False)
    return path


def orgs_file(tmp_path: Path) -> Path:
    path = tmp_path / "organisations.csv"
    pd.DataFrame({"org_code": ORGS, "name": [f"Trust {o}" for o in ORGS],
                  "sector": "nhs_trust", "icb_code": "QWE"}).to_csv(path, index=False)
    return path


@pytest.fixture
def store(tmp_path: Path):
    with DuckDBStore(tmp_path / "w.duckdb") as db:
        yield db


def db_flows(store: DuckDBStore) -> Counter[tuple[str, str, str, str, str, str, bool]]:
    frame = store.query(
        "SELECT strftime(period_start, '%Y-%m') AS s, strftime(period_end, '%Y-%m') AS e, "
        "org_code, staff_group, age_band, direction, coalesce(route = 'internal', FALSE) AS i, "
        "headcount FROM flows")
    return Counter({(r.s, r.e, r.org_code, r.staff_group, r.age_band, r.direction, bool(r.i)):
                    int(r.headcount) for r in frame.itertuples(index=False)})


def assert_conservation(store: DuckDBStore) -> int:
    """headcount(t+1) = headcount(t) + joiners − leavers ± internal moves, exactly."""
    check = store.query("""
        WITH hc AS (
          SELECT period, org_code, staff_group, sum(headcount) AS hc FROM staff_in_post
          GROUP BY ALL),
        pairs AS (SELECT DISTINCT period_start, period_end FROM flows),
        cells AS (SELECT DISTINCT org_code, staff_group FROM staff_in_post),
        f AS (
          SELECT period_start, period_end, org_code, staff_group,
                 sum(CASE WHEN direction = 'joiner' THEN headcount ELSE -headcount END) AS net
          FROM flows GROUP BY ALL)
        SELECT p.period_start, p.period_end, c.org_code, c.staff_group,
               coalesce(a.hc, 0) AS hc_start, coalesce(b.hc, 0) AS hc_end,
               coalesce(f.net, 0) AS net
        FROM pairs p CROSS JOIN cells c
        LEFT JOIN hc a ON a.period = p.period_start AND a.org_code = c.org_code
          AND a.staff_group = c.staff_group
        LEFT JOIN hc b ON b.period = p.period_end AND b.org_code = c.org_code
          AND b.staff_group = c.staff_group
        LEFT JOIN f ON f.period_start = p.period_start AND f.period_end = p.period_end
          AND f.org_code = c.org_code AND f.staff_group = c.staff_group""")
    broken = check[check["hc_end"] != check["hc_start"] + check["net"]]
    assert broken.empty, broken
    return len(check)


def test_flows_match_the_planted_truth_and_conserve_headcount(tmp_path: Path, store) -> None:
    extract = generate(seed=7)
    path = write_csv(tmp_path / "esr.csv", extract, PERIODS)
    report = ingest(store, [orgs_file(tmp_path), path], "v")
    assert db_flows(store) == extract.truth
    assert assert_conservation(store) == 3 * len(ORGS) * len(GROUPS)
    assert any("internal moves" in w for w in report.warnings)
    # headcount in staff_in_post counts each person once per organisation and staff group
    people = pd.DataFrame(extract.rows["2023-06"])
    expected = people.drop_duplicates(["person_id", "org_code", "staff_group"]).groupby(
        ["org_code", "staff_group"]).size()
    got = store.query("SELECT org_code, staff_group, sum(headcount) AS n FROM staff_in_post "
                      "WHERE period = DATE '2023-06-30' GROUP BY ALL").set_index(
        ["org_code", "staff_group"])["n"]
    assert got.sort_index().astype(int).tolist() == expected.sort_index().tolist()
    fte = store.scalar("SELECT sum(fte) FROM staff_in_post WHERE period = DATE '2023-06-30'")
    assert fte == pytest.approx(people["fte"].sum())
    assert set(store.query("SELECT DISTINCT grade FROM staff_in_post")["grade"]) == set(BANDS)


def test_raw_identifiers_never_reach_the_database(tmp_path: Path, store) -> None:
    extract = generate(seed=11, people=60)
    ingest(store, [orgs_file(tmp_path), write_csv(tmp_path / "esr.csv", extract, PERIODS[:2])],
           "v")
    for table, column in store.query(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE data_type = 'VARCHAR'").itertuples(index=False):
        hits = store.scalar(f'SELECT count(*) FROM "{table}" WHERE "{column}" LIKE ?',
                            ["%ESR-PERSON-%"])
        assert hits == 0, (table, column)
    assert store.scalar("SELECT count(*) FROM schema_meta WHERE key = 'person_salt'") == 0
    hashes = store.query("SELECT DISTINCT person_hash FROM person_records")["person_hash"]
    assert hashes.str.fullmatch(r"[0-9a-f]{64}").all()
    store.execute("CHECKPOINT")
    store.close()
    for path in tmp_path.glob("w.duckdb*"):
        assert b"ESR-PERSON-" not in path.read_bytes(), path
        assert KEY.secret.hex().encode() not in path.read_bytes(), path
        assert KEY.secret not in path.read_bytes(), path
    # The byte search would find the identifiers had they been stored: a control.
    with DuckDBStore(tmp_path / "control.duckdb") as control:
        control.execute("CREATE TABLE raw AS SELECT * FROM read_csv(?, all_varchar = true)",
                        [str(tmp_path / "esr.csv")])
        control.execute("CHECKPOINT")
    assert b"ESR-PERSON-" in (tmp_path / "control.duckdb").read_bytes()


def test_a_later_extract_adds_a_period_and_its_flows(tmp_path: Path, store) -> None:
    extract = generate(seed=3)
    first = write_csv(tmp_path / "esr_h1.csv", extract, PERIODS[:2])
    later = write_csv(tmp_path / "esr_q3.csv", extract, PERIODS[2:3])
    ingest(store, [orgs_file(tmp_path), first], "v")
    report = ingest(store, [later], "v")
    assert store.scalar("SELECT fingerprint FROM pseudonym_keys WHERE vintage = 'v'") == (
        KEY.fingerprint)
    truth = Counter({k: v for k, v in extract.truth.items() if k[1] != "2023-12"})
    assert db_flows(store) == truth
    assert_conservation(store)
    assert any("flows 2023-06-30 → 2023-09-30" in w for w in report.warnings)


def test_out_of_order_or_repeated_periods_are_refused(tmp_path: Path, store) -> None:
    extract = generate(seed=5, people=40)
    ingest(store, [orgs_file(tmp_path), write_csv(tmp_path / "b.csv", extract, PERIODS[2:])],
           "v")
    before = store.scalar("SELECT count(*) FROM staff_in_post")
    with pytest.raises(InputError, match="load record-level extracts in date order"):
        ingest(store, [write_csv(tmp_path / "a.csv", extract, PERIODS[:2])], "v")
    again = tmp_path / "again.csv"
    pd.DataFrame(extract.rows["2023-12"], columns=COLUMNS).assign(fte=0.5).to_csv(again,
                                                                                 index=False)
    with pytest.raises(InputError, match="already in vintage"):
        ingest(store, [again], "v")
    assert store.scalar("SELECT count(*) FROM staff_in_post") == before


def test_one_period_has_no_flows_yet(tmp_path: Path, store) -> None:
    extract = generate(seed=1, people=30)
    report = ingest(store, [orgs_file(tmp_path), write_csv(tmp_path / "one.csv", extract,
                                                           PERIODS[:1])], "v")
    assert store.scalar("SELECT count(*) FROM flows") == 0
    assert any("no flows yet" in w for w in report.warnings)


def test_labels_aliases_and_an_unseen_edition(tmp_path: Path, store) -> None:
    # Column names in other spellings, labels instead of codes, dd/mm/yyyy dates, an
    # organisation and a staff group nobody has heard of.
    path = tmp_path / "extract.csv"
    path.write_text(
        "Census Date,Person ID,Organisation Code,Staff Group,Grade,Age Group,Gender,"
        "Ethnic Group,WTE\r\n"
        "31/03/2024,a,RX1,Nurses & health visitors,Band 5,25-29,F,White,1\r\n"
        "31/03/2024,b,RX1,Nurses & health visitors,Band 6,25-29,M,Asian,\"0.5\"\r\n"
        "31/03/2024,c,RZ9,Digital & data,Band 7,Under 25,F,Unknown & Not Stated,1\r\n"
        "30/06/2024,a,RX1,Nurses & health visitors,Band 5,25-29,F,White,1\r\n"
        "30/06/2024,c,RZ9,Digital & data,Band 7,25-29,F,Unknown & Not Stated,1\r\n"
        "30/06/2024,d,RX1,Nurses & health visitors,Band 5,30-34,F,Black,1\r\n",
        encoding="utf-8")
    report = ingest(store, [orgs_file(tmp_path), path], "v")
    unmapped = set(store.query("SELECT value FROM unmapped")["value"])
    assert {"RZ9", "Digital & data"} <= unmapped
    assert any("matches no known code" in w for w in report.warnings)
    sip = store.query("SELECT grade, sex, ethnicity FROM staff_in_post WHERE org_code = 'RX1' "
                      "ORDER BY grade, sex")
    assert sip.values.tolist()[0] == ["band_5", "female", "white"]
    flows = db_flows(store)
    assert flows[("2024-03", "2024-06", "RX1", "nurses_health_visitors", "25_29", "leaver",
                  False)] == 1
    assert flows[("2024-03", "2024-06", "RX1", "nurses_health_visitors", "30_34", "joiner",
                  False)] == 1
    assert_conservation(store)


def test_missing_required_cells_are_errors(tmp_path: Path, store) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("period,person_id,org_code,staff_group,fte\n2024-03,a,RX1,hchs_doctors,1\n"
                    "2024-03,,RX1,hchs_doctors,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="row 2, column 'person_id'"):
        ingest(store, [path], "v")


def test_template_docs_list_the_columns() -> None:
    docs = template_docs()
    assert docs["column"].tolist() == COLUMNS
    assert docs.loc[docs["column"] == "person_id", "required"].item() == "yes"


def test_old_databases_migrate_to_the_new_tables(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with DuckDBStore(path) as db:
        db.execute("DROP TABLE source_flags")
        db.execute("DROP TABLE person_records")
        db.execute("DROP TABLE distinct_headcount")
        db.execute("UPDATE schema_meta SET value = '1' WHERE key = 'schema_version'")
    with DuckDBStore(path) as db:
        assert db.scalar("SELECT value FROM schema_meta WHERE key = 'schema_version'") == str(
            SCHEMA_VERSION)
        assert db.scalar("SELECT count(*) FROM person_records") == 0
        assert db.scalar("SELECT count(*) FROM distinct_headcount") == 0
        assert db.scalar("SELECT count(*) FROM source_flags") == 0


def test_flows_within_a_file_are_counted_in_the_ingest_log(tmp_path: Path, store) -> None:
    extract = generate(seed=9, people=50)
    ingest(store, [orgs_file(tmp_path), write_csv(tmp_path / "esr.csv", extract, PERIODS[:3])],
           "v")
    log = store.query("SELECT tables, rows FROM ingests WHERE source_file = 'esr.csv'")
    assert log["tables"].item() == "flows,staff_in_post"
    assert log["rows"].item() == store.scalar("SELECT count(*) FROM flows") + store.scalar(
        "SELECT count(*) FROM staff_in_post")


def test_a_period_without_any_change_has_no_flows(tmp_path: Path, store) -> None:
    path = tmp_path / "same.csv"
    path.write_text("period,person_id,org_code,staff_group,fte\n"
                    "2024-03,a,RX1,hchs_doctors,1\n2024-06,a,RX1,hchs_doctors,1\n",
                    encoding="utf-8")
    report = ingest(store, [orgs_file(tmp_path), path], "v")
    assert store.scalar("SELECT count(*) FROM flows") == 0
    assert any("no joiners, leavers or internal moves" in w for w in report.warnings)
    later = tmp_path / "later.csv"
    later.write_text("period,person_id,org_code,staff_group,fte\n2024-09,a,RX1,hchs_doctors,1\n",
                     encoding="utf-8")
    ingest(store, [later], "v")
    assert store.scalar("SELECT count(*) FROM flows") == 0
