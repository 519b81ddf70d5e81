"""Draw the gap small multiples in a second process while this one builds the page.

The two gap charts (:func:`wfplan.report.gap_chart.gap_range_chart`) are more
than half of the page's rendering time. When the PDF is printed too, the
second process (:mod:`wfplan.report.worker`) draws them first, then writes the
workbook, while this process builds the rest of the page. Here, inside
:func:`deferring`, a gap chart is not drawn: it gets a marker for its SVG,
named by :func:`chart_key`, a SHA-256 of everything the drawing is a function
of (chart id, title, the frame's columns, types, index and values, every
label). :func:`fill` then puts in each marker's place the SVG the second
process drew for the same key, or draws it here if that process gave none for
the key. The same function of the same inputs gives the same bytes (the
report's determinism, which ``wfplan verify`` relies on), so the page is the
page this process would render alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from typing import Any

import pandas as pd

#: The charts deferred in this context, by key: how to draw each one's SVG here.
_PENDING: ContextVar[dict[str, Callable[[], str]] | None] = ContextVar("_PENDING",
                                                                      default=None)


def chart_key(frame: pd.DataFrame, parts: Sequence[Any]) -> str:
    """Return the SHA-256 of a chart's inputs: ``frame`` by its values, and ``parts``."""
    table = (list(map(str, frame.columns)), frame.dtypes.astype(str).tolist(),
             frame.index.tolist(), [frame.iloc[:, i].tolist() for i in range(frame.shape[1])])
    pickled = pickle.dumps((table, list(parts)), protocol=pickle.HIGHEST_PROTOCOL)
    return hashlib.sha256(pickled).hexdigest()


def marker(key: str) -> str:
    """Return the text that stands for the SVG of chart ``key`` until :func:`fill`."""
    return f"<!--wfplan deferred chart {key}-->"


def pending() -> dict[str, Callable[[], str]] | None:
    """Return the charts deferred so far, by key, or ``None`` outside :func:`deferring`."""
    return _PENDING.get()


@contextlib.contextmanager
def deferring() -> Iterator[dict[str, Callable[[], str]]]:
    """Defer gap charts drawn in this block; yield them by key (how to draw each here)."""
    charts: dict[str, Callable[[], str]] = {}
    token = _PENDING.set(charts)
    try:
        yield charts
    finally:
        _PENDING.reset(token)


def fill(html: str, charts: Mapping[str, Callable[[], str]],
         drawn: Callable[[], Mapping[str, str]]) -> str:
    """Put each deferred chart's SVG in place of its marker in ``html``.

    Parameters
    ----------
    html : str
        The page, with a marker for each of ``charts``.
    charts : mapping of str to callable
        The deferred charts by key: each draws its SVG in this process.
    drawn : callable
        Returns the SVGs the second process drew, by key (called only if any chart
        was deferred; may block until they are ready, and may return none).
    """
    if not charts:
        return html
    svgs = drawn()
    for key, draw in charts.items():
        tag = marker(key)
        if html.count(tag) != 1:
            raise RuntimeError(f"deferred chart {key} appears {html.count(tag)} times")
        svg = svgs.get(key)
        html = html.replace(tag, svg if svg is not None else draw(), 1)
    return html


def draw_all(charts: Mapping[str, Callable[[], str]]) -> dict[str, str]:
    """Draw every deferred chart here; return their SVGs by key."""
    return {key: draw() for key, draw in charts.items()}
