"""Importers: one module per real publication format, plus the tidy template.

Each importer recognises its format from a file's header or sheet names and
yields tidy chunks for one or more tables. Every module in this package that
defines ``IMPORTERS`` (a list of :class:`Importer` instances) is registered
automatically; :func:`detect` picks the importer for a file, and a file that
matches none gets an error listing every supported format.
"""

from __future__ import annotations

import importlib
import pkgutil

from wfplan.dataset.importers.base import Importer, Match, Provenance, detect, register, registered


def _discover() -> None:
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module.name == "base":
            continue
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        for importer in getattr(loaded, "IMPORTERS", []):
            register(importer)


_discover()

__all__ = ["Importer", "Match", "Provenance", "detect", "register", "registered"]
