"""One text encoding per CSV file, decided once and checked on every line; safe messages.

The refusals are in the bad-input corpus (``tests/corpus/2NN-*``). These tests
cover what the corpus cannot: output a subprocess alone shows (Python's
"Exception ignored" report), files that load with a warning, and line numbers
in files larger than the reader's block.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wfplan.cli import app
from wfplan.dataset import charset
from wfplan.dataset.store import DuckDBStore
from wfplan.errors import InputError

SIP = "period,org_code,staff_group,age_band,sex,headcount,fte\n"
SICK = "DATE,ORG_CODE,ORG_NAME,ORG_TYPE,FTE_DAYS_LOST,FTE_DAYS_AVAILABLE\n"
ORGS = "org_code,name,org_type,sector,icb_code,region_code\n"
PCN = ("CENSUS_YEAR,CENSUS_MONTH,PCN_CODE,PCN_NAME,SUB_ICB_CODE,SUB_ICB_NAME,ICB_CODE,ICB_NAME,"
       "COMM_REGION_CODE,COMM_REGION_NAME,STAFF_GROUP,STAFF_ROLE,DETAILED_STAFF_ROLE,FTE,"
       "UNIQUE_IDENTIFIER\n")


def _pcn_row(code: str, name: str, ident: int) -> str:
    return (f"2021,9,{code},{name},36L,Sub ICB,QWE,NHS SW London ICB,Y56,London,"
            f"Other Direct Patient Care staff,Pharmacists,Pharmacists,1,{ident}\n")


def _ingest(tmp_path: Path, *files: Path, extra: tuple[str, ...] = ()) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["ingest", *map(str, files), "--db",
                                      str(tmp_path / "w.duckdb"), "--vintage", "v", *extra])
    return result.exit_code, result.stdout, result.stderr


def _names(tmp_path: Path, sql: str) -> list[str]:
    with DuckDBStore(tmp_path / "w.duckdb", read_only=True) as store:
        return [str(v) for v in store.query(sql).iloc[:, 0]]


# -- no "Exception ignored" from pyarrow's invalid-row handler ---------------------------


@pytest.mark.parametrize("content", [
    bytes((i * 37 + 11) % 256 for i in range(300)),  # bytes of every kind
    (SICK + "30/04/2024,RAA,Trust A,Acute,10,200\n").encode()
    + b"30/04/2024,RBB,Trust \xc3(B,Acute,10,200,9,9\n",  # a long row, not UTF-8
    SIP.encode() + b"2024-03,RAA,managers,25_29,\xff\xfe,10\n",  # a short row, not UTF-8
], ids=["binary", "publication-long-row", "tidy-short-row"])
def test_refused_files_print_no_exception_ignored(tmp_path: Path, content: bytes) -> None:
    """pyarrow decoded a bad row's bytes as UTF-8 before calling the handler and reported
    the UnicodeDecodeError as "Exception ignored in _csv_header.<locals>.<lambda>"; now
    every line is checked to decode before pyarrow reads the file. CliRunner does not
    capture that report: only a real process shows it."""
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("WFPLAN_DEBUG", None)
    command = [str(Path(sys.executable).with_name("wfplan")), "ingest", str(path), "--db",
               str(tmp_path / "w.duckdb")]
    run = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    output = run.stdout + run.stderr
    assert "Exception ignored" not in output
    assert "Traceback" not in output
    assert run.returncode == 2, output
    assert "bad.csv" in run.stderr


# -- text from the file is printed as it is ---------------------------------------------


def test_console_markup_in_a_warning_prints_literally(tmp_path: Path) -> None:
    """An unknown code holding console markup made Rich raise MarkupError: exit 1."""
    path = tmp_path / "sip.csv"
    path.write_text(SIP + "2024-03,RAA,[/bold]x[red],25_29,female,10,9.5\n", encoding="utf-8")
    code, _, err = _ingest(tmp_path, path)
    assert code == 0, err
    assert "'[/bold]x[red]' matches no known code" in " ".join(err.split())


def test_escape_sequences_in_a_bad_row_are_escaped(tmp_path: Path) -> None:
    path = tmp_path / "sip.csv"
    path.write_bytes(SIP.encode() + b"2024-03,RAA,\x1b[2Jmanagers,25_29,female,10,9.5,x\n")
    code, _, err = _ingest(tmp_path, path)
    assert code == 2
    assert "\x1b" not in err
    assert "\\x1b[2Jmanagers" in err


# -- files that load, with what the ingest summary says -----------------------------------


def test_a_cp1252_publication_is_read_as_cp1252_and_the_note_says_from_which_line(
        tmp_path: Path) -> None:
    path = tmp_path / "pcn.csv"
    path.write_bytes((PCN + _pcn_row("U00070", "WEST PCN", 1)
                      + _pcn_row("U00071", "PCN \u2013 caf\u00e9", 2)).encode("cp1252"))
    code, out, err = _ingest(tmp_path, path)
    assert code == 0, err
    assert ("the file is not UTF-8 (line 3: byte 0x96); it was read as Windows-1252 (cp1252)"
            in " ".join(out.split()))
    assert "PCN \u2013 caf\u00e9" in _names(tmp_path, "SELECT name FROM organisations")


def test_utf8_lines_in_a_file_read_as_cp1252_on_request_are_named(tmp_path: Path) -> None:
    """--encoding cp1252 is followed, but a line that is also UTF-8 is not stored silently."""
    path = tmp_path / "pcn.csv"
    path.write_bytes(PCN.encode() + _pcn_row("U00070", "PCN \u2013 one", 1).encode("cp1252")
                     + _pcn_row("U00071", "PCN \u2013 caf\u00e9", 2).encode("utf-8"))
    code, _, err = _ingest(tmp_path, path, extra=("--encoding", "cp1252"))
    assert code == 0, err
    shown = " ".join(err.split())
    assert ("pcn.csv: line 3 is also UTF-8 text: read as Windows-1252 (cp1252), as --encoding "
            "cp1252 asked, it is 'PCN \u00e2\u20ac\u201c caf\u00c3\u00a9'; as UTF-8 it would "
            "be 'PCN \u2013 caf\u00e9'") in shown
    assert "(rule: one text encoding per file)" in shown


def test_mojibake_in_a_utf8_file_is_warned_about(tmp_path: Path) -> None:
    """Valid UTF-8 holding 'CafÃ©' (UTF-8 read as cp1252 by an earlier tool) is named."""
    path = tmp_path / "orgs.csv"
    path.write_text(ORGS + "RAA,Trust A,Acute,nhs_trust,QMJ,Y56\n"
                    "RBB,Caf\u00c3\u00a9 Trust,Acute,nhs_trust,QMJ,Y56\n", encoding="utf-8")
    code, _, err = _ingest(tmp_path, path)
    assert code == 0, err
    shown = " ".join(err.split())
    assert ("orgs.csv: line 3 holds 'Caf\u00c3\u00a9 Trust', which reads like UTF-8 text "
            "decoded as Windows-1252 before the file was saved ('Caf\u00e9 Trust')") in shown
    assert "(rule: no mojibake)" in shown
    assert "Caf\u00c3\u00a9 Trust" in _names(tmp_path, "SELECT name FROM organisations")


# -- the decision itself -------------------------------------------------------------------


def test_lines_are_counted_across_the_readers_blocks(tmp_path: Path) -> None:
    """A line split by a block boundary is one line; the mixed lines are named exactly."""
    filler = "a" * 99 + "\n"
    lines = [SICK] + [filler] * 20_000  # 2 MB
    spanning = (2**20 - len(SICK)) // len(filler) + 1  # starts just before 1 MiB
    lines[spanning] = "caf\u00e9 " * 25 + "\n"  # 150 bytes: goes on past 1 MiB
    start = len(SICK) + len(filler) * (spanning - 1)
    assert start < 2**20 < start + 150
    path = tmp_path / "big.csv"
    path.write_bytes("".join(lines).encode("utf-8") + "line \u2013 last\n".encode("cp1252"))
    with pytest.raises(InputError) as raised:
        charset.decide(path)
    message = str(raised.value)
    assert "line 20002 is not UTF-8 (byte 0x96)" in message
    assert f"but line {spanning + 1} is UTF-8" in message


def test_a_bom_is_skipped_and_read_as_utf8_sig(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "a,b\ncaf\u00e9,1\n".encode())
    decided = charset.decide(path)
    assert decided.encoding == "utf-8-sig"
    assert decided.note is None
    assert decided.warnings == ()


def test_an_unknown_or_wide_encoding_asked_for_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown text encoding 'klingon'"):
        charset.decide(path, "klingon")
    with pytest.raises(InputError, match="--encoding utf-32"):
        charset.decide(path, "utf-32")


def test_a_single_nul_in_text_is_not_a_binary_file(tmp_path: Path) -> None:
    """One NUL in a code is the validator's to report (corpus 120), with its row."""
    path = tmp_path / "nul.csv"
    path.write_bytes(SIP.encode() + b"2024-03,R\x00AA,managers,25_29,female,10,9\n")
    assert charset.decide(path).encoding == "utf-8"


def test_every_line_is_checked_not_only_the_first_few(tmp_path: Path) -> None:
    """A byte Windows-1252 cannot decode, after many lines that it can, is found."""
    path = tmp_path / "late.csv"
    path.write_bytes(SICK.encode() + "x \u2013 y,1\n".encode("cp1252") * 20 + b"x \x9d y,1\n")
    with pytest.raises(InputError, match=r"late\.csv: line 22: byte 0x9d is neither UTF-8"):
        charset.decide(path)
    with pytest.raises(InputError, match=r"late\.csv: line 22: byte 0x9d is not Windows-1252"):
        charset.decide(path, "cp1252")
