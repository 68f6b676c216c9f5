"""The ``[dms]`` section of the configuration: one pydantic model per kind of DMS, chosen by ``kind``.

Secrets (tokens, passwords) are never part of them: only the *name* of the environment variable that
holds one.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..secrets import EnvName


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CommonOptions(_Options):
    """What every HTTP target has: where it is, how long to wait, how often to retry."""

    name: str = Field(default="dms", pattern=r"^[\w.-]{1,64}$",
                      description="the target's name in the outbox and in messages")
    url: str = Field(description="base URL of the DMS (http or https)")
    connect_timeout: float = Field(default=5.0, gt=0, le=300, description="seconds to connect")
    read_timeout: float = Field(default=60.0, gt=0, le=3600, description="seconds to wait for an answer")
    ca_bundle: Path | None = Field(default=None, description="CA certificates to verify the DMS's TLS "
                                                             "certificate with (default: the system's)")
    retries: int = Field(default=4, ge=0, le=10, description="retries of a failed request in one delivery")
    backoff: float = Field(default=0.5, ge=0, le=60, description="first wait between retries, doubled each time")
    backoff_max: float = Field(default=30.0, ge=0, le=600, description="longest wait between retries")
    retry_interval: float = Field(default=300.0, ge=0, le=86400,
                                  description="seconds between two rounds of `naskah serve` delivering what is "
                                              "still in the outbox (and recording stored letters it lacks); "
                                              "0: only `naskah outbox retry` does")
    lease_seconds: float = Field(default=600.0, ge=1, le=86400,
                                 description="how long a claim on an outbox entry lasts without renewal (it is "
                                             "renewed before every request; a dead process's claim on this "
                                             "host is taken over at once)")

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL")
        if parts.username or parts.password:
            raise ValueError("must not contain credentials; name an environment variable instead")
        return value.rstrip("/")

    @field_validator("ca_bundle")
    @classmethod
    def _bundle_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not Path(value).is_file():
            raise ValueError(f"CA bundle {value} does not exist")
        return value

    @property
    def longest_request(self) -> float:
        """Seconds one request may take at most, its retries by urllib3 included."""
        return (self.retries + 1) * (self.connect_timeout + self.read_timeout) + self.retries * self.backoff_max

    @model_validator(mode="after")
    def _lease_outlasts_a_request(self):
        if self.lease_seconds <= self.longest_request:
            raise ValueError(f"lease_seconds ({self.lease_seconds:g}) must be longer than one request can take "
                             f"with its retries ({self.longest_request:g} s), or two processes could both upload")
        return self


class AuthOptions(_Options):
    """How the generic connector authenticates; secrets come from the named environment variables."""

    kind: Literal["none", "token_header", "bearer", "basic"] = "none"
    header: str = Field(default="Authorization", description="header for kind=token_header")
    prefix: str = Field(default="", description="text before the token in that header, e.g. 'Token '")
    token_env: EnvName | None = Field(default=None, description="environment variable holding the token")
    username: str | None = Field(default=None, description="user name for kind=basic")
    password_env: EnvName | None = Field(default=None, description="environment variable holding the password")


class MayanOptions(CommonOptions):
    """A Mayan EDMS 4.x: token authentication, documents with a document type and typed metadata."""

    kind: Literal["mayan"]
    token_env: EnvName = Field(description="environment variable holding the API token")
    key_metadata: str = Field(default="naskah_key", pattern=r"^[A-Za-z_]\w*$",
                              description="metadata type that holds the idempotency key")
    recent_scan: int = Field(default=25, ge=0, le=500,
                             description="how many of the newest documents of the type are also looked at "
                                         "when searching for an existing copy (a search index may lag)")
    default_document_type: str | None = Field(
        default=None, description="document type for letters whose mapping has no dms section")
    stub_grace_seconds: float = Field(
        default=300.0, ge=0, le=86400,
        description="a document of ours still without its file after this long is a stub whose processing "
                    "failed: the file is uploaded to it (younger, Mayan may still be processing it)")


class FindOptions(_Options):
    """How the generic connector looks for an existing copy: a GET whose answer lists matches."""

    url: str = Field(description="URL template; {idempotency_key}, {sha256} and {letter_id} are filled in")
    results_path: str = Field(default="", description="dotted path to the list of matches ('' = the answer)")
    id_path: str = Field(default="id", description="dotted path to a match's id")
    url_path: str | None = Field(default=None, description="dotted path to a match's URL")


class GenericRestOptions(CommonOptions):
    """Any DMS whose API takes one upload request and answers with the new document's id."""

    kind: Literal["generic_rest"]
    upload_path: str = Field(default="", description="path of the upload endpoint, after url")
    method: Literal["POST", "PUT"] = "POST"
    auth: AuthOptions = AuthOptions()
    file_field: str = Field(default="file", description="multipart field of the PDF")
    fields: dict[str, str] = Field(
        default_factory=dict,
        description="more multipart fields: name -> template over {label}, {document_type}, {description}, "
                    "{idempotency_key}, {sha256}, {letter_id}, {workflow_id}, {filename}, {metadata.NAME}")
    metadata_field: str | None = Field(
        default=None, description="one multipart field per metadata value, named by this template over {name}, "
                                  "e.g. 'metadata[{name}]'")
    metadata_json_field: str | None = Field(default=None, description="one multipart field with all metadata "
                                                                      "as a JSON object")
    idempotency_header: str | None = Field(default="Idempotency-Key",
                                           description="header carrying the idempotency key on upload")
    id_path: str = Field(default="id", description="dotted path of the document id in the answer")
    url_path: str | None = Field(default=None, description="dotted path of the document URL in the answer")
    document_url: str | None = Field(default=None, description="URL template over {id} when the answer has none")
    check_path: str | None = Field(default=None, description="GET this path to check credentials (2xx = ok)")
    find: FindOptions | None = Field(default=None, description="how to find an existing copy; without it an "
                                                               "upload whose outcome is unknown is not repeated")


DmsOptions = Annotated[MayanOptions | GenericRestOptions, Field(discriminator="kind")]
