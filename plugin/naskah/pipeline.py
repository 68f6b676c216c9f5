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
from dataclasses import dataclass, field, replace
from pathlib import Path

from .config import Settings, load_settings
from .convert import LibreOfficePool, converter_for
from .errors import PayloadError, SignedInPerson, SigningError
from .letters import LETTER_KINDS, Letter
from .lifecycle.flow import SEAL
from .mapping import DmsFields, MappedLetter, Mapping, dms_fields, load_mappings
from .render import DRAFT_FOOTER, render_docx
from .payload import workflow_identity
from .route import route
from .store import LocalStore, StoredLetter, workflow_key
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
class FinalFacts:
    """The letter's number and date as fixed at signing (or, for a draft, what it shows until then)."""

    nomor: str | None
    tanggal: dt.date

    def apply_to(self, mapped: MappedLetter, kind: type[Letter]) -> None:
        mapped.set(kind.TANGGAL_FIELD, self.tanggal)
        if kind.NOMOR_FIELD is not None and self.nomor is not None:
            mapped.set(kind.NOMOR_FIELD, self.nomor)


@dataclass(frozen=True)
class PreparedLetter:
    """A payload that passed every rule: what will be rendered, and under which id (``letter_id``, public and
    random; ``workflow_key``, what makes it the same letter when issued again)."""

    mapping: Mapping
    letter: Letter
    context: dict
    letter_id: str
    workflow_id: str
    content_hash: str
    metadata: dict
    workflow_key: str


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
    # What was prepared from the payload (the validated letter, its context and metadata).
    prepared: PreparedLetter | None = field(default=None, repr=False, compare=False)


