"""Delivery on a schedule, by naskah itself: a thread that, at start and then every ``retry_interval`` seconds,
records the stored letters the outbox lacks (``Delivery.reconcile``) and delivers what is due (``retry_due``).

``naskah serve`` runs one; ``naskah outbox retry`` from cron still works beside it (claims keep two deliveries
of one letter apart).
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

from .delivery import Delivery

log = logging.getLogger("naskah.deliver")


class RetrySchedule:
    """Reconcile and deliver once at ``start``, then every ``interval`` seconds (never again with 0)."""

    def __init__(self, delivery: Delivery, stored: Callable[[str], object], interval: float):
        self.delivery = delivery
        self.stored = stored
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "RetrySchedule":
        self._thread = threading.Thread(target=self._loop, name="naskah-delivery", daemon=True)
        self._thread.start()
        return self

    def stop(self, wait: float = 10.0) -> None:
        """Stop after the delivery in progress (a claimed entry left behind is taken over by the next run)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(wait)
        self.delivery.connector.close()

    def run_once(self) -> None:
        recorded = self.delivery.reconcile(self.stored)
        results = self.delivery.retry_due()
        delivered = sum(1 for result in results if result.delivered)
        if recorded or results:
            log.info("scheduled delivery to %s: %d recorded from the store, %d tried, %d delivered",
                     self.delivery.target, recorded, len(results), delivered)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # a round that fails is logged and tried again at the next one
                log.exception("scheduled delivery to %s failed; trying again in %g s", self.delivery.target,
                              self.interval)
            if not self.interval or self._stop.wait(self.interval):
                return
