"""Where naskah finds its configuration (mappings, templates, signing profiles) and keeps its data.

Every setting has an embedded default, so `naskah issue` works with no configuration file at all.
A TOML file (``--config`` or ``NASKAH_CONFIG``) and ``NASKAH_*`` environment variables override them.

The ``[service]`` table of ``naskah serve`` (which hosts may call it, the limits it enforces) is described here
too, with the rest of the file: a host's token and HMAC secret are never written in it, only the *name* of the
environment variable, or the path of a file, that holds one. With no ``[[service.hosts]]`` table, one host named
``default`` reads its token from ``NASKAH_SERVICE_TOKEN`` and its HMAC secret from ``NASKAH_SERVICE_HMAC_SECRET``.
"""
from __future__ import annotations

import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .cluster.options import ClusterOptions
from .deliver.options import DmsOptions
from .errors import ConfigError
from .objects import StoreOptions
from .secrets import ENV_NAME

#: The repository root when naskah runs from a checkout (``pip install -e .``): it holds the shipped
#: ``mappings/``, ``templates/`` and ``signing/``.
SOURCE_ROOT = Path(__file__).resolve().parents[2]
HOST_NAME = r"^[A-Za-z0-9_.-]{1,64}$"


#: Who made a draft or letter that no host sent: the command line (``naskah draft``) and the library's default.
RESERVED_HOSTS = ("cli", "local")


