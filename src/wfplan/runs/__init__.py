"""wfplan.runs: projections and back-tests run on model inputs, and their output files.

No bundle is involved: :mod:`wfplan.assessment` builds bundles on top of these.
"""
