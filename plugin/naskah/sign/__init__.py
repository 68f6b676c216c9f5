"""The sign stage: a PAdES signature (B-B to B-LTA) with a visible QR stamp, made with pyHanko from a signing
profile whose key is a PKCS#12 file, a PKCS#11 token or the remote BSrE signing service."""
from __future__ import annotations

from .demo_key import ensure_demo_key
from .keys import load_signer
from .profile import SigningProfile, load_profile
from .signer import Signatory, add_signature_fields, sign_letter, sign_pdf
from .stamp import StampPlace, locate_stamp

__all__ = ["Signatory", "SigningProfile", "StampPlace", "add_signature_fields", "ensure_demo_key", "load_profile",
           "load_signer", "locate_stamp", "sign_letter", "sign_pdf"]
