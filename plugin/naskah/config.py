"""Where naskah finds its configuration (mappings, templates, signing profiles) and keeps its data.

Every setting has an embedded default, so `naskah issue` works with no configuration file at all.
A TOML file (``--config`` or ``NASKAH_CONFIG``) and ``NASKAH_*`` environment variables override them.
"""
from __future__ import annotations

import os
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .deliver.connector import DmsOptions
from .errors import ConfigError
from .service.options import ServiceOptions

#: The repository root when naskah runs from a checkout (``pip install -e .``): it holds the shipped
#: ``mappings/``, ``templates/`` and ``signing/``.
SOURCE_ROOT = Path(__file__).resolve().parents[2]


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
    store_dir: Path | None = Field(default=None, description="local store; default DATA_DIR/store")
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
    service: ServiceOptions = Field(default_factory=ServiceOptions,
                                    description="`naskah serve`: hosts allowed to call the API, size limits "
                                                "([service] table; secrets only as variable names or file paths)")

    @property
    def store_path(self) -> Path:
        return self.store_dir or self.data_dir / "store"

    @property
    def outbox_location(self) -> str:
        return self.outbox or str(self.store_path / "outbox.sqlite")


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
