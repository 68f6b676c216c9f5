"""Checking signatures: what a signed PDF really holds (:mod:`.report`), the PAdES level it reaches
(:mod:`.levels`) and which roots it is trusted against (:mod:`.trust`)."""
from __future__ import annotations

from .report import SignatureReport, TimestampReport, VerificationReport, verify_pdf
from .trust import TrustRoots

__all__ = ["SignatureReport", "TimestampReport", "TrustRoots", "VerificationReport", "verify_pdf"]
