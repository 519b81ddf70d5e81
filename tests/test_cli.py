"""The ``wfplan`` command line: help, exit codes, errors without tracebacks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import typer

from wfplan import __version__
from wfplan.cli import app

if TYPE_CHECKING:
    from conftest import Kit


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Yield the path of every command and group of the app, the root first."""
    yield path
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(typer.main.get_command(app)))


def test_the_walk_finds_the_commands_and_subcommands() -> None:
    assert {("ingest",), ("template",), ("metrics",), ("vintages",),
            ("vintages", "freeze")} <= set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "wfplan")
def test_every_help_states_the_exit_codes(kit: Kit, path: tuple[str, ...]) -> None:
    result = kit.cli(*path, "--help")
    assert result.exit_code == 0, result.output
    text = kit.plain(result.stdout)
    assert "Exit codes:" in text
    for code in ("0 success", "2 bad input", "3 database busy", "4 refused"):
        assert code in text, f"'wfplan {' '.join(path)} --help' does not mention {code!r}"


def test_version(kit: Kit) -> None:
    result = kit.cli("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"wfplan {__version__}"


def test_no_arguments_shows_help(kit: Kit) -> None:
    result = kit.cli()
    assert "Usage" in result.output
    assert "ingest" in result.output


def test_ingest_prints_what_it_loaded(kit: Kit, tmp_path: Path) -> None:
    db = tmp_path / "cli.duckdb"
    result = kit.cli("ingest", kit.org_csv(tmp_path / "orgs.csv"),
                     kit.sip_csv(tmp_path / "sip.csv", 4), "--db", db, "--vintage", "2024-03")
    assert result.exit_code == 0, result.output
    assert "orgs.csv: tidy: 4 organisations" in result.stdout
    assert "sip.csv: tidy: 4 staff_in_post" in result.stdout
    assert "vintage '2024-03': 2 file(s) loaded, 0 warning(s)" in result.stdout


def test_db_from_environment(kit: Kit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "env.duckdb"
    monkeypatch.setenv("WFPLAN_DB", str(db))
    result = kit.cli("ingest", kit.sip_csv(tmp_path / "sip.csv", 2))
    assert result.exit_code == 0, result.output
    assert kit.read_back(db, "SELECT count(*) AS n FROM staff_in_post")["n"].iat[0] == 2


def test_vintages_lists_state_ingests_and_rows(kit: Kit, base_db: Path) -> None:
    result = kit.cli("vintages", "--db", base_db)
    assert result.exit_code == 0, result.output
    text = kit.plain(result.stdout)
    assert "default open" in text
    # 2 files; 50 seeded areas + 4 organisations + 20 staff rows.
    assert text.endswith("2 74")
    kit.cli("vintages", "freeze", "default", "--db", base_db)
    assert "default frozen" in kit.plain(kit.cli("vintages", "--db", base_db).stdout)


def test_vintages_of_an_empty_database(kit: Kit, tmp_path: Path) -> None:
    from wfplan.dataset.store import DuckDBStore

    DuckDBStore(tmp_path / "empty.duckdb").close()
    result = kit.cli("vintages", "--db", tmp_path / "empty.duckdb")
    assert result.exit_code == 0, result.output
    assert "no vintages yet" in result.stdout


def test_reading_a_missing_database_is_bad_input(kit: Kit, tmp_path: Path) -> None:
    for args in (("vintages",), ("metrics",)):
        result = kit.cli(*args, "--db", tmp_path / "missing.duckdb")
        assert result.exit_code == 2, result.output
        assert "no database at" in kit.plain(result.stderr)
    assert not (tmp_path / "missing.duckdb").exists()


def test_freezing_an_unknown_vintage(kit: Kit, base_db: Path) -> None:
    result = kit.cli("vintages", "freeze", "nope", "--db", base_db)
    assert result.exit_code == 2
    assert "no vintage named 'nope'" in kit.plain(result.stderr)


def test_unexpected_failure_is_exit_1_without_traceback(kit: Kit, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import wfplan.dataset.ingest as ingest_module

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(ingest_module, "ingest", broken)
    monkeypatch.delenv("WFPLAN_DEBUG", raising=False)
    result = kit.cli("ingest", kit.sip_csv(tmp_path / "sip.csv", 1), "--db",
                     tmp_path / "x.duckdb")
    assert result.exit_code == 1
    text = kit.plain(result.stderr)
    assert "unexpected failure: ZeroDivisionError: a bug" in text
    assert "WFPLAN_DEBUG=1" in text
    assert "Traceback" not in result.output


def test_a_commands_own_exit_code_is_not_reported_as_a_bug(capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    from wfplan.cli.common import guard

    def refuse() -> None:
        raise typer.Exit(4)  # e.g. 'wfplan demo' when its bundle does not verify

    with pytest.raises(typer.Exit) as raised:
        guard(refuse)
    assert raised.value.exit_code == 4
    assert "unexpected failure" not in capsys.readouterr().err
