"""Inputs built from a frozen vintage are cached on disk, and never served stale (issue 12)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest

import handmade_vintage as hv
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import DuckDBStore
from wfplan.inputs import cache
from wfplan.inputs.build import resolve_period
from wfplan.model import ModelInputs

if TYPE_CHECKING:
    from conftest import Kit

SCENARIO = 'name = "s"\nlevel = "icb"\nhorizon = 5\ndraws = 20\nseed = 3\n'


def make_db(folder: Path, *, frozen: bool = True, scale: float = 1.0) -> Path:
    """The hand-made vintage (its headcounts times ``scale``), frozen unless asked not to be."""
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "w.duckdb"
    db.unlink(missing_ok=True)
    files = hv.files(folder)
    if scale != 1.0:
        staff = pd.read_csv(files[1])
        staff["headcount"] = staff["headcount"] * scale
        staff.to_csv(files[1], index=False)
    with DuckDBStore(db) as store:
        ingest(store, files, hv.VINTAGE)
        if frozen:
            store.freeze_vintage(hv.VINTAGE)
    return db


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own cache folder."""
    path = tmp_path / "cache"
    monkeypatch.setenv(cache.FOLDER_VARIABLE, str(path))
    return path


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """The arguments of every build of the inputs (a cached read builds nothing)."""
    calls: list[tuple[Any, ...]] = []
    real = cache.build_inputs

    def counted(*args: Any, **kwargs: Any) -> ModelInputs:
        calls.append(args[1:])
        return real(*args, **kwargs)

    monkeypatch.setattr(cache, "build_inputs", counted)
    return calls


def inputs_of(
    db: Path, level: str = "icb", groups: tuple[str, ...] | None = None, **options: Any
) -> ModelInputs:
    with DuckDBStore(db, read_only=True) as store:
        period = resolve_period(store, hv.VINTAGE)
        return cache.cached_inputs(store, hv.VINTAGE, period, level, groups, **options)


def same_inputs(one: ModelInputs, other: ModelInputs) -> bool:
    """Every field equal, arrays bit for bit with their dtypes."""

    def equal(a: Any, b: Any) -> bool:
        if isinstance(a, np.ndarray):
            return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
        if hasattr(a, "__dataclass_fields__"):
            return type(a) is type(b) and all(
                equal(getattr(a, f), getattr(b, f)) for f in a.__dataclass_fields__
            )
        if isinstance(a, dict):
            return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
        if isinstance(a, list | tuple):
            return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
        return bool(a == b)

    return equal(one, other)


def test_a_frozen_vintage_is_built_once_then_read_back(
    tmp_path: Path, folder: Path, builds: list[tuple[Any, ...]]
) -> None:
    db = make_db(tmp_path / "v")
    first = inputs_of(db)
    assert len(builds) == 1
    assert len(list(folder.glob("*.pickle"))) == 1
    again = inputs_of(db)
    assert len(builds) == 1
    assert same_inputs(again, first)
    assert same_inputs(inputs_of(db, use_cache=False), first)
    assert len(builds) == 2  # --no-cache builds, and leaves the file alone
    assert len(list(folder.glob("*.pickle"))) == 1


def test_a_vintage_that_is_not_frozen_is_never_cached(
    tmp_path: Path, folder: Path, builds: list[tuple[Any, ...]]
) -> None:
    db = make_db(tmp_path / "v", frozen=False)
    inputs_of(db)
    inputs_of(db)
    assert len(builds) == 2
    assert not folder.exists() or not list(folder.iterdir())


def test_changed_vintage_data_is_rebuilt(
    tmp_path: Path, folder: Path, builds: list[tuple[Any, ...]]
) -> None:
    db = make_db(tmp_path / "v")
    before = inputs_of(db)
    make_db(tmp_path / "v", scale=2.0)  # the same file, name and vintage, other data
    after = inputs_of(db)
    assert len(builds) == 2
    assert not same_inputs(after, before)
    fresh = inputs_of(db, use_cache=False)
    assert same_inputs(after, fresh)


@pytest.mark.parametrize("part", ["evidence_digest", "code_digest"])
def test_changed_evidence_or_code_is_rebuilt(
    tmp_path: Path,
    folder: Path,
    builds: list[tuple[Any, ...]],
    monkeypatch: pytest.MonkeyPatch,
    part: str,
) -> None:
    db = make_db(tmp_path / "v")
    inputs_of(db)
    monkeypatch.setattr(cache, part, lambda: "another library or another wfplan")
    inputs_of(db)
    assert len(builds) == 2
    assert len(list(folder.glob("*.pickle"))) == 2


def test_changed_version_is_rebuilt(
    tmp_path: Path, folder: Path, builds: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = make_db(tmp_path / "v")
    inputs_of(db)
    monkeypatch.setattr(cache, "__version__", "99.0")
    inputs_of(db)
    assert len(builds) == 2


def test_changed_arguments_are_rebuilt(
    tmp_path: Path, folder: Path, builds: list[tuple[Any, ...]]
) -> None:
    db = make_db(tmp_path / "v")
    asked: list[Callable[[], ModelInputs]] = [
        lambda: inputs_of(db),
        lambda: inputs_of(db, level="region"),
        lambda: inputs_of(db, groups=(hv.N,)),
        lambda: inputs_of(db, groups=(hv.N, hv.D)),
    ]
    made = [ask() for ask in asked]
    assert len(builds) == 4
    assert [len(m.coords.staff_group) for m in made[2:]] == [1, 2]
    again = [ask() for ask in asked]
    assert len(builds) == 4
    assert all(same_inputs(a, b) for a, b in zip(made, again, strict=True))


def test_a_damaged_or_writable_by_others_file_is_rebuilt(
    tmp_path: Path, folder: Path, builds: list[tuple[Any, ...]]
) -> None:
    db = make_db(tmp_path / "v")
    first = inputs_of(db)
    (path,) = folder.glob("*.pickle")
    path.write_bytes(b"not a pickle")
    assert same_inputs(inputs_of(db), first)
    assert len(builds) == 2
    path.chmod(0o666)
    assert same_inputs(inputs_of(db), first)
    assert len(builds) == 3


def test_project_cached_writes_the_same_bytes(
    tmp_path: Path, folder: Path, kit: Kit, builds: list[tuple[Any, ...]]
) -> None:
    """``wfplan project``: uncached, cached and ``--no-cache`` runs write identical files."""
    db = make_db(tmp_path / "v")
    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    outs = []
    for name, extra in (("first", ()), ("cached", ()), ("none", ("--no-cache",))):
        out = tmp_path / f"{name}.parquet"
        result = kit.cli(
            "project",
            str(scenario),
            "--db",
            str(db),
            "--vintage",
            hv.VINTAGE,
            "--out",
            str(out),
            *extra,
        )
        assert result.exit_code == 0, result.output
        outs.append(out)
    assert len(builds) == 2  # the first run and --no-cache
    first = pd.read_parquet(outs[0])
    for out in outs[1:]:
        assert out.read_bytes() == outs[0].read_bytes()
        pd.testing.assert_frame_equal(pd.read_parquet(out), first, check_exact=True)
