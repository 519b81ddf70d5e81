"""The bad-input corpus: every kind of bad input wfplan has met, with its expected outcome.

Each folder of ``tests/corpus/`` is one kind of bad input. Its ``case.toml`` says:

``description``
    What is wrong with the input, in a sentence.
``files``
    The input files, in the folder (default: every file but ``case.toml``, sorted).
``setup``
    ``"organisations"`` (default) loads the kit's four organisations into the vintage
    first, so that their codes are known; ``"frozen"`` does the same and then freezes
    the vintage (``wfplan vintages freeze corpus``); ``"none"`` starts from an empty
    database.
``args``
    Extra arguments after the files (default ``["--vintage", "corpus"]``). In them,
    ``{case}`` is the case's folder, ``{tmp}`` an empty folder made for the run (to
    name a path that does not exist, or a folder where a file is expected), and
    ``{pseudonym_key}`` a pseudonym key file made for the run (``wfplan keys
    pseudonym``), for record-level extracts.
``exit_code``
    The exit code expected (2 bad input, 3 busy, 4 refused; never 1).
``messages``
    Pieces of text the error output must hold (white space collapsed), e.g. the
    file, the row, the column and the rule.

Every case runs ``wfplan ingest`` through the CLI in this process, on a DuckDB file
(a copy of the file its setup's commands wrote once a worker) and on a PostgreSQL
schema (set up afresh) (``backend``), and checks: the
exit code; the messages; no traceback, no "Exception ignored" and no "bug in
wfplan" anywhere in the output; and every table of the database byte for byte
as it was before (a content digest, not only row counts).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from backends import Backend
from wfplan.cli import app
from wfplan.dataset.store import open_store

CORPUS = Path(__file__).resolve().parent / "corpus"
CASES = sorted(p for p in CORPUS.iterdir() if (p / "case.toml").is_file())
ORGANISATIONS = ("org_code,name,org_type,sector,icb_code,region_code\n"
                 "RAA,Trust A,Acute,nhs_trust,QMJ,Y56\n"
                 "RBB,Trust B,Acute,nhs_trust,QMJ,Y56\n"
                 "RCC,Trust C,Mental Health,nhs_trust,QKK,Y56\n"
                 "RDD,Trust D,Acute,nhs_trust,QJK,Y58\n")
#: Text that must never reach a user, whatever the input.
FORBIDDEN = ("Traceback", "Exception ignored", "bug in wfplan")


def _case(folder: Path) -> dict[str, Any]:
    with (folder / "case.toml").open("rb") as handle:
        case = tomllib.load(handle)
    case.setdefault("files", sorted(p.name for p in folder.iterdir()
                                    if p.is_file() and p.name != "case.toml"))
    case.setdefault("setup", "organisations")
    case.setdefault("args", ["--vintage", "corpus"])
    return case


def content_digest(db: str) -> str:
    """Return a SHA-256 over every row of every table of a database (read-only).

    Rows are sorted in Python (every column, NULL first), the same on both engines.
    """
    digest = hashlib.sha256()
    with open_store(db, read_only=True) as store:
        tables = store.query("SELECT table_name FROM information_schema.tables "
                             "WHERE table_schema = current_schema() "
                             "ORDER BY table_name")["table_name"]
        for table in tables:
            rows = store.query_arrow(f'SELECT * FROM "{table}"').to_pylist()
            rows.sort(key=lambda row: [(value is not None, str(value)) for value in row.values()])
            digest.update(table.encode())
            digest.update(str(rows).encode())
    return digest.hexdigest()


class Templates:
    """The DuckDB file of each setup, made once by the same commands, to copy for each case."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self.factory = factory
        self.files: dict[str, Path] = {}

    def copy(self, setup: str, db: str) -> str:
        """Copy the setup's file (made on first use) to ``db``; return ``db``."""
        if setup not in self.files:
            folder = self.factory.mktemp(f"corpus-{setup}")
            made = Backend("duckdb", str(folder / "wfplan.duckdb"))
            self.files[setup] = Path(_database(made, folder, setup))
        shutil.copyfile(self.files[setup], db)
        return db


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    """The DuckDB setups of this worker (session-scoped: the cases stay scheduled one by one)."""
    return Templates(tmp_path_factory)


def _database(backend: Backend, tmp_path: Path, setup: str,
              templates: Templates | None = None) -> str:
    """Set the case's database up: PostgreSQL afresh, DuckDB as a copy of ``templates``'.

    A copy holds the very bytes the same commands write, and the test compares
    the database after the refused ingest with the copy, as with a fresh one.
    """
    if backend.name == "duckdb" and templates is not None:
        return templates.copy(setup, backend.db)
    db = backend.db
    if setup in ("organisations", "frozen"):
        orgs = tmp_path / "organisations.csv"
        orgs.write_text(ORGANISATIONS, encoding="utf-8")
        result = CliRunner().invoke(app, ["ingest", str(orgs), "--db", db,
                                          "--vintage", "corpus"])
        assert result.exit_code == 0, result.output
    if setup == "frozen":
        result = CliRunner().invoke(app, ["vintages", "freeze", "corpus", "--db", db])
        assert result.exit_code == 0, result.output
    if setup == "none":
        backend.open().close()
    elif setup not in ("organisations", "frozen"):
        raise AssertionError(f"unknown setup {setup!r}")
    return db


def _args(case: dict[str, Any], folder: Path, tmp_path: Path) -> list[str]:
    """Return the case's extra arguments with ``{case}``, ``{tmp}``, ``{pseudonym_key}`` filled."""
    run = tmp_path / "run"
    run.mkdir()
    key = tmp_path / "corpus.key"
    if any("{pseudonym_key}" in arg for arg in case["args"]):
        result = CliRunner().invoke(app, ["keys", "pseudonym", "--out", str(key)])
        assert result.exit_code == 0, result.output
    return [arg.format(case=folder, tmp=run, pseudonym_key=key) for arg in case["args"]]


def test_the_corpus_holds_every_kind_named() -> None:
    assert len(CASES) >= 60, f"tests/corpus/ holds {len(CASES)} kinds, fewer than 60"
    for folder in CASES:
        case = _case(folder)
        assert case.get("description"), folder.name
        assert case.get("exit_code") in (2, 3, 4), folder.name
        assert case.get("messages"), folder.name
        for name in case["files"]:
            assert (folder / name).is_file(), (folder.name, name)


@pytest.mark.parametrize("folder", CASES, ids=[p.name for p in CASES])
def test_bad_input_is_refused_cleanly_and_changes_nothing(folder: Path, tmp_path: Path,
                                                         backend: Backend,
                                                         templates: Templates) -> None:
    case = _case(folder)
    db = _database(backend, tmp_path, case["setup"], templates)
    before = content_digest(db)
    files = [str(folder / name) for name in case["files"]]
    args = _args(case, folder, tmp_path)
    result = CliRunner().invoke(app, ["ingest", *files, "--db", db, *args])
    output = result.stdout + result.stderr
    for forbidden in FORBIDDEN:
        assert forbidden not in output, output
    assert result.exit_code == case["exit_code"], output
    shown = re.sub(r"\s+", " ", result.stderr)
    for message in case["messages"]:
        assert re.sub(r"\s+", " ", message) in shown, (message, shown)
    assert content_digest(db) == before, "the refused ingest changed the database"
