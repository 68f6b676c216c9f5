"""Signing profiles: ``signing/profiles/NAME.yaml`` says which key signs, at which PAdES level, with which
time-stamping authority, trust roots and stamp, and whether the signature certifies the letter (DocMDP).

A profile names where each secret is (an environment variable), never the secret itself.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from ..config import Settings
from ..errors import ConfigError
from ..i18n import N_, _
from ..secrets import ENV_NAME
from ..validation.levels import SUPPORTED_LEVELS, level_rank
from ..validation.trust import TrustRoots
from .backends.demo_key import ensure_demo_key

NOTO_SANS = Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf")
DEFAULT_FOOTER = "Dokumen ini telah ditandatangani secara elektronik menggunakan sertifikat elektronik."


def _no_credentials_in_url(url: str) -> str:
    """Credentials come from the environment, never from a URL (it would end up in messages and logs)."""
    from urllib.parse import urlsplit

    if "@" in urlsplit(url).netloc:
        raise ValueError("put no user or password into the URL: use username and password_env")
    return url


class Pkcs12Key(BaseModel):
    """A PKCS#12 file. An empty ``path`` means the demo key (letters signed with it are not valid).

    With ``password_env`` it is a system key (an agency's seal), opened once and kept. Without, it is an
    official's personal key: its password is the credential given at signing, and it is opened for that one
    signature only."""

    model_config = ConfigDict(extra="forbid")

    source: Literal["pkcs12"] = "pkcs12"
    path: Path | None = None
    password_env: str | None = Field(default=None, pattern=ENV_NAME,
                                     description="environment variable holding a seal's password; "
                                                 "none: a personal key, its password given at signing")

    @field_validator("path", mode="before")
    @classmethod
    def _empty_is_none(cls, value):
        return None if value in ("", None) else value


class Pkcs11Key(BaseModel):
    """A key on a PKCS#11 token (an HSM, a smart card; SoftHSM2 in the tests).

    With ``pin_env`` it is a system key (a seal) whose logged-in session is kept; without, a personal key: the
    PIN is the credential given at signing and the session lasts that one signature."""

    model_config = ConfigDict(extra="forbid")

    source: Literal["pkcs11"]
    module: Path = Field(description="the token's PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so")
    token_label: str | None = None
    slot: int | None = Field(default=None, ge=0)
    key_label: str
    cert_label: str | None = Field(default=None, description="default: the key's label")
    pin_env: str | None = Field(default=None, pattern=ENV_NAME,
                                description="environment variable holding a seal's user PIN; none: a personal "
                                            "key, its PIN given at signing")

    @model_validator(mode="after")
    def _token_or_slot(self):
        if self.token_label is None and self.slot is None:
            raise ValueError("name the token: token_label or slot")
        return self


#: Why a personal BSrE profile may not name its passphrase, and what to do instead.
PERSONAL_PASSPHRASE_REFUSED = N_(
    "a personal BSrE signer's passphrase is not stored (passphrase_env): under PP 71/2019 the signature creation "
    "data stays in the signer's sole control, so naskah never keeps it. Remove passphrase_env; the official gives "
    "the passphrase or one-time code at signing: `naskah sign ID --passphrase-stdin`, or the `credential` of the "
    "HTTP sign request")


class BsreKey(BaseModel):
    """The remote signing service (BSrE Esign Client Service, API v1 or v2) through the agency's own connector.

    ``kind: person``: the official's key stays with the service, ``nik`` names the official (none: the NIK of the
    letter's signer, ``penandatangan.nik``, so one profile serves every official), and the passphrase
    (or, with v2, a one-time code) is the credential given at signing: it is never configured. ``kind: seal``
    (v2 only): the agency's electronic seal ``subscriber_id``, with a one-time code from the signing request or
    made here from the TOTP seed in ``totp_seed_env``. The connector's HTTP basic-auth password comes from
    ``password_env``.
    """

    model_config = ConfigDict(extra="forbid")

    source: Literal["bsre"]
    url: str = Field(pattern=r"^https?://", description="base URL of the agency's Esign Client Service")
    api: Literal["v1", "v2"] = "v1"
    kind: Literal["person", "seal"] = "person"
    nik: str | None = Field(default=None, pattern=r"^[0-9]{16}$",
                            description="the official's NIK (16 digits); none: the NIK of the letter's signer")
    subscriber_id: str | None = Field(default=None, min_length=1, description="a seal's BSrE subscriber id")
    totp_seed_env: str | None = Field(default=None, pattern=ENV_NAME,
                                      description="a seal's TOTP seed (base32), to make its one-time codes")
    passphrase_env: str | None = Field(default=None, pattern=ENV_NAME,
                                       description="refused: a signer's passphrase is given at signing")
    username: str | None = None
    password_env: str | None = Field(default=None, pattern=ENV_NAME)
    timeout: float = Field(default=60, gt=0, description="seconds per HTTP call")

    @field_validator("url")
    @classmethod
    def _plain_url(cls, value: str) -> str:
        return _no_credentials_in_url(value)

    @model_validator(mode="after")
    def _person_or_seal(self):
        if self.passphrase_env is not None:
            raise ValueError(_(PERSONAL_PASSPHRASE_REFUSED) if self.kind == "person" else
                             "a BSrE seal signs with its subscriber_id and a one-time code, not a passphrase: "
                             "remove passphrase_env")
        if self.kind == "person":
            if self.subscriber_id is not None or self.totp_seed_env is not None:
                raise ValueError("subscriber_id and totp_seed_env are for kind: seal")
        else:
            if self.api != "v2":
                raise ValueError("a BSrE seal needs api: v2 (v1 has no seal)")
            if self.subscriber_id is None:
                raise ValueError("a BSrE seal needs its subscriber_id")
            if self.nik is not None:
                raise ValueError("a BSrE seal names its subscriber_id, not a nik")
        return self


class LockoutSpec(BaseModel):
    """After ``attempts`` refused credentials for one signer within ``minutes``, naskah forwards no attempt for
    that signer for ``minutes`` (BSrE locks accounts, tokens lock their PIN)."""

    model_config = ConfigDict(extra="forbid")

    attempts: int = Field(default=5, ge=1)
    minutes: int = Field(default=30, ge=1)


KeySpec = Annotated[Union[Pkcs12Key, Pkcs11Key, BsreKey], Field(discriminator="source")]


class TsaSpec(BaseModel):
    """The RFC 3161 time-stamping authority for B-T and above (signature and document timestamps)."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(pattern=r"^https?://")
    timeout: float = Field(default=30, gt=0)
    username: str | None = None
    password_env: str | None = Field(default=None, pattern=ENV_NAME)

    @field_validator("url")
    @classmethod
    def _plain_url(cls, value: str) -> str:
        return _no_credentials_in_url(value)


class StampPosition(BaseModel):
    """A fixed place for the stamp's lower left corner, for templates without the bookmark."""

    model_config = ConfigDict(extra="forbid")

    page: int = Field(default=-1, description="1 is the first page, -1 the last")
    x: int = Field(ge=0, description="points from the page's left edge")
    y: int = Field(ge=0, description="points from the page's bottom edge")

    @field_validator("page")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("pages count from 1 (or from -1 for the last)")
        return value


class StampSpec(BaseModel):
    """The visible stamp, placed at the template's bookmark ``anchor`` (or a fixed ``position``): a QR code
    (optional) and the signer."""

    model_config = ConfigDict(extra="forbid")

    anchor: str = Field(default="ttd", pattern=r"^[A-Za-z0-9_-]+$", description="bookmark in the template")
    position: StampPosition | None = None
    qr: bool = True
    font: Path = NOTO_SANS
    # whole points: pyHanko's stamp layout fails on fractional sizes
    font_size: int = Field(default=7, gt=0)
    width: int = Field(default=200, gt=20, description="points")
    height: int = Field(default=85, gt=20, description="points")
    timezone: str = Field(default="Asia/Jakarta", description="the stamp's clock: Asia/Jakarta (WIB), "
                                                             "Asia/Makassar (WITA), Asia/Jayapura (WIT)")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class SigningProfile(BaseModel):
    """One signing profile. After :func:`load_profile`, paths are absolute and the named variables are set."""

    model_config = ConfigDict(extra="forbid")

    name: str = "default"
    key: KeySpec = Pkcs12Key()
    level: str = "B-B"
    tsa: TsaSpec | None = None
    trust_roots: list[Path] = []
    certify: bool = Field(default=False, description="a certification (DocMDP) signature; it must be the first")
    docmdp: Literal["no-changes", "form-filling", "annotations"] = "form-filling"
    stamp: StampSpec = StampSpec()
    footer: str = DEFAULT_FOOTER
    field_name: str = Field(default="Tanda_Tangan", pattern=r"^[A-Za-z0-9_-]+$")
    lockout: LockoutSpec = LockoutSpec()
    _demo: bool = PrivateAttr(default=False)

    @property
    def uses_demo_key(self) -> bool:
        """True when no key was configured and the demo key (not valid) signs."""
        return self._demo

    @property
    def personal(self) -> bool:
        """True when the key is an official's own: its secret is the credential given at signing (a PKCS#12
        without ``password_env``, a PKCS#11 key without ``pin_env``, a BSrE person). False for a seal (the
        secret configured as an environment variable's name) and for the demo key."""
        key = self.key
        if isinstance(key, Pkcs12Key):
            return key.password_env is None and not self._demo
        if isinstance(key, Pkcs11Key):
            return key.pin_env is None
        return key.kind == "person"

    @model_validator(mode="before")
    @classmethod
    def _pkcs12_by_default(cls, raw):
        # profiles written before other key sources existed name no source
        if isinstance(raw, dict) and isinstance(raw.get("key"), dict) and "source" not in raw["key"]:
            raw = dict(raw, key=dict(raw["key"], source="pkcs12"))
        return raw

    @field_validator("level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value not in SUPPORTED_LEVELS:
            raise ValueError(f"unknown PAdES level {value!r}; supported: {', '.join(SUPPORTED_LEVELS)}")
        return value

    @model_validator(mode="after")
    def _level_needs(self):
        if level_rank(self.level) >= 1 and self.tsa is None:
            raise ValueError(f"PAdES {self.level} needs a time-stamping authority: set tsa.url")
        if level_rank(self.level) >= 2 and not self.trust_roots and not self._demo_key_configured():
            raise ValueError(f"PAdES {self.level} needs trust_roots: the chain whose revocation data is embedded")
        return self

    def _demo_key_configured(self) -> bool:
        return isinstance(self.key, Pkcs12Key) and self.key.path is None


def load_profile(name: str, settings: Settings) -> SigningProfile:
    """Read ``signing/profiles/NAME.yaml``, resolve its paths and check that what it names exists.

    With no key path the demo key is made (once) in ``settings.data_dir`` and its root becomes the trust root.
    Secrets themselves are read only when they are used (:mod:`naskah.sign.backends`).
    """
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ConfigError(f"invalid signing profile name {name!r}")
    signing_dir = Path(settings.signing_dir)
    path = signing_dir / "profiles" / f"{name}.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"signing profile {name!r} not found: {path} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"cannot read signing profile {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"signing profile {path} is not valid YAML: {_yaml_problem(exc)}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"signing profile {path} must be a YAML mapping, not {type(raw).__name__}")
    raw.setdefault("name", name)
    try:
        profile = SigningProfile.model_validate(raw)
    except ValidationError as exc:
        # input values are left out of the message: a misplaced password must not be echoed
        problems = "; ".join(f"{_location(e['loc']) or '(top)'}: {e['msg'].removeprefix('Value error, ')}"
                             for e in exc.errors())
        raise ConfigError(f"signing profile {path} is invalid: {problems}") from None
    return _resolve(profile, signing_dir, Path(settings.data_dir), path)


def profile_trust_roots(settings: Settings, mappings: Mapping[str, Any], *, strict: bool = False) -> TrustRoots:
    """The trust roots letters are checked against, read from the signing profiles ``mappings`` name (see
    :class:`naskah.validation.trust.TrustRoots`); ``strict``: a profile that cannot be loaded is an error."""
    return TrustRoots(mappings, lambda name: load_profile(name, settings).trust_roots, strict=strict)


def _location(loc: tuple) -> str:
    # pydantic puts the union member's tag ("pkcs11") into the location of a discriminated union's errors
    return ".".join(str(part) for part in loc if part not in ("pkcs12", "pkcs11", "bsre"))


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """Where and what, without PyYAML's quote of the offending line (it could hold a misplaced secret)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or type(exc).__name__
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}" if mark else problem


def _resolve(profile: SigningProfile, signing_dir: Path, data_dir: Path, source: Path) -> SigningProfile:
    def absolute(p: Path) -> Path:
        p = p.expanduser()
        return p if p.is_absolute() else signing_dir / p

    def require_env(variable: str | None, what: str) -> None:
        if variable and variable not in os.environ:
            raise ConfigError(f"signing profile {source}: environment variable {variable} ({what}) is not set")

    roots = [absolute(root) for root in profile.trust_roots]
    key = profile.key
    demo = False
    if isinstance(key, Pkcs12Key):
        if key.path is None:
            key_path, root_path, _created = ensure_demo_key(data_dir)
            key = key.model_copy(update={"path": key_path, "password_env": None})
            roots = roots or [root_path]
            demo = True
        else:
            key = key.model_copy(update={"path": absolute(key.path)})
            if not key.path.is_file():
                raise ConfigError(f"signing profile {source}: key file {key.path} does not exist")
            require_env(key.password_env, "the key's password")
    elif isinstance(key, Pkcs11Key):
        key = key.model_copy(update={"module": absolute(key.module)})
        if not key.module.is_file():
            raise ConfigError(f"signing profile {source}: PKCS#11 module {key.module} does not exist")
        require_env(key.pin_env, "the token's PIN")
    else:
        require_env(key.totp_seed_env, "the seal's TOTP seed")
        require_env(key.password_env, "the connector's password")
    if profile.tsa is not None:
        require_env(profile.tsa.password_env, "the TSA's password")
    for root in roots:
        if not root.is_file():
            raise ConfigError(f"signing profile {source}: trust root {root} does not exist")
    font = absolute(profile.stamp.font)
    if not font.is_file():
        raise ConfigError(f"signing profile {source}: stamp font {font} does not exist")
    stamp = profile.stamp.model_copy(update={"font": font})
    resolved = profile.model_copy(update={"key": key, "trust_roots": roots, "stamp": stamp})
    resolved._demo = demo
    return resolved
