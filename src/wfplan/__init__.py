"""wfplan: workforce planning for health and social care in England."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("wfplan")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
