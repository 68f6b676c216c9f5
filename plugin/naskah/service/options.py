"""The ``[service]`` settings of ``naskah serve``: which hosts may call it, and the limits it enforces.

A host's token and HMAC secret are never written here: only the *name* of the environment variable, or the
path of a file, that holds one. With no ``[[service.hosts]]`` table, one host named ``default`` reads its token
from ``NASKAH_SERVICE_TOKEN`` and its HMAC secret from ``NASKAH_SERVICE_HMAC_SECRET``.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class HostOptions(BaseModel):
    """One host e-office allowed to call the API."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="sent as X-Naskah-Host with HMAC requests")
    token_env: str | None = Field(default=None, pattern=ENV_NAME, description="variable holding the API token")
    token_file: Path | None = Field(default=None, description="file holding the API token")
    hmac_secret_env: str | None = Field(default=None, pattern=ENV_NAME,
                                        description="variable holding the HMAC secret (requests and callbacks)")
    hmac_secret_file: Path | None = Field(default=None, description="file holding the HMAC secret")
    callback_prefixes: list[str] = Field(
        default_factory=list,
        description="URLs the host's callbacks may go to (each a prefix, e.g. https://eoffice.example/api/naskah/); "
                    "none: callbacks refused")

    @field_validator("callback_prefixes")
    @classmethod
    def _plain_http_prefixes(cls, prefixes: list[str]) -> list[str]:
        for prefix in prefixes:
            parts = urlsplit(prefix)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"callback prefix {prefix!r} is not an http(s) URL")
            if "@" in parts.netloc:
                raise ValueError("put no user or password into a callback prefix")
        return prefixes

    @model_validator(mode="after")
    def _one_source_each(self):
        if self.token_env and self.token_file:
            raise ValueError(f"host {self.name}: give token_env or token_file, not both")
        if self.hmac_secret_env and self.hmac_secret_file:
            raise ValueError(f"host {self.name}: give hmac_secret_env or hmac_secret_file, not both")
        return self


def _default_hosts() -> list[HostOptions]:
    return [HostOptions(name="default", token_env="NASKAH_SERVICE_TOKEN", hmac_secret_env="NASKAH_SERVICE_HMAC_SECRET")]


class ServiceOptions(BaseModel):
    """``[service]`` in the configuration file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hosts: list[HostOptions] = Field(default_factory=_default_hosts, description="hosts allowed to call the API")
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024,
                                description="largest JSON request body (a payload is a few kilobytes)")
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1024, le=512 * 1024 * 1024,
                                  description="largest PDF upload (API verify, verification page)")
    replay_window: int = Field(default=300, ge=10, le=3600,
                               description="seconds an HMAC timestamp stays acceptable; a signature is used once")
    workers: int | None = Field(default=None, ge=1, le=64,
                                description="letters issued at once; default: pool size + 1, or 2")
    max_queued_jobs: int = Field(default=200, ge=1, description="queued letters before new ones get 429")
    job_retention_days: float = Field(default=7, gt=0, description="finished jobs are forgotten after this")
    max_concurrent_verifications: int = Field(default=2, ge=1, le=32,
                                              description="signature checks at once; more wait in line")
    callback_field: str | None = Field(
        default="callback_url", pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$",
        description="dotted path of the callback URL in the host's payload (a callback_url query parameter wins)")
    callback_attempts: int = Field(default=6, ge=1, le=20, description="tries to deliver one callback")
    callback_backoff: float = Field(default=2.0, gt=0, description="seconds before the 2nd try; doubled each time")
    callback_backoff_max: float = Field(default=300.0, gt=0, description="longest wait between two tries")
    callback_timeout: float = Field(default=15.0, gt=0, description="seconds per callback request")
    timezone: str = Field(default="Asia/Jakarta", description="time zone of times on the verification page")
    verification_path: str | None = Field(
        default=None, pattern=r"^/[A-Za-z0-9/_.-]*$",
        description="path of the verification page; default: the path of verification_base_url")

    @model_validator(mode="after")
    def _unique_hosts(self):
        names = [host.name for host in self.hosts]
        if len(names) != len(set(names)):
            raise ValueError("every host needs its own name")
        return self
