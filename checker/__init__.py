"""pbcheck: rules-based compliance checker for party-building / business integration (党建与生产经营融合)."""
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("pbcheck")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
