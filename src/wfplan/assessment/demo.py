"""The demo workflow (``wfplan demo``): build the demo vintage, show it, assess and verify it.

The command line only shows progress and prints; what the demo does lives here:

1. :func:`demo_dataset`: build vintage ``demo`` from the seeded generator
   (:func:`wfplan.dataset.demo.build_demo`), unless the database already holds
   it, and compute what the demo shows of it: England over every sector and by
   each sector staff groups belong to (:func:`wfplan.dataset.codelists.workforce_sectors`),
   and NHS trusts by NHS region;
2. :func:`demo_assessment`: write the assessment bundle beside the database
   (:data:`BUNDLE_NAME`, from ``data/demo_assessment.toml``) unless it exists,
   then verify it by re-running it from the bundle alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import as_file, files
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from wfplan.analysis import metrics as m
from wfplan.assessment.bundle import assess
from wfplan.assessment.manifest import MANIFEST, RESULTS_FILE
from wfplan.assessment.verify import Verdict, verify
from wfplan.dataset import codelists
from wfplan.dataset.demo import build_demo
from wfplan.dataset.store import Store, default_db_path, open_store
from wfplan.runs.project import headline

#: The demo's vintage.
VINTAGE = "demo"
#: The folder, beside the database, of the demo's assessment bundle.
BUNDLE_NAME = "wfplan-demo-assessment"
#: The assessment configuration the demo runs (in ``wfplan/data``).
CONFIG = "demo_assessment.toml"


@dataclass(frozen=True)
class DemoDataset:
    """The demo vintage as the demo shows it.

    Attributes
    ----------
    rows
        Rows loaded when the vintage was built now; ``None`` when it already existed.
    england
        Current position in England: every sector, then each workforce sector.
    regions
        Current position of NHS trusts by NHS region.
    by_default
        Whether commands without ``--vintage`` read the demo vintage.
    """

    rows: int | None
    england: pd.DataFrame
    regions: pd.DataFrame
    by_default: bool
    location: str


def demo_dataset(store: Store, seed: int,
                 progress: Callable[[Path, int], None] | None = None,
                 building: Callable[[], None] | None = None) -> DemoDataset:
    """Build the demo vintage unless ``store`` holds it; return what the demo shows of it.

    ``building`` is called before a build starts (to show progress), ``progress``
    with each file's rows as it loads.
    """
    rows = None
    if not store.vintage_exists(VINTAGE):
        if building:
            building()
        report = build_demo(store, seed=seed, progress=progress)
        rows = sum(sum(f.rows.values()) for f in report.files)
    names = codelists.sector_names()
    sectors = [m.current_position(store, m.Query(VINTAGE, "england", sector=sector))
               .assign(area_name=f"England: {names[sector]}")
               for sector in codelists.workforce_sectors()]
    england = pd.concat([m.current_position(store, m.Query(VINTAGE, "england")), *sectors])
    regions = m.current_position(store, m.Query(VINTAGE, "region", sector="nhs_trust"))
    return DemoDataset(rows, england, regions, store.resolve_vintage(None).name == VINTAGE,
                       store.location())


def bundle_path(db: str | None) -> Path:
    """Return where the demo's assessment bundle is: beside the database file.

    For a PostgreSQL database, which is no file, that is the current folder.
    """
    return default_db_path(db).resolve().parent / BUNDLE_NAME


@dataclass(frozen=True)
class DemoAssessment:
    """The demo's assessment bundle: whether it existed, its headline, draws and verdict."""

    bundle: Path
    existed: bool
    headline: pd.DataFrame
    draws: int
    verdict: Verdict


def demo_assessment(db: str | None, step: Callable[[str], None]) -> DemoAssessment:
    """Write the demo's bundle (unless it exists) from the database, then verify it."""
    bundle = bundle_path(db)
    existed = bundle.exists()
    if not existed:
        with open_store(db, read_only=True) as store, \
                as_file(files("wfplan").joinpath("data")) as folder:
            assess(store, folder / CONFIG, bundle, step=step)
    results = pq.read_table(bundle / RESULTS_FILE).to_pandas()
    step("verifying the bundle (a full re-run)")
    # Just written, this process holds its rendering, so re-rendering the PDF is free.
    verdict = verify(bundle, step=step, full=not existed)
    draws = int(json.loads((bundle / MANIFEST).read_text(encoding="utf-8"))["draws"])
    return DemoAssessment(bundle, existed, headline(results), draws, verdict)
