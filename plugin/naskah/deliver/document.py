"""What the DMS gets for a stored letter: its ``DmsDocument`` and the key that makes it recognisable there."""
from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from .api import DmsDocument

if TYPE_CHECKING:  # the mapping package loads jinja2; the deliver package does not need it to load
    from ..mapping import DmsFields


def idempotency_key(workflow_id: str | None, letter_id: str) -> str:
    """The key that makes a delivery of this letter recognisable in the DMS: from the host's workflow id
    and the letter (its id already stands for kind, workflow and number)."""
    digest = hashlib.sha256("\x1f".join(("naskah-delivery", workflow_id or "", letter_id)).encode("utf-8"))
    return "naskah-" + digest.hexdigest()[:32]


def document_for(fields: "DmsFields", letter_id: str, sha256: str, workflow_id: str | None, metadata: dict, *,
                 mapping_has_dms: bool) -> DmsDocument:
    """What the DMS gets for a stored letter: the mapping's ``dms:`` section evaluated (``fields``), or,
    for a mapping without one, the letter's own metadata under its own names."""
    return document_from(plan_of(fields, mapping_has_dms=mapping_has_dms), letter_id, sha256, workflow_id, metadata)


def plan_of(fields: "DmsFields", *, mapping_has_dms: bool) -> dict:
    """The mapping's part of a letter's DMS document, as plain JSON: what the outbox keeps as the delivery it
    intends before the letter is stored (:meth:`~.outbox.Outbox.intend`), to record it from the store later."""
    return {
        "document_type": fields.document_type,
        "label": str(fields.label) if fields.label else None,
        "description": str(fields.description or ""),
        "metadata": {key: _text(value) for key, value in (fields.metadata or {}).items() if value not in (None, "")}
        if mapping_has_dms else None,
        "tags": list(fields.tags), "cabinet": fields.cabinet,
    }


def document_from(plan: dict, letter_id: str, sha256: str, workflow_id: str | None, metadata: dict) -> DmsDocument:
    """The DMS document of a stored letter from its ``plan`` (:func:`plan_of`); a plan without metadata (a
    mapping without a ``dms:`` section) gives the letter's own metadata under its own names."""
    label = plan["label"] or metadata.get("label") or letter_id
    values = plan["metadata"] if plan["metadata"] is not None else {
        key: _text(value) for key, value in metadata.items() if key != "label" and value not in (None, "")}
    return DmsDocument(
        letter_id=letter_id, idempotency_key=idempotency_key(workflow_id, letter_id), workflow_id=workflow_id,
        sha256=sha256, filename=f"{letter_id}.pdf", document_type=plan["document_type"], label=str(label),
        description=plan["description"], metadata=values, tags=list(plan["tags"]), cabinet=plan["cabinet"],
    )


def _text(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
