"""The API's answers as pydantic models: they document the OpenAPI schema that hosts generate clients from."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ProblemOut(BaseModel):
    field: str = Field(description="the payload's (or request's) field path, e.g. data.pegawai.nip; empty: "
                                   "the request as a whole")
    message: str


class ErrorOut(BaseModel):
    status: int
    code: str = Field(description="payload_refused, malformed_body, unauthorized, not_found, too_large, busy, ...")
    message: str
    problems: list[ProblemOut]


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
