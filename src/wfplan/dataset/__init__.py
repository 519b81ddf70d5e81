"""wfplan.dataset."""
