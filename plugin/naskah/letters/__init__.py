"""The letter kinds naskah issues; a mapping names one of these by its key."""
from __future__ import annotations

from .common import Letter, PublicFacts
from .kinds import LETTER_KINDS, LETTER_TITLES

__all__ = ["LETTER_KINDS", "LETTER_TITLES", "Letter", "PublicFacts"]