class Naskah:
    """One naskah installation; pass a started ``LibreOfficePool`` to convert on warm LibreOffice processes."""

    def __init__(self, settings: Settings | None = None, pool: LibreOfficePool | None = None):
        self.settings = settings or load_settings()
        self.pool = pool
        self.timings = StageTimings()
        self.mappings = load_mappings(self.settings.mappings_dir)
        self.store = LocalStore(self.settings.store_path, self.settings.store)
        self._delivery = None  # naskah.deliver.Delivery, made when first needed if a DMS is configured

    def prepare(self, payload: dict, mapping: str | None = None, source: str | None = None, *,
                final: FinalFacts | None = None) -> PreparedLetter:
        """Route, map and validate: everything that can refuse a payload, before any work is done.

        ``final`` is the number and date fixed at signing: they replace what the payload says, and every rule
        that compares dates with the date of issue is checked against them."""
        chosen = self.route(payload, mapping, source)
        mapped = chosen.apply(payload)
        if final is not None:
            final.apply_to(mapped, LETTER_KINDS[chosen.letter])
        letter = validate(chosen.letter, mapped, source)
        identity = workflow_identity(chosen.identity_of(payload),
                                     chosen.identity.payload_path or chosen.identity.source, source)
        context = letter.to_context()
        content_hash = hashlib.sha256(
            json.dumps({"letter": chosen.letter, "context": context}, sort_keys=True, default=_json_default,
                       ensure_ascii=False).encode("utf-8")
        ).hexdigest()
        metadata = {"jenis": chosen.letter, "workflow_id": identity, "penerbit": letter.issuer}
        metadata |= chosen.metadata_for(context)
        key = workflow_key(chosen.letter, identity, str(context.get("nomor", "")))
        letter_id = self.store.letter_id_for_key(key)  # the stored letter's, or a new unguessable one
        return PreparedLetter(chosen, letter, context, letter_id, identity, content_hash, metadata, key)

    def route(self, payload: dict, mapping: str | None = None, source: str | None = None) -> Mapping:
        try:
            return route(payload, self.mappings, mapping)
        except PayloadError as exc:
            raise PayloadError(exc.problems, source) from None

    def verification_url(self, letter_id: str) -> str:
        return f"{self.settings.verification_base_url.rstrip('/')}/{letter_id}"

    def render(self, payload: dict, mapping: str | None = None, *, pdf: bool = True,
               source: str | None = None) -> bytes:
        """An unsigned preview marked DRAFT in every page's footer, for staff to check before signing."""
        prepared = self.prepare(payload, mapping, source)
        docx = self.render_docx(prepared, DRAFT_FOOTER)
        return self.convert(docx) if pdf else docx

    def issue(self, payload: dict, mapping: str | None = None, source: str | None = None, *,
              host: str | None = None) -> IssuedLetter:
        """Issue one letter: prepared from the payload, then signed, stored and delivered; the result carries
        what was prepared. ``host``: the service host issuing it (None: the command line)."""
        return self.issue_prepared(self.prepare(payload, mapping, source), host=host)

    def issue_prepared(self, prepared: PreparedLetter, *, host: str | None = None) -> IssuedLetter:
        """Seal, store and deliver a letter that ``prepare`` accepted (the service prepares before queueing).

        Only for letters the system seals (``flow: seal``) or signs with the local demo key: a letter its
        official signs in person goes through the signature flow (``naskah.signature_flow``)."""
        existing = self.store.check_same(prepared.workflow_key, prepared.content_hash, host)
        # once per letter; a mapping whose dms section cannot be computed fails before signing
        fields = self._dms_fields(prepared)
        if existing:
            log.info("letter %s was issued before; returning the stored copy", prepared.letter_id)
            return self.deliver(self._issued(existing, prepared, reused=True), fields)
        profile = self.signing_profile(prepared.mapping)
        if prepared.mapping.flow.kind != SEAL and not _local_test_key(profile):
            raise SignedInPerson(prepared.mapping.letter, prepared.mapping.name)
        issued = self.sign_and_store(prepared, self.render_final(prepared, profile), profile, host=host)
        return self.deliver(issued, fields)

    def signing_profile(self, mapping: Mapping):
        from .sign import load_profile  # pyHanko loads slowly; previews and checks don't need it

        return load_profile(mapping.signing_profile, self.settings)

    def render_final(self, prepared: PreparedLetter, profile) -> bytes:
        """The letter as it will be signed (unsigned PDF/A, with the profile's footer)."""
        with self.timings.measure("render"):
            docx = self.render_docx(prepared, profile.footer)
        with self.timings.measure("convert"):
            return self.convert(docx)

    def sign_and_store(self, prepared: PreparedLetter, unsigned: bytes, profile, *, credential=None,
                       lockout=None, host: str | None = None) -> IssuedLetter:
        """Sign ``unsigned`` (with the signer's own ``credential`` where the profile's key is personal) and store
        it, recording the service ``host`` that issued it; the caller delivers it (``deliver``) once whatever else
        belongs to the signing has committed."""
        from .sign import sign_pdf

        letter = prepared.letter
        profile = _for_signer(profile, letter)
        with self.timings.measure("sign"):
            signed = sign_pdf(
                unsigned, profile,
                verification_url=self.verification_url(prepared.letter_id),
                signer_name=letter.signer.nama,
                signer_title=letter.signer_title,
                location=letter.tempat,
                reason=prepared.metadata.get("hal"),
                **({"credential": credential} if credential is not None else {}),
                **({"lockout": lockout} if lockout is not None else {}),
            )
        self._intend_delivery(prepared)
        with self.timings.measure("store"):
            stored = self.store.put(
                letter_id=prepared.letter_id, mapping=prepared.mapping.name, letter_kind=prepared.mapping.letter,
                workflow_id=prepared.workflow_id, content_hash=prepared.content_hash, pdf=signed,
                metadata=prepared.metadata, public_facts=letter.public_facts(), workflow_key=prepared.workflow_key,
                host=host,
            )
        log.info("issued %s %s -> %s", prepared.mapping.letter, prepared.letter_id, stored.pdf_path)
        return self._issued(stored, prepared, reused=False)

    @property
    def delivery(self):
        """The delivery to the configured DMS through the outbox (None when no DMS is configured)."""
        if self._delivery is None and self.settings.dms is not None:
            from .deliver import delivery_for

            self._delivery = delivery_for(self.settings)
        return self._delivery

    def _dms_fields(self, prepared: PreparedLetter) -> DmsFields | None:
        if self.settings.dms is None:
            return None
        return dms_fields(prepared.mapping, prepared.context | {
            "letter_id": prepared.letter_id, "workflow_id": prepared.workflow_id,
            "letter_kind": prepared.mapping.letter, "metadata": prepared.metadata})

    def _intend_delivery(self, prepared: PreparedLetter) -> None:
        """Before the store's commit, the outbox keeps the delivery it will record after it: a process that dies
        in between leaves a stored letter that ``Delivery.reconcile`` records (``naskah serve`` does at start
        and on its schedule, ``naskah outbox retry`` each time)."""
        if self.delivery is None:
            return
        from .deliver.document import plan_of

        plan = plan_of(self._dms_fields(prepared), mapping_has_dms=prepared.mapping.dms is not None)
        self.delivery.intend(prepared.letter_id, prepared.workflow_id, plan)

    def deliver(self, issued: IssuedLetter, fields: DmsFields | None = None) -> IssuedLetter:
        """Record the stored letter in the outbox, then try to deliver it once (with bounded retries)."""
        if self.delivery is None:
            return issued
        from .deliver import document_for

        prepared = issued.prepared
        fields = fields if fields is not None else self._dms_fields(prepared)
        document = document_for(fields, issued.letter_id, issued.sha256, prepared.workflow_id,
                                issued.metadata, mapping_has_dms=prepared.mapping.dms is not None)
        with self.timings.measure("deliver"):
            entry = self.delivery.record(document, issued.pdf_path)
            if entry.state != "delivered":
                entry = self.delivery.deliver(entry.idempotency_key, include_failed=True).entry
        return replace(issued, delivery_state=entry.state, dms_document_id=entry.dms_id, dms_url=entry.dms_url,
                       delivery_error=entry.last_error)

    def render_docx(self, prepared: PreparedLetter, footer: str) -> bytes:
        return render_docx(self.settings.templates_dir / prepared.mapping.template,
                           prepared.context | {"footer": footer})

    def convert(self, docx: bytes) -> bytes:
        return converter_for(self.settings, self.pool).convert(docx)

    def _issued(self, stored: StoredLetter, prepared: PreparedLetter, reused: bool) -> IssuedLetter:
        return IssuedLetter(
            letter_id=stored.letter_id, mapping=stored.mapping, letter_kind=stored.letter_kind,
            pdf_path=stored.pdf_path, sha256=stored.sha256,
            verification_url=self.verification_url(stored.letter_id), metadata=stored.metadata, reused=reused,
            prepared=prepared,
        )


def _for_signer(profile, letter: Letter):
    """A personal BSrE profile without a NIK signs as the letter's signer (``penandatangan.nik``)."""
    key = profile.key
    if key.source != "bsre" or key.kind != "person" or key.nik is not None:
        return profile
    nik = getattr(letter.signer, "nik", None)
    if not nik:
        raise SigningError(f"signing profile {profile.name} signs with the BSrE certificate of the letter's signer, "
                           f"and the letter gives no NIK for {letter.signer.nama}")
    return profile.model_copy(update={"key": key.model_copy(update={"nik": nik})})


def _local_test_key(profile) -> bool:
    """The demo key, or a PKCS#12 file without a password: keys for trying naskah out, which no official holds."""
    return profile.uses_demo_key or (profile.key.source == "pkcs12" and profile.key.password_env is None)


def _json_default(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(f"cannot hash {type(value).__name__}")


def issue(payload: dict, *, mapping: str | None = None, settings: Settings | None = None) -> IssuedLetter:
    """Issue one letter from a host payload: signed, stored, and described by the result."""
    return Naskah(settings).issue(payload, mapping)
