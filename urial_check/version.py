"""The package version, in a module of its own so that modules the package's ``__init__`` imports
can import it too (``from urial_check import __version__`` there would be an import cycle)."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
