"""What the API answers, as JSON: a letter just issued or stored, a job, a verification report, preview pages,
a draft of the signature flow with its trail.

The shapes are those of :mod:`.schemas` (which documents them in the OpenAPI schema).
"""
from __future__ import annotations

import base64

from ..letters import LETTER_TITLES
from ..pipeline import IssuedLetter
from ..store import LETTER_ID, StoredLetter  # noqa: F401 - LETTER_ID: the routes take it from here
from ..validation import VerificationReport
from .jobs import Job
from .verification_page import uses_demo_key

#: where the API lives; the paths of letters and jobs in answers start with it
API = "/api/v1"
# LETTER_ID (from the store): a letter's id, the last part of its paths and of the verification URL in its QR code


def issued_json(issued: IssuedLetter, job_id: str | None = None) -> dict:
    metadata = issued.metadata
    state = issued.delivery_state
    dms = None if state is None else {"state": state, "document_id": issued.dms_document_id, "url": issued.dms_url,
                                      "error": issued.delivery_error}
    return {"letter_id": issued.letter_id, "letter_kind": issued.letter_kind,
            "letter_title": LETTER_TITLES.get(issued.letter_kind, issued.letter_kind), "mapping": issued.mapping,
            "nomor": _text(metadata.get("nomor")), "tanggal": _text(metadata.get("tanggal")),
            "hal": _text(metadata.get("hal")), "sha256": issued.sha256,
            "pdf_url": f"{API}/letters/{issued.letter_id}/pdf", "verification_url": issued.verification_url,
            "reused": issued.reused, "job_id": job_id, "dms": dms}


def stored_json(stored: StoredLetter, verification_url: str) -> dict:
    return {"letter_id": stored.letter_id, "letter_kind": stored.letter_kind,
            "letter_title": LETTER_TITLES.get(stored.letter_kind, stored.letter_kind), "mapping": stored.mapping,
            "nomor": stored.nomor, "tanggal": stored.tanggal, "hal": stored.hal, "sha256": stored.sha256,
            "pdf_url": f"{API}/letters/{stored.letter_id}/pdf", "verification_url": verification_url,
            "issued_at": stored.issued_at}


def draft_json(flow, draft) -> dict:
    """A draft as the host sees it (``flow``: the service's ``SignatureFlow``): state, who acts next, trail,
    previews, and the letter once signed. Reads the trail: call it off the event loop."""
    pending = draft.pending
    mapping = flow.naskah.mappings.get(draft.mapping)
    person = mapping.person_of(pending.person, draft.payload) if pending and pending.person and mapping else None
    signed = draft.letter_id is not None
    path = f"{API}/drafts/{draft.id}"
    return {
        "id": draft.id, "state": draft.state, "version": draft.version, "mapping": draft.mapping,
        "workflow_id": draft.workflow_id, "waiting_for": flow.waiting_for(draft),
        "pending": None if pending is None else {"action": pending.action, "step": pending.step,
                                                 "title": pending.title, "person": person,
                                                 "signature": pending.signature},
        "trail": [{"seq": entry.seq, "at": entry.at,
                   "actor": {"user_id": entry.actor_id, "name": entry.actor_name, "title": entry.actor_title},
                   "action": entry.action, "state": entry.state, "version": entry.version, "step": entry.step,
                   "note": entry.note} for entry in flow.trail(draft.id)],
        "preview_url": f"{path}/preview.pdf", "preview_png_url": f"{path}/preview.png?page=1",
        "supersedes": draft.supersedes, "letter_id": draft.letter_id, "nomor": draft.number or None,
        "tanggal": draft.signed_date.isoformat() if draft.signed_date else None,
        "pdf_url": f"{API}/letters/{draft.letter_id}/pdf" if signed else None,
        "verification_url": flow.naskah.verification_url(draft.letter_id) if signed else None,
        "revocation_reason": draft.revocation_reason, "superseded_by": draft.superseded_by,
        "closed_at": draft.closed_at, "created_at": draft.created_at, "updated_at": draft.updated_at,
    }


def job_json(job: Job) -> dict:
    callback = None if not job.callback_url else {"state": job.callback_state, "attempts": job.callback_attempts,
                                                  "error": job.callback_error}
    return {"job_id": job.job_id, "state": job.state, "created_at": job.created_at, "updated_at": job.updated_at,
            "http_status": job.http_status, "letter": job.result, "error": (job.error or {}).get("error"),
            "callback": callback}


def report_json(report: VerificationReport, sha256: str, letter_id: str | None) -> dict:
    def when(moment):
        return moment.isoformat() if moment else None

    return {"ok": report.ok, "demo_key": uses_demo_key(report), "sha256": sha256, "letter_id": letter_id,
            "signatures": [{"field_name": s.field_name, "signer": s.signer, "signing_time": when(s.signing_time),
                            "level": s.level, "intact": s.intact, "valid": s.valid, "trusted": s.trusted,
                            "timestamp_time": when(s.timestamp.time) if s.timestamp else None,
                            "revocation": s.revocation, "problems": list(s.problems)} for s in report.signatures],
            "document_timestamps": len(report.timestamps), "problems": list(report.problems),
            "report": report.to_text()}


def pages_json(pages: list[bytes], dpi: int) -> dict:
    """A draft's pages as PNG images (each with its size in pixels, read from the PNG header)."""
    return {"format": "png", "dpi": dpi, "page_count": len(pages),
            "pages": [{"page": number, "width": int.from_bytes(png[16:20], "big"),
                       "height": int.from_bytes(png[20:24], "big"), "png_base64": base64.b64encode(png).decode("ascii")}
                      for number, png in enumerate(pages, start=1)]}


def _text(value) -> str | None:
    return None if value is None else str(value)
