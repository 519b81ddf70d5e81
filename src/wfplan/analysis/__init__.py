"""wfplan.analysis: what the dataset says now (metrics, data gaps, disclosure control).

Reads a vintage through the store; imports only :mod:`wfplan.dataset` and
:mod:`wfplan.model` below it.
"""
