"""The delivery engine: one outbox entry at a time into the DMS, with a claim, bounded retries and no copies.

The local store (``naskah.store``) is the embedded default target and always gets the letter first.
When a DMS is configured (``[dms]`` in the configuration), the letter is then recorded in the outbox
(``outbox.py``) and delivered by the DMS's connector (``mayan.py``, ``generic_rest.py``):

1. claim the outbox entry (atomic, with a lease), so no other process delivers it at the same time;
2. look in the DMS for a copy (by idempotency key or checksum): an earlier attempt may have stored it
   even though its answer never came;
3. if there is none, upload; a transient failure (refused connection, timeout, 429, 5xx) is retried
   with backoff up to ``retries`` times, each time looking for a copy first;
4. complete the document (metadata, tags, cabinet), and record its DMS id and URL.

A permanent failure (401/403, 400 validation, a missing document type) stops at once with the DMS's
message, and the entry stays in the outbox as ``failed`` until ``naskah outbox retry``.
"""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import ConfigError
from ..http import backoff_delay
from .api import Connector, DmsDocument, Receipt
from .errors import DeliveryError, PermanentDeliveryError, TransientDeliveryError
from .options import CommonOptions, GenericRestOptions, MayanOptions
from .outbox import DELIVERED, Outbox, OutboxEntry, new_owner

log = logging.getLogger("naskah.deliver")


def connector_for(options: CommonOptions) -> Connector:
    """The connector of the ``[dms]`` section's kind (its module is imported only when configured)."""
    if isinstance(options, MayanOptions):
        from .mayan import MayanConnector
        return MayanConnector(options)
    if isinstance(options, GenericRestOptions):
        from .generic_rest import GenericRestConnector
        return GenericRestConnector(options)
    raise TypeError(f"no connector for {type(options).__name__}")


def delivery_for(settings, *, required: bool = False) -> "Delivery | None":
    """The delivery to the DMS that ``settings`` (naskah.config.Settings) configure; None without a ``[dms]``
    section, or a ConfigError when the caller needs one (``required``)."""
    if settings.dms is None:
        if required:
            raise ConfigError("no DMS is configured: add a [dms] table to the configuration file (see README, "
                              "'Delivery to the DMS')")
        return None
    return Delivery(connector_for(settings.dms), Outbox(settings.outbox_location))


class LeaseLost(Exception):
    """Our claim expired and another process took the entry over: stop without touching it."""


@dataclass(frozen=True)
class DeliveryResult:
    entry: OutboxEntry
    error: DeliveryError | None = None

    @property
    def delivered(self) -> bool:
        return self.entry.state == DELIVERED


