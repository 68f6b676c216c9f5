"""Which roots a signature is trusted against, chosen here once for the signer, ``naskah verify`` and the service.

A letter is checked against the roots of the signing profile that signed it: the profile its mapping names
(``default`` when the mapping is gone). A file of unknown origin (an upload, ``naskah verify PDF``) is checked
against the roots of the ``default`` profile and of every profile a mapping names. Only the given roots are
trusted, never the operating system's list.

When signing, revocation data is fetched and its absence is an error (hard-fail); when checking, nothing is
fetched, so a verdict does not depend on whether a CA's servers happen to be up.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError

log = logging.getLogger("naskah.validation")

DEFAULT_PROFILE = "default"


def read_roots(paths: Iterable[Path]) -> tuple[list, list[str]]:
    """The certificates in the root files ``paths`` (a bundle of several roots is fine), and a problem for each
    file that cannot be read."""
    from pyhanko.keys import load_certs_from_pemder

    roots, problems = [], []
    for path in paths:
        try:
            roots.extend(load_certs_from_pemder([str(path)]))
        except Exception as exc:
            problems.append(f"cannot read trust root {path}: {type(exc).__name__}: {exc}")
    return roots, problems


def checking_context(roots: list, other_certs: Iterable = ()):
    """For checking a signed file: trust only ``roots``, use the certificates in the file, fetch nothing."""
    from pyhanko_certvalidator import ValidationContext

    return ValidationContext(trust_roots=roots, other_certs=list(other_certs), allow_fetching=False)


class TrustRoots:
    """The trust roots of the signing profiles in use, each profile read once by ``roots_of(name)``.

    ``roots_of`` is :func:`naskah.sign.load_profile`'s ``trust_roots`` (``naskah.sign.trust_roots`` makes
    one): validation sits below signing and does not read profiles itself. A profile that cannot be read
    (a :class:`ConfigError`) trusts nothing: ``strict`` callers (the command line) get the error, the others
    (the service) have it logged and kept for the readiness check (:meth:`broken`).
    """

    def __init__(self, mappings: Mapping[str, Any], roots_of: Callable[[str], Sequence[Path]], *,
                 strict: bool = False):
        self.mappings = mappings  # name -> mapping; only its ``signing_profile`` is read
        self.strict = strict
        self._roots_of = roots_of
        self._profiles: dict[str, tuple[list[Path], str | None]] = {}
        self._lock = threading.Lock()

    def of_profile(self, name: str) -> tuple[list[Path], str | None]:
        """(trust roots, problem) of the signing profile ``name``."""
        with self._lock:
            if name not in self._profiles:
                try:
                    self._profiles[name] = (list(self._roots_of(name)), None)
                except ConfigError as exc:
                    if self.strict:
                        raise
                    log.error("signing profile %s cannot be loaded: %s", name, exc)
                    self._profiles[name] = ([], str(exc))
            return self._profiles[name]

    def for_mapping(self, mapping_name: str | None) -> list[Path]:
        """The roots for a letter issued through ``mapping_name``: its signing profile's."""
        mapping = self.mappings.get(mapping_name) if mapping_name else None
        return self.of_profile(mapping.signing_profile if mapping else DEFAULT_PROFILE)[0]

    def for_any(self) -> list[Path]:
        """The roots for a file of unknown origin: those of ``default`` and of every profile a mapping names."""
        roots: list[Path] = []
        for name in sorted({DEFAULT_PROFILE} | self._in_use()):
            roots += [root for root in self.of_profile(name)[0] if root not in roots]
        return roots

    def broken(self) -> list[str]:
        """The signing profiles in use (``default`` when no mapping names one) that cannot be loaded."""
        return [name for name in sorted(self._in_use() or {DEFAULT_PROFILE}) if self.of_profile(name)[1]]

    def _in_use(self) -> set[str]:
        return {mapping.signing_profile for mapping in self.mappings.values()}
