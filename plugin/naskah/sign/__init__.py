"""The sign stage: a PAdES signature (B-B to B-LTA) with a visible QR stamp, made with pyHanko from a signing
profile whose key is a PKCS#12 file, a PKCS#11 token or the remote BSrE signing service.

:mod:`.api` signs, :mod:`.profile` reads signing profiles, :mod:`.appearance` draws the stamp, :mod:`.pades`
holds what every signature needs (TSA client, :mod:`.tsa_client`; validation context, with the OCSP responses,
CRLs and CA certificates reused between letters, :mod:`.validation_data`; level check) and :mod:`.backends` the
key sources.
An official's own key signs with the :mod:`.credentials` they give at signing; :mod:`.errors` tells a missing
or refused credential apart, and :mod:`.lockout` stops forwarding a signer's attempts after repeated refusals.
"""
from __future__ import annotations

from .api import Signatory, add_signature_fields, sign_letter, sign_pdf
from .appearance import StampPlace, locate_stamp
from .backends.demo_key import ensure_demo_key
from .backends.keys import load_signer
from .credentials import Credential
from .errors import CredentialMissing, CredentialRefused, SignerLocked
from .lockout import SignerKey, SignerLockout, signer_key
from .pades import explain
from .profile import PERSONAL_PASSPHRASE_REFUSED, SigningProfile, load_profile, profile_trust_roots

__all__ = ["Credential", "CredentialMissing", "CredentialRefused", "PERSONAL_PASSPHRASE_REFUSED", "Signatory",
           "SignerKey", "SignerLocked", "SignerLockout", "SigningProfile", "StampPlace", "add_signature_fields",
           "ensure_demo_key", "explain", "load_profile", "load_signer", "locate_stamp", "profile_trust_roots",
           "sign_letter", "sign_pdf", "signer_key"]
