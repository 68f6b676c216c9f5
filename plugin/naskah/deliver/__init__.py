"""The deliver stage: signed letter + metadata -> the host's DMS, through a durable outbox.

Where things are: ``api.py`` (the Connector interface, DmsDocument, Receipt), ``options.py`` (the ``[dms]``
settings), ``errors.py``, ``document.py`` (what the DMS gets for a letter), ``outbox.py`` (the durable
outbox), ``delivery.py`` (the engine: claims, retries, leases), ``http.py`` (the HTTP base of the
connectors), ``mayan.py`` and ``generic_rest.py`` (one module per kind of DMS), ``setup.py``
(``naskah dms setup``) and ``naskah.cli.deliver`` (the ``outbox`` and ``dms`` commands).
"""
from .api import Connector, DmsDocument, Receipt
from .delivery import Delivery, DeliveryResult, connector_for, delivery_for
from .document import document_for, idempotency_key
from .errors import DeliveryError, PermanentDeliveryError, TransientDeliveryError
from .options import DmsOptions, GenericRestOptions, MayanOptions
from .outbox import DELIVERED, DELIVERING, FAILED, PENDING, Outbox, OutboxEntry

__all__ = [
    "Connector", "Delivery", "DeliveryError", "DeliveryResult", "DmsDocument", "DmsOptions", "GenericRestOptions",
    "MayanOptions", "Outbox", "OutboxEntry", "PermanentDeliveryError", "Receipt", "TransientDeliveryError",
    "connector_for", "delivery_for", "document_for", "idempotency_key", "DELIVERED", "DELIVERING", "FAILED",
    "PENDING",
]
