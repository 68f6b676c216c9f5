"""Which stored letters a host may read through the API: those it issued, those of the hosts its configuration
names (``read_letters_of``), and the letters that record no host (issued from the command line, or before naskah
recorded hosts) when it may read those (``read_unrecorded``; by default only when it is the one configured host).

Another host's letter answers exactly like a letter that does not exist. Revoking is for the issuing host only
(through its signature flow), whatever is shared.
"""
from __future__ import annotations

from ..config import ServiceOptions
from ..store import StoredLetter


class LetterAccess:
    def __init__(self, options: ServiceOptions):
        alone = len(options.hosts) == 1
        self._rules: dict[str, tuple[frozenset[str], bool]] = {
            spec.name: (frozenset({spec.name, *spec.read_letters_of}),
                        alone if spec.read_unrecorded is None else spec.read_unrecorded)
            for spec in options.hosts}

    def may_read(self, host: str, letter: StoredLetter) -> bool:
        owners, unrecorded = self._rules.get(host, (frozenset({host}), False))
        return unrecorded if letter.host is None else letter.host in owners
