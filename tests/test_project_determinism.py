"""The same projection on the same database gives the same bits, every time (issue 12).

DuckDB sums floating-point columns on several threads and adds the threads'
partial sums in whatever order they finish, so a plain ``sum(fte)`` over the
demo's many staff-in-post rows moved in its last bits from one call to the next
(FTE per head differed by about 5e-16), and so did ~1% of the values that
``wfplan project`` writes. The inputs' float sums are now taken in one fixed
order (``sum(x ORDER BY x)``): these tests store the same rows in another order,
run the same thing several times on several DuckDB threads, and in two processes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from reordered import store_in_reverse
from wfplan.dataset.store import DuckDBStore
from wfplan.dataset.store.queries import model_inputs as queries
from wfplan.inputs.build import build_inputs, resolve_period

if TYPE_CHECKING:
    from conftest import DemoBuild

#: DuckDB threads for the repeated runs (partial sums meet in an order that varies).
THREADS = 2
REPEATS = 6
#: Tables whose float measures the inputs sum, and the column to store them in order of.
REORDERED = {"staff_in_post": "fte", "vacancies": "vacancy_fte", "population": "persons",
             "education": "completion_rate", "utilisation": "activity_per_head"}


def _bits(array: np.ndarray) -> bytes:
    return np.ascontiguousarray(array).tobytes()


def test_inputs_from_the_demo_are_bit_identical_on_every_build(demo_vintage: DemoBuild) -> None:
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        store.con.execute(f"SET threads = {THREADS}")
        period = resolve_period(store, "demo", None)
        builds = [build_inputs(store, "demo", period, "icb") for _ in range(3)]
    first = builds[0]
    assert {"fte_per_head", "stock_hc", "vacancy_fte", "population"} <= set(first._values)
    for other in builds[1:]:
        for name, array in first._values.items():
            assert _bits(array) == _bits(other._values[name]), name


def _inputs(db: Path, threads: int) -> dict[str, np.ndarray]:
    with DuckDBStore(db, read_only=True) as store:
        store.con.execute(f"SET threads = {threads}")
        built = build_inputs(store, "demo", resolve_period(store, "demo", None), "icb")
    return dict(built._values)


def test_inputs_do_not_depend_on_the_order_rows_are_stored_in(demo_vintage: DemoBuild,
                                                               demo_vintage_copy: Path) -> None:
    # the same rows, stored largest FTE (population, ...) first: a sum in storage order moves
    store_in_reverse(demo_vintage_copy, REORDERED)
    stored, reordered = _inputs(demo_vintage.db, 1), _inputs(demo_vintage_copy, 1)
    for name, array in stored.items():
        assert _bits(array) == _bits(reordered[name]), name


@pytest.mark.parametrize("level", ["icb", "org"])
def test_float_sums_of_staff_in_post_are_the_same_on_every_call(demo_vintage: DemoBuild,
                                                                  level: str) -> None:
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        store.con.execute(f"SET threads = {THREADS}")
        period = resolve_period(store, "demo", None)
        scope = queries.AreaScope("demo", level, period)
        frames = [queries.staff_in_post_by_age(store, scope, period) for _ in range(REPEATS)]
        fte = [frame["fte_both"].to_numpy(dtype=np.float64) for frame in frames]
    for other in fte[1:]:
        assert _bits(fte[0]) == _bits(other)


def test_two_projections_in_two_processes_write_identical_files(demo_vintage: DemoBuild,
                                                                 tmp_path: Path) -> None:
    outputs = []
    for name in ("first", "second"):
        out = tmp_path / f"{name}.parquet"
        subprocess.run([sys.executable, "-m", "wfplan.cli", "project", "ltwp", "--db",
                        str(demo_vintage.db), "--vintage", "demo", "--draws", "20", "--out",
                        str(out)], check=True, capture_output=True, timeout=600)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
