"""Signing profiles: ``signing/profiles/NAME.yaml`` says which key signs, at which PAdES level, with which stamp.

A profile names where the key's password is (an environment variable), never the password itself.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from ..config import Settings
from ..errors import ConfigError
from .demo_key import ensure_demo_key

NOTO_SANS = Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf")
DEFAULT_FOOTER = "Dokumen ini telah ditandatangani secara elektronik menggunakan sertifikat elektronik."
SUPPORTED_LEVELS = ("B-B",)
LATER_LEVELS = ("B-T", "B-LT", "B-LTA")


class KeySpec(BaseModel):
    """Where the signing key is. An empty ``path`` means the demo key (letters signed with it are not valid)."""

    model_config = ConfigDict(extra="forbid")

    source: Literal["pkcs12"] = "pkcs12"
    path: Path | None = None
    password_env: str | None = Field(default=None, description="environment variable holding the password")

    @field_validator("path", mode="before")
    @classmethod
    def _empty_is_none(cls, value):
        return None if value in ("", None) else value


class StampSpec(BaseModel):
    """The visible stamp: a QR code with the signer's name, at the template's ``ttd`` bookmark."""

    model_config = ConfigDict(extra="forbid")

    font: Path = NOTO_SANS
    # whole points: pyHanko's stamp layout fails on fractional sizes
    font_size: int = Field(default=7, gt=0)
    width: int = Field(default=200, gt=20, description="points")
    height: int = Field(default=85, gt=20, description="points")


class SigningProfile(BaseModel):
    """One signing profile. After :func:`load_profile`, ``key.path`` and ``trust_roots`` are absolute."""

    model_config = ConfigDict(extra="forbid")

    name: str = "default"
    key: KeySpec = KeySpec()
    level: str = "B-B"
    stamp: StampSpec = StampSpec()
    footer: str = DEFAULT_FOOTER
    trust_roots: list[Path] = []
    field_name: str = Field(default="Tanda_Tangan", pattern=r"^[A-Za-z0-9_-]+$")
    _demo: bool = PrivateAttr(default=False)

    @property
    def uses_demo_key(self) -> bool:
        """True when no key was configured and the demo key (not valid) signs."""
        return self._demo

    @field_validator("level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value in LATER_LEVELS:
            raise ValueError(f"PAdES level {value} is not yet supported; use one of {', '.join(SUPPORTED_LEVELS)}")
        if value not in SUPPORTED_LEVELS:
            raise ValueError(f"unknown PAdES level {value!r}; supported: {', '.join(SUPPORTED_LEVELS)}")
        return value


def load_profile(name: str, settings: Settings) -> SigningProfile:
    """Read ``signing/profiles/NAME.yaml``, resolve its paths and check that the files it names exist.

    With no key path the demo key is made (once) in ``settings.data_dir`` and its root becomes the trust root.
    The password itself is read only when the key is loaded (:func:`naskah.sign.signer.load_signer`).
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
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"signing profile {path} is invalid: {problems}") from None
    return _resolve(profile, signing_dir, Path(settings.data_dir), path)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """Where and what, without PyYAML's quote of the offending line (it could hold a misplaced secret)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or type(exc).__name__
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}" if mark else problem


def _resolve(profile: SigningProfile, signing_dir: Path, data_dir: Path, source: Path) -> SigningProfile:
    def absolute(p: Path) -> Path:
        p = p.expanduser()
        return p if p.is_absolute() else signing_dir / p

    roots = [absolute(root) for root in profile.trust_roots]
    key = profile.key
    if key.path is None:
        key_path, root_path, _ = ensure_demo_key(data_dir)
        key = key.model_copy(update={"path": key_path, "password_env": None})
        roots = roots or [root_path]
        demo = True
    else:
        key = key.model_copy(update={"path": absolute(key.path)})
        if not key.path.is_file():
            raise ConfigError(f"signing profile {source}: key file {key.path} does not exist")
        if key.password_env and key.password_env not in os.environ:
            raise ConfigError(f"signing profile {source}: environment variable {key.password_env} "
                              f"(the key's password) is not set")
        demo = False
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
