"""Commands on a DuckDB file do not import the PostgreSQL driver (issue 12: start-up time)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import handmade_vintage as hv
from wfplan.dataset.store import DuckDBStore


def _modules_after(statement: str) -> set[str]:
    """Return the modules loaded by a fresh interpreter after running ``statement``."""
    code = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                          text=True)
    return set(done.stdout.split())


def test_cli_import_leaves_psycopg_unloaded() -> None:
    loaded = _modules_after("import wfplan.cli.main")
    assert "wfplan.cli.main" in loaded
    assert not {m for m in loaded if m.split(".")[0] in {"psycopg", "psycopg_pool"}}


def test_postgres_store_is_still_importable_from_the_package() -> None:
    from wfplan.dataset.store import PostgresStore
    from wfplan.dataset.store.postgres import PostgresStore as Direct

    assert PostgresStore is Direct


def test_cli_import_leaves_the_model_engine_unloaded() -> None:
    """``wfplan.model.levels`` (the dataset's geography) does not pull in the engine."""
    loaded = _modules_after("import wfplan.cli.main")
    assert not {"wfplan.model.engine", "wfplan.model.results", "wfplan.model.kernel",
                "wfplan.model.scenario"} & loaded


def test_model_names_load_on_first_use() -> None:
    import wfplan.model as model
    from wfplan.model.engine import run
    from wfplan.model.uncertainty import STATISTICS

    assert model.run is run
    assert model.STATISTICS is STATISTICS
    assert set(model.__all__) <= set(dir(model)) | set(model._HOMES)


def test_model_names_that_are_also_module_names_stay_functions() -> None:
    code = ("import wfplan.model.aggregate, wfplan.model.labelled, wfplan.model as m\n"
            "print(callable(m.aggregate), callable(m.labelled))")
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                          text=True)
    assert done.stdout.split() == ["True", "True"]


#: Libraries of the report, the service and ingest validation: never needed to project.
NOT_FOR_PROJECT = {"pandera", "matplotlib", "weasyprint", "fastapi", "starlette", "uvicorn",
                   "openpyxl", "jinja2"}


def test_project_to_parquet_leaves_report_service_and_validation_unloaded(
        tmp_path: Path) -> None:
    """``wfplan project ... --out X.parquet`` imports none of :data:`NOT_FOR_PROJECT`.

    Run in a fresh interpreter, the modules are listed when the command exits.
    """
    db = tmp_path / "w.duckdb"
    with DuckDBStore(db) as store:
        hv.build(store, tmp_path)
    scenario = tmp_path / "s.toml"
    scenario.write_text('name = "s"\nlevel = "icb"\nhorizon = 5\ndraws = 5\nseed = 1\n',
                        encoding="utf-8")
    listing = tmp_path / "modules.txt"
    code = ("import atexit, sys\n"
            f"atexit.register(lambda: open({str(listing)!r}, 'w').write("
            "'\\n'.join(sorted(sys.modules))))\n"
            "from wfplan.cli.main import main\n"
            f"sys.argv = ['wfplan', 'project', {str(scenario)!r}, '--db', {str(db)!r}, "
            f"'--vintage', 'hand', '--out', {str(tmp_path / 'out.parquet')!r}]\n"
            "main()\n")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    loaded = set(listing.read_text(encoding="utf-8").split())
    assert "wfplan.runs.project" in loaded
    assert not {m for m in loaded if m.split(".")[0] in NOT_FOR_PROJECT}


def test_cli_import_leaves_the_evidence_library_unloaded() -> None:
    """The evidence library (pydantic models) loads with ``wfplan evidence``, not at start-up."""
    loaded = _modules_after("import wfplan.cli.main")
    assert not {"wfplan.inputs.evidence", "pydantic"} & loaded


def test_version_is_read_on_first_use() -> None:
    """``wfplan.__version__`` is the installed version, looked up only when read."""
    from importlib.metadata import version

    import wfplan

    done = subprocess.run([sys.executable, "-c", "import wfplan; print('__version__' in "
                           "vars(wfplan)); print(wfplan.__version__)"], check=True,
                          capture_output=True, text=True)
    assert done.stdout.split() == ["False", version("wfplan")]
    assert wfplan.__version__ == version("wfplan")
