"""wfplan: workforce planning for health and social care in England.

``wfplan.__version__`` is looked up in the installed package's metadata when it
is first read (``importlib.metadata`` costs a tenth of a second to import), so a
command that never shows or records the version does not pay for it.
"""

from __future__ import annotations

__all__ = ["__version__"]


def _installed_version() -> str:
    """Return the installed distribution's version (a source tree's placeholder if none)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("wfplan")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0+unknown"


def __getattr__(name: str) -> str:
    """Return ``__version__`` (computed once, then a plain module attribute)."""
    if name == "__version__":
        found = _installed_version()
        globals()["__version__"] = found
        return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
