"""The report files of an assessment, rendered once per process for the same data.

``wfplan assess`` renders ``report.html``, ``report.pdf`` and ``tables.xlsx`` from
a :class:`~wfplan.report.context.ReportData`, and ``wfplan verify`` renders them
again from the bundle's files to compare byte for byte. The files are a function
of the ``ReportData`` alone (:mod:`wfplan.report.render`), so when one process
renders the same data twice (``wfplan demo`` assesses and then verifies; a test
verifies many copies of one bundle) the second rendering gives the bytes of the
first. :func:`render_cached` keeps the last few renderings, keyed by the SHA-256
of the pickled ``ReportData`` itself (every figure, table, text and date the
report shows, not a summary of them; each table by its column names, types, index
and values), and renders anew whatever differs in any way.

Nothing is kept across processes or written to disk: a verify run on its own
(``wfplan verify BUNDLE``) always renders the report again. A warning the first
rendering gave (such as :class:`~wfplan.report.pdf.FontWarning`) was shown then,
in the same process, and is not repeated.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import threading
from collections import OrderedDict
from collections.abc import Collection
from typing import Any

import pandas as pd

from wfplan.report.context import ReportData

#: How many renderings one process keeps (each is about 1 MB for the demo).
KEPT = 4

_renderings: OrderedDict[str, dict[str, bytes]] = OrderedDict()
_lock = threading.Lock()


class _Canonical(pickle.Pickler):
    """Pickle each table by its columns' names, types and values, not its memory layout."""

    def reducer_override(self, obj: object) -> Any:
        if isinstance(obj, pd.DataFrame):
            return (dict, ([("columns", list(obj.columns)), ("types", obj.dtypes.astype(str)
                            .tolist()), ("index", obj.index.tolist()),
                            ("values", [obj.iloc[:, i].tolist() for i in range(obj.shape[1])])],))
        return NotImplemented


def data_key(data: ReportData) -> str:
    """Return the SHA-256 of ``data`` pickled: equal keys mean equal report data."""
    buffer = io.BytesIO()
    pickler = _Canonical(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True  # no memo: the bytes depend on the values, not on shared objects
    pickler.dump(data)
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def render_cached(data: ReportData,
                  names: Collection[str] | None = None) -> dict[str, bytes]:
    """Return report files of ``data`` by name: rendered, or as this process rendered them.

    Parameters
    ----------
    data : ReportData
        Everything the report shows.
    names : collection of str, optional
        The files wanted (default all three: ``report.html``, ``report.pdf``,
        ``tables.xlsx``). A file this process has not rendered for equal data is
        rendered now and kept with the others.

    Returns
    -------
    dict of str to bytes
        The files asked for, by name (a new dict: the caller may change it).
    """
    from wfplan.report.render import REPORT_FILES, render_report

    wanted = list(REPORT_FILES.values()) if names is None else list(names)
    key = data_key(data)
    with _lock:
        kept = dict(_renderings.get(key, {}))
        if key in _renderings:
            _renderings.move_to_end(key)
    missing = [name for name in wanted if name not in kept]
    if missing:
        kept.update(render_report(data, missing))
        with _lock:
            _renderings[key] = {**_renderings.get(key, {}), **kept}
            _renderings.move_to_end(key)
            while len(_renderings) > KEPT:
                _renderings.popitem(last=False)
    return {name: kept[name] for name in wanted}


def keep(key: str, files: dict[str, bytes]) -> None:
    """Keep ``files``, rendered elsewhere from report data whose :func:`data_key` is ``key``.

    :func:`render_cached` then hands them back for report data of that key only
    (:mod:`wfplan.assessment.prerender`: the page a second process rendered from
    the bundle's files while verify re-ran the assessment).
    """
    with _lock:
        _renderings[key] = {**_renderings.get(key, {}), **files}
        _renderings.move_to_end(key)
        while len(_renderings) > KEPT:
            _renderings.popitem(last=False)


def rendered_any() -> bool:
    """Return whether this process keeps any rendering (it has rendered a report before)."""
    with _lock:
        return bool(_renderings)


def forget() -> None:
    """Drop every kept rendering (the next :func:`render_cached` renders anew)."""
    with _lock:
        _renderings.clear()
