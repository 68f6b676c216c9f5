"""Why a delivery failed, and whether trying again can help."""
from __future__ import annotations

from typing import ClassVar

from ..errors import NaskahError


class DeliveryError(NaskahError):
    """A letter could not be delivered to the DMS; the message names the DMS and never holds a secret."""

    transient: ClassVar[bool] = False


class TransientDeliveryError(DeliveryError):
    """Worth trying again later: the DMS was unreachable, too slow, busy (429) or failing (5xx).

    ``maybe_stored`` is True when the request had been sent, so the DMS may hold the upload anyway.
    """

    transient = True

    def __init__(self, message: str, *, maybe_stored: bool = True, retry_after: float | None = None):
        super().__init__(message)
        self.maybe_stored = maybe_stored
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """Trying again will not help until someone acts: credentials refused, validation error, bad setup."""
