"""The API's answers as pydantic models: they document the OpenAPI schema that hosts generate clients from.
The signature flow's requests are here too: its routes read their bodies with them (after authenticating)."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..lifecycle import Actor
from ..store import LETTER_ID


class ProblemOut(BaseModel):
    field: str = Field(description="the payload's (or request's) field path, e.g. data.pegawai.nip; empty: "
                                   "the request as a whole")
    message: str


class ErrorOut(BaseModel):
    status: int
    code: str = Field(description="payload_refused, malformed_body, unauthorized, not_found, too_large, busy, "
                                  "illegal_transition, text_changed, credential_required, credential_refused, "
                                  "signer_locked, ...")
    message: str
    problems: list[ProblemOut]
    bsre_code: str | None = Field(None, description="credential_refused: the signing service's own code (BSrE)")
    explanation: str | None = Field(None, description="credential_refused: what the code means")
    locked_until: str | None = Field(None, description="signer_locked (or the refusal that locked the signer): "
                                                       "until when no attempt is forwarded (ISO 8601)")
    state: str | None = Field(None, description="illegal_transition: the draft's state now")
    action: str | None = Field(None, description="illegal_transition: the step that was refused")


class ErrorResponse(BaseModel):
    error: ErrorOut


class Delivery(BaseModel):
    state: str | None = Field(description="pending, delivering, delivered or failed")
    document_id: str | None = None
    url: str | None = None
    error: str | None = None


class Letter(BaseModel):
    letter_id: str = Field(description="also the last part of the verification URL in the QR code")
    letter_kind: str
    letter_title: str
    mapping: str
    nomor: str | None = None
    tanggal: str | None = None
    hal: str | None = None
    sha256: str = Field(description="SHA-256 of the signed PDF")
    pdf_url: str = Field(description="path of the signed PDF on this service")
    verification_url: str
    issued_at: str | None = None
    reused: bool | None = Field(default=None, description="true: issued before, the stored letter is returned")
    job_id: str | None = None
    dms: Delivery | None = Field(default=None, description="delivery to the host DMS, when one is configured")


class JobAccepted(BaseModel):
    job_id: str
    state: Literal["queued", "running", "done", "failed"]
    status_url: str


class JobStatus(BaseModel):
    job_id: str
    state: Literal["queued", "running", "done", "failed"]
    created_at: str
    updated_at: str
    http_status: int | None = Field(description="the status the synchronous request would have had")
    letter: Letter | None = None
    error: ErrorOut | None = None
    callback: dict | None = Field(default=None, description="{state: pending|delivered|failed, attempts, error}")


class PreviewPage(BaseModel):
    page: int
    width: int
    height: int
    png_base64: str


class PreviewPages(BaseModel):
    format: Literal["png"]
    dpi: int
    page_count: int
    pages: list[PreviewPage]


class SignatureOut(BaseModel):
    field_name: str
    signer: str | None
    signing_time: str | None
    level: str | None
    intact: bool
    valid: bool
    trusted: bool | None
    timestamp_time: str | None
    revocation: str
    problems: list[str]


class VerificationOut(BaseModel):
    ok: bool = Field(description="every signature intact, valid and trusted (and at least one)")
    demo_key: bool = Field(description="signed with naskah's demo key: never a valid letter")
    sha256: str
    letter_id: str | None = Field(description="the stored letter whose signed file is exactly this one, if any")
    signatures: list[SignatureOut]
    document_timestamps: int
    problems: list[str]
    report: str = Field(description="the report as `naskah verify` prints it")


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    ready: bool
    checks: dict[str, str]


# ------------------------------------------------------------------------------------- the signature flow

_REQUEST = ConfigDict(extra="forbid", hide_input_in_errors=True)
_NOTE = Field(None, max_length=2000, description="a note kept in the trail")
_VERSION = Field(None, ge=1, description="the draft version this step concerns: refused (409) if the draft "
                                         "has changed since")


class DraftCreate(BaseModel):
    model_config = _REQUEST

    payload: dict[str, Any] = Field(description="the host's workflow payload, as for POST /api/v1/letters; "
                                                "without the number, which is given at signing")
    mapping: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{1,64}$",
                                description="mapping name (default: the one whose match rule accepts the payload)")
    actor: Actor = Field(description="who drafts it (kept in the trail)")
    supersedes: str | None = Field(None, pattern=LETTER_ID.pattern,
                                   description="the signed letter this one corrects: replaced (DIGANTI) once this "
                                               "one is signed")
    callback_url: str | None = Field(None, max_length=2000,
                                     description="where every state change of this draft is posted (default: the "
                                                 "payload's callback field); under the host's callback_prefixes")


class CredentialIn(BaseModel):
    """The signer's own secret, used for this one request and then dropped: never stored, logged or called back."""

    model_config = _REQUEST

    passphrase: str | None = Field(None, min_length=1, max_length=1024, repr=False,
                                   description="BSrE passphrase, or the password of a personal PKCS#12 key")
    totp: str | None = Field(None, min_length=1, max_length=64, repr=False, description="BSrE one-time code")
    pin: str | None = Field(None, min_length=1, max_length=256, repr=False, description="PKCS#11 token PIN")

    def credential(self):
        """As naskah's :class:`~naskah.sign.credentials.Credential`; None when nothing was given."""
        from ..sign.credentials import Credential  # pyHanko loads slowly

        if self.passphrase is None and self.totp is None and self.pin is None:
            return None
        return Credential(passphrase=self.passphrase, totp=self.totp, pin=self.pin)