class HostOptions(BaseModel):
    """One host e-office allowed to call the API."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=HOST_NAME, description="sent as X-Naskah-Host with HMAC requests")
    token_env: str | None = Field(default=None, pattern=ENV_NAME, description="variable holding the API token")
    token_file: Path | None = Field(default=None, description="file holding the API token")
    hmac_secret_env: str | None = Field(default=None, pattern=ENV_NAME,
                                        description="variable holding the HMAC secret (requests and callbacks)")
    hmac_secret_file: Path | None = Field(default=None, description="file holding the HMAC secret")
    callback_prefixes: list[str] = Field(
        default_factory=list,
        description="URLs the host's callbacks may go to (each a prefix, e.g. https://eoffice.example/api/naskah/); "
                    "none: callbacks refused")
    read_letters_of: list[Annotated[str, Field(pattern=HOST_NAME)]] = Field(
        default_factory=list, description="other hosts whose letters this host may read too (GET a letter and its "
                                          "PDF); by default a host reads only the letters it issued")
    read_unrecorded: bool | None = Field(
        default=None, description="whether this host may read letters that record no host (issued from the command "
                                  "line, or before naskah recorded hosts); default: yes when it is the only host")

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, name: str) -> str:
        if name in RESERVED_HOSTS:
            raise ValueError(f"{name!r} names the drafts and letters made on the command line: choose another name")
        return name

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
    read_timeout: float = Field(default=10.0, gt=0, le=300,
                                description="seconds a client may take to send a request's headers, and to send "
                                            "each next part of its body; slower connections are closed")
    body_timeout: float = Field(default=300.0, gt=0, le=3600,
                                description="seconds a client may take to send a whole request body")
    max_connections: int = Field(default=256, ge=8, le=10000,
                                 description="open connections at once; a request beyond them gets 503")
    verify_max_signatures: int = Field(default=10, ge=1, le=1000,
                                       description="an uploaded PDF with more signature fields is refused unchecked")
    verify_max_objects: int = Field(default=10000, ge=100,
                                    description="an uploaded PDF with more objects (over all revisions) is refused "
                                                "unchecked; a one-page letter has about 300")
    verify_time_budget: float = Field(default=10.0, gt=0, le=600,
                                      description="seconds one uploaded PDF may be checked; then it is refused")
    page_views_per_minute: int = Field(default=60, ge=0,
                                       description="verification pages one client may open a minute (0: no limit); "
                                                   "counted over every API instance when the jobs ([cluster] "
                                                   "database) or the state are in PostgreSQL")
    uploads_per_minute: int = Field(default=10, ge=0,
                                    description="files one client may upload to the verification page a minute "
                                                "(0: no limit)")
    trusted_proxies: list[str] = Field(
        default_factory=list, description="addresses of reverse proxies whose X-Forwarded-For names the client "
                                          "(for the per-client limits); none: the connection's address")
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

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, proxies: list[str]) -> list[str]:
        for proxy in proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(f"trusted proxy {proxy!r} is not an IP address or network") from None
        return proxies


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "naskah"


class Settings(BaseModel):
    """The settings of one naskah installation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mappings_dir: Path = Field(default=SOURCE_ROOT / "mappings", description="folder of mapping YAML files")
    templates_dir: Path = Field(default=SOURCE_ROOT / "templates", description="folder of DOCX templates")
    signing_dir: Path = Field(default=SOURCE_ROOT / "signing", description="folder of signing profiles")
    data_dir: Path = Field(default_factory=_default_data_dir, description="demo key, LibreOffice profiles")
    language: Literal["id", "en"] = Field(default="id", description="the language of messages to people: id "
                                                                      "(Indonesian) or en; a service request's "
                                                                      "Accept-Language wins")
    store_dir: Path | None = Field(default=None, description="local store; default DATA_DIR/store")
    store: StoreOptions = Field(default_factory=StoreOptions,
                                description="where signed PDFs (a folder, or an S3 bucket) and their index "
                                            "(SQLite or PostgreSQL) are kept ([store] table)")
    verification_base_url: str = Field(
        default="http://127.0.0.1:8080/v", description="the QR code encodes BASE/<letter id>"
    )
    conversion_timeout: float = Field(default=120.0, gt=0, description="seconds before soffice is killed")
    soffice: str = Field(default="soffice", description="LibreOffice executable")
    pool_size: int | None = Field(default=None, ge=1, le=64,
                                  description="warm LibreOffice processes for batches; default: number of cores")
    pool_restart_after: int = Field(default=200, ge=1, description="conversions before a warm process is renewed")
    dms: DmsOptions | None = Field(default=None, description="the host DMS that signed letters are delivered to "
                                                             "([dms] table; none: the local store only)")
    outbox: str | None = Field(default=None, description="delivery outbox: SQLite file or postgresql:// URL; "
                                                         "default STORE_DIR/outbox.sqlite")
    state: str | None = Field(default=None, description="letters in their signature flow (drafts, trail, numbering "
                                                       "register): SQLite file or postgresql:// URL; "
                                                       "default STORE_DIR/state.sqlite")
    cluster: ClusterOptions | None = Field(default=None, description="Celery workers and beat with a Redis broker "
                                                                     "([cluster] table; none: one process)")
    service: ServiceOptions = Field(default_factory=ServiceOptions,
                                    description="`naskah serve`: hosts allowed to call the API, size limits "
                                                "([service] table; secrets only as variable names or file paths)")

    @property
    def store_path(self) -> Path:
        return self.store_dir or self.data_dir / "store"

    @property
    def outbox_location(self) -> str:
        return self.outbox or str(self.store_path / "outbox.sqlite")

    @property
    def state_location(self) -> str:
        return self.state or str(self.store_path / "state.sqlite")

    @property
    def service_location(self) -> str:
        """The service's jobs and replay memory (shared by every process in cluster mode)."""
        return (self.cluster and self.cluster.database) or str(self.store_path / "service.sqlite")


_ENV_PREFIX = "NASKAH_"


def load_settings(config_file: str | os.PathLike | None = None, **overrides) -> Settings:
    """Embedded defaults, then the TOML file, then NASKAH_* variables, then explicit overrides."""
    values: dict = {}
    config_file = config_file or os.environ.get("NASKAH_CONFIG")
    if config_file:
        path = Path(config_file)
        try:
            values.update(tomllib.loads(path.read_text(encoding="utf-8")))
        except OSError as exc:
            raise ConfigError(f"cannot read configuration file {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"configuration file {path} is not valid TOML: {exc}") from None
    for name in Settings.model_fields:
        env_value = os.environ.get(_ENV_PREFIX + name.upper())
        if env_value:
            values[name] = env_value
    values.update({key: value for key, value in overrides.items() if value is not None})
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"invalid configuration: {problems}") from None


def settings_from_args(args) -> Settings:
    """The settings a command of the ``naskah`` CLI runs with: its ``--config`` file and, where the command
    has one, its ``--store`` folder."""
    return load_settings(args.config, store_dir=getattr(args, "store", None))
