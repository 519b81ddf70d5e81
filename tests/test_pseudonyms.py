"""Pseudonyms that cannot be reversed from the database: the key lives outside it.

The attack of issue 9: take the database file alone, read every value of every
table and every string in its bytes, use each as a candidate key, and hash the
candidate identifiers (8-digit ESR-style numbers). Hashing all 10^8 candidates
is too slow for a test, so the attacker here is given far more than that: a
window of candidates around every true identifier, so a key found in the file
recovers every one of them (the control shows it does).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import random
import re
import stat
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from wfplan.cli import app
from wfplan.dataset import pseudonym
from wfplan.dataset.store import DuckDBStore

SOURCE = "staff_records"
WINDOW = 10
ORGS = "org_code,name,org_type,sector,icb_code,region_code\nRX1,Trust 1,Acute,nhs_trust,QMJ,Y56\n"


def _cli(*args: object, env: dict[str, str | None] | None = None) -> Result:
    """Run wfplan; ``env`` overrides the environment (None unsets a variable)."""
    return CliRunner().invoke(app, [str(a) for a in args], env=env)


def _extract(folder: Path, people: int = 41, seed: int = 9) -> tuple[Path, list[str]]:
    """Write a staff_records extract of two censuses with 8-digit identifiers."""
    rng = random.Random(seed)
    ids = [f"{rng.randrange(10**7, 10**8):08d}" for _ in range(people)]
    rows = [(period, pid, "RX1", rng.choice(("nurses_health_visitors", "hchs_doctors")),
             rng.choice(("band_5", "band_6")), rng.choice(("25_29", "40_44")),
             rng.choice(("female", "male")), rng.choice(("white", "asian")), 1.0)
            for period in ("2024-03", "2024-06") for pid in ids[: people - (period == "2024-06")]]
    path = folder / "esr.csv"
    pd.DataFrame(rows, columns=["period", "person_id", "org_code", "staff_group", "band",
                                "age_band", "sex", "ethnicity", "fte"]).to_csv(path, index=False)
    (folder / "orgs.csv").write_text(ORGS, encoding="utf-8")
    return path, ids


def _everything_in(db: Path) -> tuple[set[bytes], set[str]]:
    """Return every candidate key an attacker finds in the file, and every 64-hex value."""
    values: set[str] = set()
    con = duckdb.connect(str(db), read_only=True)
    try:
        for table, column in con.execute(
                "SELECT table_name, column_name FROM information_schema.columns").fetchall():
            for (value,) in con.execute(f'SELECT DISTINCT "{column}"::VARCHAR FROM "{table}" '
                                        f'WHERE "{column}" IS NOT NULL').fetchall():
                values.add(str(value))
    finally:
        con.close()
    data = db.read_bytes()
    strings = {m.decode("latin-1") for m in re.findall(rb"[\x20-\x7e]{16,}", data)}
    hexes = {h for s in values | strings for h in re.findall(r"[0-9a-fA-F]{64,}", s)}
    windows = {h[i:i + 64] for h in hexes for i in range(0, len(h) - 63, 2)}
    keys = {s.encode("utf-8", "replace") for s in values | strings}
    keys |= {bytes.fromhex(w) for w in windows}
    targets = {v.lower() for v in values if re.fullmatch(r"[0-9a-fA-F]{64}", v)}
    return keys, targets


def _recovered(db: Path, ids: list[str]) -> set[str]:
    """Brute-force the identifiers from the database file alone."""
    keys, targets = _everything_in(db)
    candidates = sorted({f"{int(i) + d:08d}" for i in ids for d in range(-WINDOW, WINDOW + 1)})
    found = set()
    for key in keys:
        for candidate in candidates:
            digest = hmac.digest(key, f"{SOURCE}\0{candidate}".encode(), "sha256").hex()
            if digest in targets:
                found.add(candidate)
    return found


@pytest.fixture
def series(tmp_path: Path) -> tuple[Path, Path, list[str]]:
    """A database whose staff_records were ingested with a key file kept beside it."""
    key_file = tmp_path / "keys" / "series.key"
    key_file.parent.mkdir()
    assert _cli("keys", "pseudonym", "--out", key_file).exit_code == 0
    extract, ids = _extract(tmp_path)
    db = tmp_path / "w.duckdb"
    result = _cli("ingest", tmp_path / "orgs.csv", extract, "--db", db, "--vintage", "v",
                  "--pseudonym-key", key_file)
    assert result.exit_code == 0, result.output
    return db, key_file, ids


def test_no_identifier_is_recovered_by_brute_force_from_the_database_file(
        series: tuple[Path, Path, list[str]]) -> None:
    db, _, ids = series
    assert _recovered(db, ids) == set()


def test_the_brute_force_recovers_every_identifier_when_the_key_is_in_the_file(
        series: tuple[Path, Path, list[str]]) -> None:
    """The control: the old scheme kept its salt in schema_meta; so does this copy."""
    db, key_file, ids = series
    key = pseudonym.read_key(key_file)
    with DuckDBStore(db) as store:
        store.execute("INSERT INTO schema_meta VALUES ('person_salt', ?)", [key.secret.hex()])
    assert _recovered(db, ids) == set(ids)


def _legacy(db: Path, key: pseudonym.PseudonymKey) -> None:
    """Turn a database into the layout of schema 3: the salt in the file, the full records."""
    with DuckDBStore(db) as store:
        for column in ("grade", "sex", "ethnicity"):
            store.execute(f"ALTER TABLE person_records ADD COLUMN {column} VARCHAR")
        store.execute("DROP TABLE pseudonym_keys")
        store.execute("INSERT INTO schema_meta VALUES ('person_salt', ?)", [key.secret.hex()])
        store.execute("UPDATE schema_meta SET value = '3' WHERE key = 'schema_version'")


def test_upgrading_a_database_with_a_stored_salt_deletes_it_and_its_records(
        series: tuple[Path, Path, list[str]], tmp_path: Path) -> None:
    db, key_file, ids = series
    key = pseudonym.read_key(key_file)
    _legacy(db, key)
    assert _recovered(db, ids) == set(ids)  # schema 3: reversible
    with DuckDBStore(db) as store:  # opening for writing migrates to schema 4
        assert store.scalar("SELECT count(*) FROM person_records") == 0
        assert store.scalar("SELECT count(*) FROM schema_meta WHERE key = 'person_salt'") == 0
        columns = set(store.query("SELECT * FROM person_records LIMIT 0").columns)
        flows = store.scalar("SELECT count(*) FROM flows")
    assert not {"grade", "sex", "ethnicity"} & columns
    assert flows > 0  # the counts derived from the records stay
    assert key.secret.hex().encode() not in db.read_bytes()  # not even in free blocks
    assert _recovered(db, ids) == set()
    # the series cannot go on: its earlier records are gone
    later = tmp_path / "later.csv"
    later.write_text("period,person_id,org_code,staff_group,fte\n"
                     f"2024-09,{ids[0]},RX1,hchs_doctors,1\n", encoding="utf-8")
    result = _cli("ingest", later, "--db", db, "--vintage", "v", "--pseudonym-key", key_file)
    assert result.exit_code == 2, result.output
    shown = " ".join(result.stderr.split())
    assert "whose person records are gone" in shown
    assert "into a new vintage" in shown
    fresh = _cli("ingest", later, "--db", db, "--vintage", "v2", "--pseudonym-key", key_file)
    assert fresh.exit_code == 0, fresh.output


def test_staff_records_without_a_pseudonym_key_are_refused_and_nothing_is_written(
        tmp_path: Path) -> None:
    extract, _ = _extract(tmp_path, people=5)
    db = tmp_path / "w.duckdb"
    assert _cli("ingest", tmp_path / "orgs.csv", "--db", db, "--vintage", "v").exit_code == 0
    result = _cli("ingest", extract, "--db", db, "--vintage", "v",
                  env={pseudonym.KEY_ENV: None})
    assert result.exit_code == 2, result.output
    shown = " ".join(result.stderr.split())
    assert "need a pseudonym key" in shown
    assert "wfplan keys pseudonym" in shown
    with DuckDBStore(db, read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM staff_in_post") == 0


def test_the_key_may_come_from_the_environment_and_another_key_is_refused(
        tmp_path: Path) -> None:
    extract, ids = _extract(tmp_path, people=6)
    db = tmp_path / "w.duckdb"
    first = pseudonym.PseudonymKey(os.urandom(32))
    env: dict[str, str | None] = {pseudonym.KEY_ENV: first.secret.hex()}
    result = _cli("ingest", tmp_path / "orgs.csv", extract, "--db", db, "--vintage", "v",
                  env=env)
    assert result.exit_code == 0, result.output
    with DuckDBStore(db, read_only=True) as store:
        held = store.scalar("SELECT fingerprint FROM pseudonym_keys WHERE vintage = 'v'")
        hashes = set(store.query("SELECT person_hash FROM person_records")["person_hash"])
    assert held == first.fingerprint
    assert hashes == set(first.hash(SOURCE, pd.Series(ids)))
    later = tmp_path / "later.csv"
    later.write_text("period,person_id,org_code,staff_group,fte\n"
                     f"2024-09,{ids[0]},RX1,hchs_doctors,1\n", encoding="utf-8")
    other: dict[str, str | None] = {pseudonym.KEY_ENV: os.urandom(32).hex()}
    refused = _cli("ingest", later, "--db", db, "--vintage", "v", env=other)
    assert refused.exit_code == 2, refused.output
    assert "hashed with another pseudonym key" in " ".join(refused.stderr.split())
    assert _cli("ingest", later, "--db", db, "--vintage", "v", env=env).exit_code == 0


def test_a_key_shorter_than_256_bits_is_refused(tmp_path: Path) -> None:
    short = tmp_path / "short.key"
    short.write_text(hashlib.sha256(b"x").hexdigest()[:32] + "\n", encoding="utf-8")
    with pytest.raises(Exception, match="must hold 256 bits"):
        pseudonym.read_key(short)
    result = _cli("ingest", short, "--pseudonym-key", short, "--db", tmp_path / "w.duckdb")
    assert result.exit_code == 2
    assert "must hold 256 bits" in " ".join(result.stderr.split())


def test_keys_pseudonym_writes_a_private_key_file_and_never_overwrites_it(
        tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    made = _cli("keys", "pseudonym", "--out", path)
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = pseudonym.read_key(path)
    assert len(key.secret) == 32
    assert key.secret.hex() not in made.output  # the key is never printed
    assert key.fingerprint[:16] in made.output
    before = path.read_bytes()
    again = _cli("keys", "pseudonym", "--out", path)
    assert again.exit_code == 2
    assert "never overwritten" in again.stderr
    assert path.read_bytes() == before
