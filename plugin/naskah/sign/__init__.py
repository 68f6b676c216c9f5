"""The sign stage: a PAdES signature with a visible QR stamp, made with pyHanko from a signing profile."""
from __future__ import annotations

from .demo_key import ensure_demo_key
from .profile import SigningProfile, load_profile
from .signer import load_signer, sign_pdf
from .stamp import StampPlace, locate_stamp

__all__ = ["SigningProfile", "StampPlace", "ensure_demo_key", "load_profile", "load_signer", "locate_stamp",
           "sign_pdf"]
