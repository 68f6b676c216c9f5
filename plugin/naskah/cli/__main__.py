"""``python -m naskah.cli``: the ``naskah`` command without its entry point installed."""
import sys

from .main import main

sys.exit(main())
