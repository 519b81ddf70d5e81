"""wfplan.inputs: a vintage of the dataset turned into the model's inputs.

:func:`wfplan.inputs.build.build_inputs` reads stock, flows, training,
demography and age bands from the store and returns
:class:`~wfplan.model.inputs.ModelInputs`. Imports only :mod:`wfplan.dataset` and
:mod:`wfplan.model` below it.
"""
