"""wfplan.dataset.importers."""
