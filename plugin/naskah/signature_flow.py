"""The signature flow: how a letter comes into being (DOMAIN.md, "How a letter comes into being").

A draft (konsep) is validated and previewed with DRAFT on every page; officials review it (paraf) in the order
the mapping declares, or return it with a note; the signing official signs it with their own credential, given
in that one request and dropped when it returns (PP 71/2019: the signature creation data stays in the signer's
sole control); the number and the date become final at that moment (the date: the day in WIB; the number: the
one the host gives in the signing request, or the next of the numbering register). A signed letter can later be
revoked (dicabut) with a reason, or replaced (diganti) by a corrected letter that names it.

The lifecycle itself (states, trail, persistence) is ``naskah.lifecycle``; the number register is
``naskah.numbering``; both share one database, so the number and the signed state commit together.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

from .database import Database
from .drafts_files import DraftFiles, Preview
from .errors import FlowError
from .formatting import tanggal as tanggal_text
from .i18n import N_, _, date_text
from .lifecycle import Actor, Draft, Lifecycle, TrailEntry, require
from .lifecycle.states import ALLOWED_FROM, PARAF, SIGN, state_label
from .lifecycle.flow import SEAL
from .numbering import NumberRegister
from .pipeline import FinalFacts, IssuedLetter, Naskah, PreparedLetter
from .render import DRAFT_FOOTER

log = logging.getLogger("naskah.flow")

#: The letters' time zone: Malang, Cilegon and Tangerang date their letters in WIB.
WIB = ZoneInfo("Asia/Jakarta")
#: What a draft shows where its number goes until the number is taken at signing.
DRAFT_NOMOR = "………"

# messages a secretariat user may see, each written once (for the gettext catalogs)
SEALED_NOT_DRAFTED = N_("a {letter_kind} letter (mapping {mapping}) is sealed by the system without a person: "
                        "issue it in one call (naskah issue / POST /api/v1/letters), it has no drafts")
TEXT_CHANGED = N_("the letter as it would be signed differs from the draft that was reviewed (version {version}), "
                  "beyond its number and date: {difference}; the draft must be revised and reviewed again")
NO_NUMBER = N_("the letter needs a number: give it in the signing request, or configure the mapping's numbering "
               "register (numbering: in mappings/{mapping}.yaml)")
NOT_SIGNED_LETTER = N_("there is no signed letter {letter_id} in the signature flow")
LETTER_CLOSED = N_("letter {letter_id} cannot be corrected: it is {state}")


def today_in_wib() -> dt.date:
    return dt.datetime.now(WIB).date()


class SignatureFlow:
    """The signature flow of one installation (its ``Naskah``: settings, mappings, store, converter)."""

    def __init__(self, naskah: Naskah):
        self.naskah = naskah
        self.db = Database(naskah.settings.state_location, "the letters' state")
        self.lifecycle = Lifecycle(self.db)
        self.register = NumberRegister(self.db)
        # previews and paraf copies where the store keeps its letters: on several machines, any instance reads them
        self.files = DraftFiles(naskah.store.objects.beside("drafts"))
        # refused credentials are counted outside the signing's transaction, which rolls back when they are
        self._attempts_location = _beside(naskah.settings.state_location, "attempts")
        self._lockout = None

    # -- drafting and review
    def draft(self, payload: dict, actor: Actor, *, host: str = "local", mapping: str | None = None,
              source: str | None = None, supersedes: str | None = None) -> Draft:
        """A new draft from a host payload: validated (as if dated today) and previewed; nothing is signed."""
        prepared = self._prepare_draft(payload, mapping, source)
        if supersedes is not None:
            self._check_correctable(supersedes)
        preview = self._render_preview(prepared)
        draft = self.lifecycle.create_draft(host=host, mapping=prepared.mapping.name, payload=payload,
                                            flow=prepared.mapping.flow, actor=actor,
                                            workflow_id=prepared.workflow_id, supersedes=supersedes)
        self.files.keep_preview(draft, *preview)
        return draft

    def revise(self, draft_id: str, actor: Actor, payload: dict, *, version: int | None = None,
               source: str | None = None) -> Draft:
        """A returned draft gets a new payload: a new version, previewed, whose reviews start again."""
        draft = self.lifecycle.get(draft_id)
        prepared = self._prepare_draft(payload, draft.mapping, source)
        preview = self._render_preview(prepared)
        draft = self.lifecycle.revise(draft_id, actor, payload, flow=prepared.mapping.flow, version=version)
        self.files.keep_preview(draft, *preview)
        return draft

    def paraf(self, draft_id: str, actor: Actor, step: int | None = None, *, version: int | None = None,
              note: str | None = None, credential=None) -> Draft:
        """The paraf of ``step`` (0-based; default: the pending one). A flow without paraf steps is submitted.

        Where the mapping makes the step an electronic signature (``signature: true``), the reviewer signs the
        draft version they approve with their own ``credential``; the signed copy is kept beside the preview."""
        with self.db.transaction():
            draft = self.lifecycle.hold(draft_id)
            if not draft.flow.paraf:
                return self.lifecycle.submit(draft_id, actor, version=version, note=note)
            index = draft.step if step is None else step
            spec = draft.flow.paraf[index] if 0 <= index < len(draft.flow.paraf) else None
            if spec is not None and spec.signature and index == draft.step and draft.state in ALLOWED_FROM[PARAF]:
                signed = self._sign_paraf(draft, index, actor, credential)
                note = " ".join(filter(None, [note, f"(paraf elektronik, SHA-256 {signed})"]))
            return self.lifecycle.paraf(draft_id, actor, index, version=version, note=note)

    def paraf_copy(self, draft: Draft, step: int):
        """The draft version the reviewer of ``step`` (0-based) signed, for a paraf that is a signature (a file, or
        an object in the store's bucket)."""
        return self.files.paraf_copy(draft, step)

    def return_(self, draft_id: str, actor: Actor, note: str, *, version: int | None = None) -> Draft:
        return self.lifecycle.return_(draft_id, actor, note, version=version)

    def withdraw(self, draft_id: str, actor: Actor, *, note: str | None = None) -> Draft:
        return self.lifecycle.withdraw(draft_id, actor, note=note)

    # -- signing
    def sign(self, draft_id: str, actor: Actor, credential=None, *, nomor: str | None = None,
             version: int | None = None) -> IssuedLetter:
        """The official signs: the letter is dated today (WIB) and numbered, rendered again, compared with the
        reviewed draft, signed with ``credential`` and stored; then delivered. A failure anywhere before the
        store leaves the draft awaiting its signature and consumes no number."""
        require(self.lifecycle.get(draft_id), SIGN)  # refused before any work when it cannot be signed now
        with self.db.transaction():  # the number, the stored letter's record and the signed state: together
            draft = self.lifecycle.hold(draft_id)  # a second signing of the same draft waits, then is refused
            require(draft, SIGN)
            mapping = self.naskah.mappings[draft.mapping]
            profile = self.naskah.signing_profile(mapping)
            signed_on = today_in_wib()
            preview = self.preview(draft)
            with self._number(draft, mapping, signed_on, nomor) as number:
                prepared = self.naskah.prepare(draft.payload, draft.mapping, final=FinalFacts(number, signed_on))
                unsigned = self.naskah.render_final(prepared, profile)
                self._check_reviewed_text(draft, preview, unsigned, prepared, profile.footer)
                issued = self.naskah.sign_and_store(prepared, unsigned, profile, credential=credential,
                                                    lockout=self.lockout if credential is not None else None,
                                                    host=draft.host)
                self.lifecycle.mark_signed(draft_id, actor, letter_id=issued.letter_id, number=number or "",
                                           signed_date=signed_on, version=version)
                if draft.supersedes:
                    superseded = self.lifecycle.by_letter(draft.supersedes)
                    self.lifecycle.supersede(superseded.id, actor, issued.letter_id)
        log.info("draft %s signed as letter %s", draft_id, issued.letter_id)
        return self.naskah.deliver(issued)

    @property
    def lockout(self):
        """Repeated refused credentials of one signer stop forwarding attempts for a while (BSrE locks accounts)."""
        if self._lockout is None:
            from .sign import SignerLockout

            self._lockout = SignerLockout(self._attempts_location)
        return self._lockout

    # -- after signing
    def revoke(self, letter_id: str, actor: Actor, reason: str) -> Draft:
        """Revoke (cabut) a signed letter with the reason its verification page will show."""
        return self.lifecycle.revoke(self._signed_draft(letter_id).id, actor, reason)

    def status_of_letter(self, letter_id: str) -> Draft | None:
        """The flow's record of a stored letter (None for a letter sealed in one call)."""
        return self.lifecycle.by_letter(letter_id)

    # -- reading
    def get(self, draft_id: str) -> Draft:
        return self.lifecycle.get(draft_id)

    def trail(self, draft_id: str) -> list[TrailEntry]:
        return self.lifecycle.trail(draft_id)

    def waiting_for(self, draft: Draft) -> str | None:
        """Who the draft waits for, as people say it: the person the payload names, else the step's title."""
        pending = draft.pending
        if pending is None:
            return None
        if pending.action == "revise":
            return _("revision by the drafter")
        if pending.action == "submit":
            return _("submission")
        mapping = self.naskah.mappings.get(draft.mapping)
        person = mapping.person_of(pending.person, draft.payload) if mapping else None
        title = pending.title
        return " - ".join(part for part in (person, title) if part) or pending.action

    def preview(self, draft: Draft) -> Preview:
        return self.files.preview(draft)

    # -- the pieces
    def _prepare_draft(self, payload: dict, mapping: str | None, source: str | None) -> PreparedLetter:
        chosen = self.naskah.route(payload, mapping, source)
        if chosen.flow.kind == SEAL:
            raise FlowError(_(SEALED_NOT_DRAFTED).format(letter_kind=chosen.letter, mapping=chosen.name),
                            "sealed_letter")
        # until signing the letter shows the host's number if it gave one, else a blank to be filled
        nomor = None if _payload_number(self.naskah, chosen, payload) else DRAFT_NOMOR
        return self.naskah.prepare(payload, chosen.name, source, final=FinalFacts(nomor, today_in_wib()))

    def _render_preview(self, prepared: PreparedLetter) -> tuple[bytes, dict]:
        from .convert.text import pdf_text

        pdf = self.naskah.convert(self.naskah.render_docx(prepared, DRAFT_FOOTER))
        return pdf, {"nomor": prepared.context.get("nomor") or None, "tanggal": prepared.letter.tanggal.isoformat(),
                     "text": pdf_text(pdf)}

    def _sign_paraf(self, draft: Draft, index: int, actor: Actor, credential) -> str:
        import hashlib

        from .sign import load_profile, sign_pdf

        spec = draft.flow.paraf[index]
        mapping = self.naskah.mappings[draft.mapping]
        profile = load_profile(spec.profile or mapping.signing_profile, self.naskah.settings)
        # a draft has no verification page yet: the paraf's stamp names the reviewer without a QR code
        profile = profile.model_copy(update={"stamp": profile.stamp.model_copy(update={"qr": False})})
        preview = self.preview(draft)
        signed = sign_pdf(preview.pdf_path.read_bytes(), profile, signer_name=actor.name,
                          signer_title=actor.title or spec.title, reason=f"Paraf {spec.title}",
                          field_name=f"Paraf_{index + 1}", credential=credential,
                          lockout=self.lockout if credential is not None else None)
        self.files.keep_paraf(draft, index, signed)
        return hashlib.sha256(signed).hexdigest()

    @contextlib.contextmanager
    def _number(self, draft: Draft, mapping, signed_on: dt.date, given: str | None = None):
        """The letter's final number: the host's (checked against the register), or the register's next."""
        from .letters import LETTER_KINDS

        if LETTER_KINDS[mapping.letter].NOMOR_FIELD is None:  # a letter without a number (an application)
            yield None
            return
        given = given or _payload_number(self.naskah, mapping, draft.payload)
        if given:
            with self.register.supplied(given, letter_id=None) as number:
                yield number
        elif mapping.numbering is not None:
            fields = mapping.numbering.fields_for(draft.payload) | {"tahun": signed_on.year}
            with self.register.assign(mapping.numbering.numbering, fields) as number:
                yield number
        else:
            raise FlowError(_(NO_NUMBER).format(mapping=mapping.name), "number_required")

    def _check_reviewed_text(self, draft: Draft, preview: Preview, unsigned: bytes, prepared: PreparedLetter,
                             footer: str) -> None:
        from .convert.text import pdf_text

        reviewed = _comparable(preview.text, [preview.nomor], [preview.tanggal], [DRAFT_FOOTER, footer])
        final = _comparable(pdf_text(unsigned), [prepared.context.get("nomor")], [prepared.letter.tanggal],
                            [DRAFT_FOOTER, footer])
        if reviewed != final:
            raise FlowError(_(TEXT_CHANGED).format(version=draft.version,
                                                   difference=_first_difference(reviewed, final)),
                            "text_changed")

    def _signed_draft(self, letter_id: str) -> Draft:
        draft = self.lifecycle.by_letter(letter_id)
        if draft is None:
            raise FlowError(_(NOT_SIGNED_LETTER).format(letter_id=letter_id), "not_in_flow")
        return draft

    def _check_correctable(self, letter_id: str) -> None:
        draft = self._signed_draft(letter_id)
        if draft.state != "signed":
            raise FlowError(_(LETTER_CLOSED).format(letter_id=letter_id, state=state_label(draft.state)),
                            "letter_closed")


def standing_of_letter(settings, letter_id: str) -> str | None:
    """What ``naskah verify`` adds for a stored letter the flow revoked or replaced (None while it stands)."""
    if not Path(settings.state_location).exists() and not settings.state_location.startswith("postgres"):
        return None
    draft = Lifecycle(Database(settings.state_location, "the letters' state")).by_letter(letter_id)
    if draft is None or draft.state == "signed":
        return None
    when = (draft.closed_at or "")[:10]
    when = date_text(dt.date.fromisoformat(when)) if when else when
    if draft.state == "revoked":
        return _("REVOKED (dicabut) on {date}: {reason}").format(date=when, reason=draft.revocation_reason)
    return _("SUPERSEDED (diganti) on {date} by letter {letter_id}").format(date=when, letter_id=draft.superseded_by)


def _beside(location: str, name: str) -> str:
    """A second database beside ``location`` that never joins its transactions: a file of its own for SQLite, a
    connection of its own (another application name) for PostgreSQL."""
    if location.startswith(("postgresql://", "postgres://")):
        return location + ("&" if "?" in location else "?") + f"application_name=naskah-{name}"
    return str(Path(location.removeprefix("sqlite://")).with_name(f"{name}.sqlite"))


def _payload_number(naskah: Naskah, mapping, payload: dict) -> str | None:
    """The number the host put in the payload, if the letter has one there."""
    from .letters import LETTER_KINDS

    field = LETTER_KINDS[mapping.letter].NOMOR_FIELD
    if field is None:
        return None
    value = mapping.apply(payload).fields
    for part in field:
        value = value.get(part) if isinstance(value, dict) else None
    return str(value).strip() if isinstance(value, (str, int)) and str(value).strip() else None


def _comparable(text: str, numbers: list[str | None], dates: list[dt.date], footers: list[str]) -> str:
    """The text with white space folded and the number, the date and the footer blanked: what must not change
    between the reviewed draft and the signed letter."""
    text = " ".join(text.split())
    for footer in footers:
        text = text.replace(" ".join(footer.split()), " ")
    for number in numbers:
        if number:
            text = text.replace(number, "<NOMOR>")
    for day in dates:
        text = text.replace(tanggal_text(day), "<TANGGAL>")
    return " ".join(text.split())


def _first_difference(reviewed: str, final: str) -> str:
    at = next((i for i, (a, b) in enumerate(zip(reviewed, final)) if a != b), min(len(reviewed), len(final)))
    start = max(0, at - 30)
    return _("the draft reads {reviewed}, the letter {final}").format(reviewed=repr(reviewed[start:at + 40]),
                                                                      final=repr(final[start:at + 40]))