class ParafIn(BaseModel):
    model_config = _REQUEST

    actor: Actor
    step: int | None = Field(None, ge=0, le=50, description="0-based index of the paraf step (default: the "
                                                            "pending one); any other than the pending one: 409")
    version: int | None = _VERSION
    note: str | None = _NOTE
    credential: CredentialIn | None = Field(None, description="the reviewer's own secret, for a paraf the mapping "
                                                              "makes an electronic signature (used once, never kept)")


class ReturnIn(BaseModel):
    model_config = _REQUEST

    actor: Actor
    note: str = Field(min_length=1, max_length=2000, description="why it goes back (kept in the trail)")
    version: int | None = _VERSION


class ReviseIn(BaseModel):
    model_config = _REQUEST

    actor: Actor
    payload: dict[str, Any] = Field(description="the revised payload: a new version, whose reviews start again")
    version: int | None = _VERSION


class WithdrawIn(BaseModel):
    model_config = _REQUEST

    actor: Actor
    note: str | None = _NOTE


class SignIn(BaseModel):
    model_config = _REQUEST

    actor: Actor = Field(description="the signing official")
    credential: CredentialIn | None = Field(None, description="the signer's passphrase, one-time code or PIN "
                                                              "(none for a seal or the demo key)")
    nomor: str | None = Field(None, min_length=1, max_length=200,
                              description="the letter's number from the host (checked against the register); "
                                          "default: the next of the mapping's numbering register")
    version: int | None = _VERSION


class RevokeIn(BaseModel):
    model_config = _REQUEST

    actor: Actor
    reason: str = Field(min_length=1, max_length=2000, description="shown on the verification page (DICABUT)")


class PendingOut(BaseModel):
    action: Literal["submit", "paraf", "sign", "seal", "revise"]
    step: int | None = Field(description="paraf: 0-based index of the step")
    title: str | None = Field(description="the position of the official who acts next")
    person: str | None = Field(description="their name, from the payload")
    signature: bool = Field(description="the step is an electronic signature")


class TrailEntryOut(BaseModel):
    seq: int
    at: str = Field(description="when (UTC, ISO 8601)")
    actor: Actor
    action: str = Field(description="create, submit, paraf, return, revise, withdraw, sign, revoke, supersede")
    state: str = Field(description="the state the step led to")
    version: int
    step: int | None = Field(description="paraf: 0-based index of the step")
    note: str | None


class DraftOut(BaseModel):
    id: str
    state: Literal["draft", "in_review", "awaiting_signature", "signed", "returned", "withdrawn", "revoked",
                   "superseded"]
    version: int
    mapping: str
    workflow_id: str | None
    waiting_for: str | None = Field(description="who acts next, as people say it (None once signed or closed)")
    pending: PendingOut | None
    trail: list[TrailEntryOut]
    preview_url: str = Field(description="the reviewed version's PDF, DRAFT on every page")
    preview_png_url: str = Field(description="its pages as PNG (?page=N)")
    supersedes: str | None = Field(description="the letter this one corrects")
    letter_id: str | None = Field(description="once signed")
    nomor: str | None = Field(description="once signed: the letter's number")
    tanggal: str | None = Field(description="once signed: the letter's date (the signing day in WIB)")
    pdf_url: str | None = Field(description="once signed: the signed PDF")
    verification_url: str | None = Field(description="once signed: the page behind the QR code")
    revocation_reason: str | None
    superseded_by: str | None = Field(description="the letter that replaced this one")
    closed_at: str | None = Field(description="when it was withdrawn, revoked or replaced (UTC)")
    created_at: str
    updated_at: str


class SignedLetter(Letter):
    draft: DraftOut


#: the request bodies the OpenAPI schema describes (the routes read them themselves)
REQUESTS = (DraftCreate, ParafIn, ReturnIn, ReviseIn, WithdrawIn, SignIn, RevokeIn)
