"""wfplan.cli: the ``wfplan`` command line, the top layer.

Commands parse options, call the layers below and print what they return;
rules and formatting decisions live below (see ``docs/architecture.md``).
"""

from wfplan.cli.main import app, main

__all__ = ["app", "main"]
