"""wfplan.assessment."""
