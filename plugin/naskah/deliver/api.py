"""The connector interface: what every DMS target does, and the document and receipt it deals in.

A connector knows one kind of DMS (Mayan EDMS in ``mayan.py``, a generic REST API in ``generic_rest.py``).
It can

- ``check()``          reach the DMS and prove that the credentials are accepted;
- ``find_existing()``  find a copy of a letter already there (by idempotency key or by checksum);
- ``submit()``         upload the letter with its metadata and say which document the DMS made of it;
- ``complete()``       make a document found or made by an earlier attempt whole;
- ``prepare()``        create what the mappings name and the DMS lacks (``naskah dms setup``), if it can.

It never decides whether to retry an upload: the delivery (``delivery.py``) does, after asking
``find_existing()``.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Callable, ClassVar, Iterable

from pydantic import BaseModel, ConfigDict, Field

from ..http import display_url
from .options import CommonOptions


class DmsDocument(BaseModel):
    """One letter as the DMS gets it: the file's identity and what the mapping's ``dms:`` section decided."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    letter_id: str
    idempotency_key: str
    workflow_id: str | None = None
    sha256: str
    filename: str
    document_type: str | None = None
    label: str
    description: str = ""
    metadata: dict[str, str] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    cabinet: str | None = None


class Receipt(BaseModel):
    """Which document in the DMS holds the letter."""

    model_config = ConfigDict(frozen=True)

    document_id: str
    url: str | None = None


class Connector(ABC):
    """One DMS target."""

    kind: ClassVar[str] = "?"
    #: A label for messages, e.g. "Mayan EDMS".
    product: ClassVar[str] = "DMS"
    #: Whether ``find_existing`` can find a copy; without it an unknown upload outcome is not retried.
    can_find: ClassVar[bool] = True
    #: Whether ``prepare`` can set the DMS up; without it ``naskah dms setup`` says to do it in the DMS.
    can_prepare: ClassVar[bool] = False

    def __init__(self, options: CommonOptions):
        self.options = options
        #: Called before every request to the DMS: the delivery renews its claim on the outbox entry there,
        #: and stops the delivery by raising when the claim was lost. None: nothing to do.
        self.before_request: Callable[[], None] | None = None

    @property
    def name(self) -> str:
        return self.options.name

    def describe(self) -> str:
        """How messages name this DMS: product, target name and base URL (never a credential)."""
        return f"{self.product} {self.options.name!r} at {display_url(self.options.url)}"

    @abstractmethod
    def check(self) -> str:
        """Reach the DMS and have it accept the credentials; returns who we are there."""

    @abstractmethod
    def find_existing(self, document: DmsDocument) -> Receipt | None:
        """The DMS document that already holds this letter, if any."""

    @abstractmethod
    def submit(self, document: DmsDocument, pdf: bytes) -> Receipt:
        """Upload the letter once (no retry of the upload itself) and return the new document."""

    def complete(self, receipt: Receipt, document: DmsDocument, pdf: bytes) -> Receipt:
        """Make a document found or made by an earlier attempt whole (e.g. metadata set after the upload)."""
        return receipt

    def prepare(self, document_types: dict[str, set[str]], tags: Iterable[str] = (),
                cabinets: Iterable[str] = ()) -> list[str]:
        """Create the document types (with their metadata names), tags and cabinets the DMS lacks; returns
        what was created. Only called when ``can_prepare``; safe to run again."""
        return []

    def close(self) -> None:
        pass
