"""The pipeline: route, map, validate, render, convert, sign, store, one letter at a time.

``Naskah`` holds what is loaded once per process (settings, mappings, the store); ``naskah.issue``
is the one call for the common case.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .config import Settings, load_settings
from .convert import convert_to_pdf
from .errors import PayloadError, Problem
from .letters.common import Model
from .libreoffice_pool import LibreOfficePool
from .mapping import Mapping, load_mappings
from .render import DRAFT_FOOTER, render_docx
from .route import route
from .store import LocalStore, StoredLetter, letter_id_for
from .validate import validate

log = logging.getLogger("naskah")


class StageTimings:
    """Wall-clock seconds spent in each stage, summed over this Naskah's letters (for benchmarks and -v)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self._lock = threading.Lock()

    @contextmanager
    def measure(self, stage: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            with self._lock:
                self.seconds[stage] = self.seconds.get(stage, 0.0) + elapsed
                self.counts[stage] = self.counts.get(stage, 0) + 1
            log.debug("%s took %.0f ms", stage, elapsed * 1000)


@dataclass(frozen=True)
class PreparedLetter:
    """A payload that passed every rule: what will be rendered, and under which id."""

    mapping: Mapping
    letter: Model
    context: dict
    letter_id: str
    workflow_id: str
    content_hash: str
    metadata: dict


@dataclass(frozen=True)
class IssuedLetter:
    """A signed letter in the store."""

    letter_id: str
    mapping: str
    letter_kind: str
    pdf_path: Path
    sha256: str
    verification_url: str
    metadata: dict
    reused: bool  # True when this payload had been issued before and the stored letter was returned
    # Delivery to the host DMS (naskah.deliver), when one is configured; None otherwise.
    delivery_state: str | None = None  # pending (retried later), delivered, failed (see delivery_error)
    dms_document_id: str | None = None
    dms_url: str | None = None
    delivery_error: str | None = None


class Naskah:
    """One naskah installation; pass a started ``LibreOfficePool`` to convert on warm LibreOffice processes."""

    def __init__(self, settings: Settings | None = None, pool: LibreOfficePool | None = None):
        self.settings = settings or load_settings()
        self.pool = pool
        self.timings = StageTimings()
        self.mappings = load_mappings(self.settings.mappings_dir)
        self.store = LocalStore(self.settings.store_path)
        self._delivery = None  # naskah.deliver.Delivery, made when first needed if a DMS is configured

    def prepare(self, payload: dict, mapping: str | None = None, source: str | None = None) -> PreparedLetter:
        """Route, map and validate: everything that can refuse a payload, before any work is done."""
        try:
            chosen = route(payload, self.mappings, mapping)
        except PayloadError as exc:
            raise PayloadError(exc.problems, source) from None
        mapped = chosen.apply(payload)
        letter = validate(chosen.letter, mapped, source)
        identity = chosen.identity_of(payload)
        if identity is None:
            field = chosen.identity.payload_path or chosen.identity.source
            raise PayloadError([Problem(field, "required to identify the letter, missing from the payload")], source)
        context = letter.to_context()
        content_hash = hashlib.sha256(
            json.dumps({"letter": chosen.letter, "context": context}, sort_keys=True, default=_json_default,
                       ensure_ascii=False).encode("utf-8")
        ).hexdigest()
        metadata = {"jenis": chosen.letter, "workflow_id": identity, "penerbit": _issuer_of(letter)}
        metadata |= chosen.metadata_for(context)
        letter_id = letter_id_for(chosen.letter, identity, str(context.get("nomor", "")))
        return PreparedLetter(chosen, letter, context, letter_id, identity, content_hash, metadata)

    def verification_url(self, letter_id: str) -> str:
        return f"{self.settings.verification_base_url.rstrip('/')}/{letter_id}"

    def render(self, payload: dict, mapping: str | None = None, *, pdf: bool = True,
               source: str | None = None) -> bytes:
        """An unsigned preview marked DRAFT in every page's footer, for staff to check before signing."""
        prepared = self.prepare(payload, mapping, source)
        docx = self._render(prepared, DRAFT_FOOTER)
        return self._convert(docx) if pdf else docx

    def issue(self, payload: dict, mapping: str | None = None, source: str | None = None) -> IssuedLetter:
        prepared = self.prepare(payload, mapping, source)
        existing = self.store.check_same(prepared.letter_id, prepared.content_hash)
        if existing:
            log.info("letter %s was issued before; returning the stored copy", prepared.letter_id)
            return self._deliver(self._issued(existing, reused=True), prepared)
        self._dms_fields(prepared)  # a mapping whose dms section cannot be computed fails before signing
        from .sign import load_profile, sign_pdf  # pyHanko loads slowly; previews and checks don't need it

        profile = load_profile(prepared.mapping.signing_profile, self.settings)
        with self.timings.measure("render"):
            docx = self._render(prepared, profile.footer)
        with self.timings.measure("convert"):
            unsigned = self._convert(docx)
        signer = prepared.context["penandatangan"]
        with self.timings.measure("sign"):
            signed = sign_pdf(
                unsigned, profile,
                verification_url=self.verification_url(prepared.letter_id),
                signer_name=signer["nama"],
                signer_title=" ".join(signer["baris_jabatan"]).rstrip(","),
                location=_place_of(prepared.context),
                reason=prepared.metadata.get("hal"),
            )
        with self.timings.measure("store"):
            stored = self.store.put(
                letter_id=prepared.letter_id, mapping=prepared.mapping.name, letter_kind=prepared.mapping.letter,
                workflow_id=prepared.workflow_id, content_hash=prepared.content_hash, pdf=signed,
                metadata=prepared.metadata,
            )
        log.info("issued %s %s -> %s", prepared.mapping.letter, prepared.letter_id, stored.pdf_path)
        return self._deliver(self._issued(stored, reused=False), prepared)

    @property
    def delivery(self):
        """The delivery to the configured DMS through the outbox (None when no DMS is configured)."""
        if self._delivery is None and self.settings.dms is not None:
            from .deliver import Delivery, Outbox, connector_for

            self._delivery = Delivery(connector_for(self.settings.dms), Outbox(self.settings.outbox_location))
        return self._delivery

    def _dms_fields(self, prepared: PreparedLetter) -> dict | None:
        if self.settings.dms is None:
            return None
        from .mapping import dms_fields

        return dms_fields(prepared.mapping, prepared.context | {
            "letter_id": prepared.letter_id, "workflow_id": prepared.workflow_id,
            "letter_kind": prepared.mapping.letter, "metadata": prepared.metadata})

    def _deliver(self, issued: IssuedLetter, prepared: PreparedLetter) -> IssuedLetter:
        """Record the stored letter in the outbox, then try to deliver it once (with bounded retries)."""
        if self.delivery is None:
            return issued
        from dataclasses import replace

        from .deliver import document_for

        document = document_for(self._dms_fields(prepared), issued.letter_id, issued.sha256, prepared.workflow_id,
                                issued.metadata, mapping_has_dms=prepared.mapping.dms is not None)
        with self.timings.measure("deliver"):
            entry = self.delivery.record(document, issued.pdf_path)
            if entry.state != "delivered":
                entry = self.delivery.deliver(entry.idempotency_key, include_failed=True).entry
        return replace(issued, delivery_state=entry.state, dms_document_id=entry.dms_id, dms_url=entry.dms_url,
                       delivery_error=entry.last_error)

    def _render(self, prepared: PreparedLetter, footer: str) -> bytes:
        return render_docx(self.settings.templates_dir / prepared.mapping.template,
                           prepared.context | {"footer": footer})

    def _convert(self, docx: bytes) -> bytes:
        if self.pool is not None:
            return self.pool.convert(docx)
        return convert_to_pdf(docx, data_dir=self.settings.data_dir, timeout=self.settings.conversion_timeout,
                              soffice=self.settings.soffice)

    def _issued(self, stored: StoredLetter, reused: bool) -> IssuedLetter:
        return IssuedLetter(
            letter_id=stored.letter_id, mapping=stored.mapping, letter_kind=stored.letter_kind,
            pdf_path=stored.pdf_path, sha256=stored.sha256,
            verification_url=self.verification_url(stored.letter_id), metadata=stored.metadata, reused=reused,
        )


def _issuer_of(letter: Model) -> list[str]:
    """Who issues the letter, as its kop (or, for an applicant's own letter, their unit) names it."""
    kop = getattr(letter, "kop", None)
    if kop is not None:
        return [kop.pemerintah, kop.nama]
    unit = getattr(getattr(letter, "pemohon", None), "unit", None)
    return [unit] if unit else []


def _place_of(context: dict) -> str | None:
    return (context.get("ditetapkan") or {}).get("tempat") or context.get("tempat")


def _json_default(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(f"cannot hash {type(value).__name__}")


def issue(payload: dict, *, mapping: str | None = None, settings: Settings | None = None) -> IssuedLetter:
    """Issue one letter from a host payload: signed, stored, and described by the result."""
    return Naskah(settings).issue(payload, mapping)
