"""Where the signature flow keeps each draft version's files: its preview (the PDF the reviewers saw, DRAFT on
every page), what that preview showed as number, date and text (for the comparison at signing), and the copies
the reviewers signed where a paraf is an electronic signature.

They are kept where the store keeps its letters, through the same interface (:mod:`naskah.objects`):
``STORE_DIR/drafts/<id>/`` on the embedded default, ``drafts/<id>/`` in the bucket when the store is S3, so that
on several machines a draft made by one API instance is previewed, reviewed and signed by any other.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from .lifecycle import Draft
from .objects import ObjectLocation, ObjectStore


@dataclass(frozen=True)
class Preview:
    """A draft version as the reviewers saw it: its PDF (DRAFT on every page) and what it showed as number and
    date, so that signing can compare the final text with it. ``pdf_path`` is a file or an object in the bucket
    (both ``read_bytes()``)."""

    pdf_path: Path | ObjectLocation
    nomor: str | None
    tanggal: dt.date
    text: str


class DraftFiles:
    """The drafts' files in ``objects`` (the store's own place for them: ``LocalStore.objects.beside("drafts")``)."""

    def __init__(self, objects: ObjectStore):
        self.objects = objects

    def keep_preview(self, draft: Draft, pdf: bytes, facts: dict) -> None:
        """The version's preview and its facts (``nomor``, ``tanggal``, ``text``), the PDF first: a version whose
        facts can be read has its PDF."""
        self.objects.put(self._name(draft, "pdf"), pdf)
        self.objects.put(self._name(draft, "json"), json.dumps(facts, ensure_ascii=False).encode("utf-8"))

    def preview(self, draft: Draft) -> Preview:
        """The preview of the draft's current version (``OSError`` when it cannot be read)."""
        facts = json.loads(self.objects.location(self._name(draft, "json")).read_bytes())
        return Preview(self.objects.location(self._name(draft, "pdf")), facts["nomor"],
                       dt.date.fromisoformat(facts["tanggal"]), facts["text"])

    def keep_paraf(self, draft: Draft, step: int, signed: bytes) -> None:
        self.objects.put(self._paraf_name(draft, step), signed)

    def paraf_copy(self, draft: Draft, step: int) -> Path | ObjectLocation:
        """The draft version the reviewer of ``step`` (0-based) signed, for a paraf that is a signature."""
        return self.objects.location(self._paraf_name(draft, step))

    @staticmethod
    def _name(draft: Draft, suffix: str) -> str:
        return f"{draft.id}/v{draft.version}.{suffix}"

    @staticmethod
    def _paraf_name(draft: Draft, step: int) -> str:
        return f"{draft.id}/v{draft.version}-paraf-{step + 1}.pdf"
