"""wfplan.model."""
