"""The lockout after repeated refused credentials: BSrE locks an official's account after a few wrong
passphrases and a token locks its PIN, so after ``attempts`` refusals for one signer within ``minutes``
naskah stops forwarding that signer's attempts for ``minutes``, and says until when. A success resets.

The state is kept in SQL (:mod:`naskah.database`, SQLite or PostgreSQL) so that every process of an
installation sees it; a signer is stored as a hash of its identity (a NIK is personal data) with a label
that hides it. No credential ever reaches this module.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass

from ..database import POSTGRESQL, Database
from ..i18n import _
from .backends.bsre_http import mask_nik
from .errors import SignerLocked
from .profile import Pkcs11Key, Pkcs12Key, SigningProfile

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS naskah_signer_lockout ("
    " signer TEXT PRIMARY KEY,"        # sha256 of the signer's identity
    " label TEXT NOT NULL,"            # for people: the NIK masked
    " failures INTEGER NOT NULL,"
    " first_failed_at TEXT NOT NULL,"  # ISO 8601, UTC
    " locked_until TEXT)",
)


@dataclass(frozen=True)
class SignerKey:
    """One signer as the lockout counts it: ``key`` names it fully (stored only as a hash), ``label`` in
    messages (a NIK masked)."""

    key: str
    label: str

    def __str__(self) -> str:
        return self.label


def signer_key(profile: SigningProfile) -> SignerKey:
    """Whose attempts a signature with ``profile`` counts against: the BSrE NIK or seal subscriber, the
    token and key, or the PKCS#12 file."""
    key = profile.key
    if isinstance(key, Pkcs12Key):
        return SignerKey(f"pkcs12:{key.path}", _("the PKCS#12 key {path}").format(path=key.path))
    if isinstance(key, Pkcs11Key):
        token = f"token {key.token_label!r}" if key.token_label is not None else f"slot {key.slot}"
        return SignerKey(f"pkcs11:{key.module}:{token}:{key.key_label}",
                         _("the PKCS#11 key {key} on {token}").format(key=repr(key.key_label), token=token))
    if key.kind == "seal":
        return SignerKey(f"bsre:seal:{key.subscriber_id}", _("the BSrE seal {subscriber}").format(
            subscriber=key.subscriber_id))
    return SignerKey(f"bsre:nik:{key.nik}", _("the BSrE signer NIK {nik}").format(nik=mask_nik(key.nik)))


class SignerLockout:
    """Refused credentials per signer, at a location (a path, ``sqlite:///path``, ``postgresql://...``, or a
    :class:`~naskah.database.Database`); ``clock`` gives the current aware time (tests move it)."""

    def __init__(self, location: str | os.PathLike | Database, *,
                 clock: Callable[[], dt.datetime] | None = None):
        self.db = location if isinstance(location, Database) else Database(location, "the signer lockout")
        self.db.create(*_SCHEMA)
        self._clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))

    def check(self, signer: SignerKey | str) -> None:
        """Raise :class:`SignerLocked` while ``signer`` is locked out."""
        with self.db.transaction(write=False) as db:
            rows = db.rows("SELECT failures, locked_until FROM naskah_signer_lockout WHERE signer = ?",
                           (_hashed(signer),))
        if rows and rows[0][1]:
            until = dt.datetime.fromisoformat(rows[0][1])
            if until > self._clock():
                raise SignerLocked(_label(signer), rows[0][0], until)

    def failed(self, signer: SignerKey | str, *, attempts: int = 5, minutes: int = 30) -> dt.datetime | None:
        """Count a refused credential; returns the end of the lockout when this refusal started one."""
        now = self._clock()
        window = dt.timedelta(minutes=minutes)
        hashed = _hashed(signer)
        with self.db.transaction() as db:
            db.execute("INSERT INTO naskah_signer_lockout (signer, label, failures, first_failed_at) "
                       "VALUES (?, ?, 0, ?) ON CONFLICT (signer) DO NOTHING", (hashed, _label(signer), _text(now)))
            lock = " FOR UPDATE" if db.kind == POSTGRESQL else ""
            failures, first, until = db.rows("SELECT failures, first_failed_at, locked_until "
                                             f"FROM naskah_signer_lockout WHERE signer = ?{lock}", (hashed,))[0]
            if until is not None and dt.datetime.fromisoformat(until) > now:
                # an attempt let through before another one locked the signer: locked already
                db.execute("UPDATE naskah_signer_lockout SET failures = ? WHERE signer = ?", (failures + 1, hashed))
                return None
            if until is not None or dt.datetime.fromisoformat(first) + window < now:
                failures, first = 0, _text(now)  # a lockout over, or the earlier failures out of the window
            failures += 1
            # to the second, as it is stored and said: the refusal and later checks name the same moment
            locked = (now + window).replace(microsecond=0) if failures >= attempts else None
            db.execute("UPDATE naskah_signer_lockout SET failures = ?, first_failed_at = ?, locked_until = ? "
                       "WHERE signer = ?", (failures, first, _text(locked) if locked else None, hashed))
        return locked

    def succeeded(self, signer: SignerKey | str) -> None:
        """The credential was accepted: forget the signer's refusals."""
        with self.db.transaction() as db:
            db.execute("DELETE FROM naskah_signer_lockout WHERE signer = ?", (_hashed(signer),))


def _hashed(signer: SignerKey | str) -> str:
    key = signer.key if isinstance(signer, SignerKey) else signer
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _label(signer: SignerKey | str) -> str:
    return signer.label if isinstance(signer, SignerKey) else _("this signer")


def _text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds")