class Delivery:
    """Delivers outbox entries for one target through its connector."""

    def __init__(self, connector: Connector, outbox: Outbox, *, owner: str | None = None):
        self.connector = connector
        self.outbox = outbox
        self.options = connector.options
        self.owner = owner or new_owner()

    @property
    def target(self) -> str:
        return self.connector.name

    def intend(self, letter_id: str, workflow_id: str | None, plan: dict) -> None:
        """Before the letter is stored: keep its planned delivery (``document.plan_of``), see ``reconcile``."""
        self.outbox.intend(letter_id, workflow_id, self.target, plan, owner=self.owner)

    def record(self, document: DmsDocument, pdf_path: Path) -> OutboxEntry:
        return self.outbox.record(document, self.target, pdf_path)

    def reconcile(self, stored: Callable[[str], object]) -> int:
        """Record the letters that were stored but never recorded (the process that stored them died first);
        ``stored(letter_id)`` is the store's lookup. Returns how many were recorded."""
        recorded = self.outbox.reconcile(stored, self.target)
        for entry in recorded:
            log.warning("letter %s was stored but not recorded for delivery (its process stopped in between): "
                        "recorded now", entry.letter_id)
        return len(recorded)

    def retry_due(self) -> list[DeliveryResult]:
        """Deliver the pending entries whose next attempt is due (a scheduled round: failed entries wait for
        ``naskah outbox retry``)."""
        return self.deliver_all(due_only=True, include_failed=False)

    def deliver(self, idempotency_key: str, *, due_only: bool = False, include_failed: bool = False
                ) -> DeliveryResult:
        """Try to deliver one entry now; the result's entry says in which state it was left."""
        entry = self.outbox.claim(idempotency_key, self.target, self.owner, self.options.lease_seconds,
                                  due_only=due_only, include_failed=include_failed)
        if entry is None:  # delivered already, not due, or another process is delivering it
            current = self.outbox.get(idempotency_key, self.target)
            if current is None:
                raise KeyError(f"no outbox entry {idempotency_key} for target {self.target}")
            return DeliveryResult(current)
        return self._deliver_claimed(entry)

    def deliver_all(self, *, due_only: bool = False, include_failed: bool = True) -> list[DeliveryResult]:
        """Every entry that is not delivered and not claimed by a live process (``naskah outbox retry``)."""
        results = []
        for key, _target in self.outbox.candidates(self.target, due_only=due_only, include_failed=include_failed):
            entry = self.outbox.claim(key, self.target, self.owner, self.options.lease_seconds,
                                      due_only=due_only, include_failed=include_failed)
            if entry is not None:
                results.append(self._deliver_claimed(entry))
        return results

    def _deliver_claimed(self, entry: OutboxEntry) -> DeliveryResult:
        attempt = _Attempt(unknown=entry.outcome_unknown)
        try:
            receipt = self._run(entry, attempt)
        except LeaseLost:
            log.warning("letter %s: the claim on its outbox entry expired and another process took it over",
                        entry.letter_id)
            return DeliveryResult(self.outbox.get(entry.idempotency_key, self.target) or entry)
        except TransientDeliveryError as exc:
            at = time.time() + self._backoff(entry.attempts, exc.retry_after)
            left = self.outbox.retry_later(entry, self.owner, str(exc), at, outcome_unknown=attempt.unknown)
            log.warning("letter %s not delivered yet, still in the outbox: %s", entry.letter_id, exc)
            return DeliveryResult(left, exc)
        except DeliveryError as exc:
            left = self.outbox.failed(entry, self.owner, str(exc), outcome_unknown=attempt.unknown)
            log.error("letter %s not delivered, kept in the outbox: %s", entry.letter_id, exc)
            return DeliveryResult(left, exc)
        except BaseException as exc:  # a bug or an interruption: leave the entry for the next run, then fail loudly
            self.outbox.retry_later(entry, self.owner, f"unexpected {type(exc).__name__}", time.time(),
                                    outcome_unknown=attempt.unknown)
            raise
        done = self.outbox.delivered(entry, self.owner, receipt.document_id, receipt.url)
        log.info("letter %s delivered to %s as document %s", entry.letter_id, self.connector.describe(),
                 receipt.document_id)
        return DeliveryResult(done)

    def _run(self, entry: OutboxEntry, attempt: "_Attempt") -> Receipt:
        """Find or upload, then complete, with bounded retries of transient failures."""
        document = entry.document
        pdf = _read_pdf(entry)
        self.connector.before_request = lambda: self._renew(entry)
        try:
            return self._attempts(entry, attempt, document, pdf)
        finally:
            self.connector.before_request = None

    def _attempts(self, entry: OutboxEntry, attempt: "_Attempt", document: DmsDocument, pdf: bytes) -> Receipt:
        receipt: Receipt | None = None
        retry = 0
        while True:
            try:
                self._renew(entry)
                if receipt is None and self.connector.can_find:
                    receipt = self.connector.find_existing(document)
                    if receipt is not None:
                        log.info("letter %s is already in %s as document %s", entry.letter_id,
                                 self.connector.describe(), receipt.document_id)
                    attempt.unknown = False  # we looked: whatever an earlier upload did is known now
                if receipt is None:
                    if attempt.unknown:
                        raise PermanentDeliveryError(
                            f"{self.connector.describe()}: an earlier upload of letter {entry.letter_id} may have "
                            f"arrived, and this DMS cannot be searched for it (no 'find' configured); check the "
                            f"DMS for idempotency key {entry.idempotency_key} before retrying")
                    self.outbox.set_outcome_unknown(entry, self.owner, True)
                    attempt.unknown = True
                    try:
                        receipt = self.connector.submit(document, pdf)
                    except TransientDeliveryError as exc:
                        attempt.unknown = exc.maybe_stored
                        raise
                    except DeliveryError:
                        attempt.unknown = False  # the DMS answered, and refused
                        raise
                    attempt.unknown = False
                self._renew(entry)
                return self.connector.complete(receipt, document, pdf)
            except TransientDeliveryError as exc:
                retry += 1
                if retry > self.options.retries:
                    raise
                delay = self._backoff(retry, exc.retry_after)
                log.info("letter %s: %s; retry %d of %d in %.1f s", entry.letter_id, exc, retry,
                         self.options.retries, delay)
                if delay > 0:
                    time.sleep(delay)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        return backoff_delay(attempt, self.options.backoff, self.options.backoff_max, retry_after)

    def _renew(self, entry: OutboxEntry) -> None:
        if not self.outbox.renew(entry, self.owner, self.options.lease_seconds):
            raise LeaseLost()


@dataclass
class _Attempt:
    unknown: bool  # an upload may have reached the DMS and we have not looked for it since


def _read_pdf(entry: OutboxEntry) -> bytes:
    try:
        pdf = entry.pdf_path.read_bytes()
    except OSError as exc:
        raise PermanentDeliveryError(f"letter {entry.letter_id}: cannot read its PDF {entry.pdf_path}: "
                                     f"{exc.strerror}") from None
    if hashlib.sha256(pdf).hexdigest() != entry.sha256:
        raise PermanentDeliveryError(f"letter {entry.letter_id}: its PDF {entry.pdf_path} is not the signed "
                                     f"letter that was recorded (SHA-256 differs); not delivered")
    return pdf
