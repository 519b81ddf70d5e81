"""Importers: one module per real publication format, plus the tidy template.

Each importer recognises its format from a file's header or sheet names and
yields tidy chunks for one or more tables. :func:`detect` picks the importer
for a file; a file that matches none gets an error listing every supported
format.
"""

from __future__ import annotations

from wfplan.dataset.importers.base import Importer, detect, register, registered
from wfplan.dataset.importers.tidy import TidyTemplate

register(TidyTemplate())

__all__ = ["Importer", "detect", "register", "registered"]
