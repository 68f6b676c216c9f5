"""The ``naskah`` command: a thin shell over the library, one module per command group (see :mod:`.main`)."""
from .main import build_parser, main

__all__ = ["build_parser", "main"]
