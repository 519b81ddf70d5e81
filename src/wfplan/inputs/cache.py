"""A disk cache of the model inputs built from a frozen vintage (issue 12: time to results).

Building the inputs of an ICB-level run reads the vintage for about a second; a
planner iterating on a scenario reads the same frozen vintage every time. So
:func:`cached_inputs` keeps what :func:`~wfplan.inputs.build.build_inputs` returns
on disk, under ``$XDG_CACHE_HOME/wfplan/inputs/`` (``~/.cache/wfplan/inputs/`` when
the variable is unset; ``$WFPLAN_INPUTS_CACHE`` names another folder), one pickle
file per key, and serves it again only when
every part of the key is unchanged:

- the vintage's content: it must be frozen (a vintage that can still be written
  is never cached), and its creation and freezing times and every ingest into it
  (id, file hash, format, tables, rows, warnings, load time) are part of the key,
  so a database rebuilt under the same name (or a vintage loaded differently)
  has another key;
- the wfplan version and a digest of the code and data that inputs are made
  from: every file of the ``inputs``, ``dataset`` and ``model`` packages and of
  ``data/`` (the store's queries and schema, the code lists, the parameter table);
- the evidence library (``data/evidence.csv`` and ``evidence.toml``), named as a
  part of its own;
- the arguments that shape the inputs: vintage, base period, level and staff
  groups.

The file holds the key with the inputs and is read back only if they match; an
unreadable file is rebuilt, and a cache that cannot be written (a read-only
home) is skipped. A pickle runs code when it is read, so a file is read only if
it and its folder belong to the user and no one else may write them (the folder
is made ``0700``). The pickle holds NumPy arrays as they were, so a cached
run's results are the same bits as an uncached one's. The files are the
user's own: delete the folder to empty it.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from collections.abc import Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from wfplan import __version__
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries.model_inputs import frozen_vintage_state
from wfplan.inputs.build import build_inputs
from wfplan.model import ModelInputs

#: Bumped when the file's layout changes.
FORMAT = 1
#: The packages (folders of ``wfplan``) whose files the inputs are made from.
CODE_FOLDERS = ("inputs", "dataset", "model", "data")
#: The evidence library's files, in ``wfplan/data``.
EVIDENCE_FILES = ("evidence.csv", "evidence.toml")
#: An environment variable naming the cache folder itself, instead of the XDG one.
FOLDER_VARIABLE = "WFPLAN_INPUTS_CACHE"
_PACKAGE = Path(__file__).resolve().parents[1]


def cache_folder() -> Path:
    """Return the folder of cached inputs: ``$XDG_CACHE_HOME/wfplan/inputs``.

    ``$WFPLAN_INPUTS_CACHE``, if set, is the folder itself (the tests use their own).
    """
    if own := os.environ.get(FOLDER_VARIABLE):
        return Path(own)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "wfplan" / "inputs"


def _digest(paths: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@cache
def code_digest() -> str:
    """Return the SHA-256 of every file the inputs are made from (:data:`CODE_FOLDERS`)."""
    paths = sorted(
        p
        for folder in CODE_FOLDERS
        for p in (_PACKAGE / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    return _digest(paths)


@cache
def evidence_digest() -> str:
    """Return the SHA-256 of the evidence library's files (:data:`EVIDENCE_FILES`)."""
    return _digest([_PACKAGE / "data" / name for name in EVIDENCE_FILES])


def vintage_state(store: Store, vintage: str) -> dict[str, Any] | None:
    """Return what identifies a frozen vintage's content, or ``None`` if it is not frozen."""
    found, ingests = frozen_vintage_state(store, vintage)
    if found.empty or not bool(found.iat[0, 0]):
        return None
    return {
        "created_at": str(found.iat[0, 1]),
        "frozen_at": str(found.iat[0, 2]),
        "ingests": [
            [str(value) for value in row] for row in ingests.itertuples(index=False, name=None)
        ],
    }


def cache_key(
    store: Store, vintage: str, period: date, level: str, staff_groups: Sequence[str] | None
) -> str | None:
    """Return the key of these inputs (a SHA-256), or ``None`` when they are not cached."""
    state = vintage_state(store, vintage)
    if state is None:
        return None
    parts = {
        "format": FORMAT,
        "wfplan_version": __version__,
        "code": code_digest(),
        "evidence": evidence_digest(),
        "vintage": state,
        "arguments": {
            "vintage": vintage,
            "period": period.isoformat(),
            "level": level,
            "staff_groups": None if staff_groups is None else list(staff_groups),
        },
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _trusted(path: Path) -> bool:
    """Whether ``path`` is this user's own file that nobody else may write.

    A pickle runs code when read, so only a file the cache itself could have
    written is read.
    """
    try:
        status = path.stat()
    except OSError:
        return False
    owner = getattr(os, "getuid", lambda: status.st_uid)()
    return status.st_uid == owner and not status.st_mode & 0o022


def _read(path: Path, key: str) -> ModelInputs | None:
    if not _trusted(path) or not _trusted(path.parent):
        return None
    try:
        with path.open("rb") as file:
            stored = pickle.load(file)  # noqa: S301 - the user's own file (_trusted)
    except Exception:
        return None  # a damaged or foreign file is rebuilt, never fatal
    if (
        isinstance(stored, tuple)
        and len(stored) == 2
        and stored[0] == key
        and isinstance(stored[1], ModelInputs)
    ):
        return stored[1]
    return None


def _write(path: Path, key: str, inputs: ModelInputs) -> None:
    """Write the file whole (a temporary file renamed), or not at all."""
    temporary: Path | None = None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-", delete=False) as file:
            temporary = Path(file.name)
            pickle.dump((key, inputs), file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
        temporary = None
    except (OSError, pickle.PicklingError):
        return
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)


def cached_inputs(
    store: Store,
    vintage: str,
    period: date,
    level: str,
    staff_groups: Sequence[str] | None = None,
    *,
    use_cache: bool = True,
) -> ModelInputs:
    """Return :func:`~wfplan.inputs.build.build_inputs` of these arguments, cached on disk.

    Parameters
    ----------
    store, vintage, period, level, staff_groups
        As for :func:`~wfplan.inputs.build.build_inputs` (``period`` resolved).
    use_cache
        ``False`` builds the inputs and neither reads nor writes the cache.

    Returns
    -------
    ModelInputs
        The cached inputs if every part of the key matches, else newly built
        (and kept, when the vintage is frozen).
    """
    key = cache_key(store, vintage, period, level, staff_groups) if use_cache else None
    if key is None:
        return build_inputs(store, vintage, period, level, staff_groups=staff_groups)
    path = cache_folder() / f"{key}.pickle"
    found = _read(path, key)
    if found is not None:
        return found
    built = build_inputs(store, vintage, period, level, staff_groups=staff_groups)
    _write(path, key, built)
    return built
