"""Checking signatures: what a signed PDF really holds (:mod:`.report`), the PAdES level it reaches
(:mod:`.levels`), which roots it is trusted against (:mod:`.trust`), and the bounds on checking a file anyone
may upload (:mod:`.bounds`)."""
from __future__ import annotations

from .bounds import VerificationLimits, VerificationRefused
from .report import SignatureReport, TimestampReport, VerificationReport, verify_pdf
from .trust import TrustRoots

__all__ = ["SignatureReport", "TimestampReport", "TrustRoots", "VerificationLimits", "VerificationRefused",
           "VerificationReport", "verify_pdf"]
