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
    label = fields.label or metadata.get("label") or letter_id
    values = fields.metadata if mapping_has_dms else {
        key: value for key, value in metadata.items() if key != "label"}
    return DmsDocument(
        letter_id=letter_id, idempotency_key=idempotency_key(workflow_id, letter_id), workflow_id=workflow_id,
        sha256=sha256, filename=f"{letter_id}.pdf", document_type=fields.document_type, label=str(label),
        description=str(fields.description or ""),
        metadata={key: _text(value) for key, value in (values or {}).items() if value not in (None, "")},
        tags=list(fields.tags), cabinet=fields.cabinet,
    )


def _text(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
