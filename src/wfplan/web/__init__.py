"""wfplan.web."""
