"""wfplan.report."""
