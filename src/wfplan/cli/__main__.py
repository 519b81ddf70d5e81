"""``python -m wfplan.cli``: the same as the ``wfplan`` command."""

from wfplan.cli.main import main

main()
