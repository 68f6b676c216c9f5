"""The states of a letter, the actions between them, and which action each state allows.

::

    draft --paraf--> in_review --paraf (last)--> awaiting_signature --sign--> signed --> revoked / superseded
      ^                 |                              |
      +---- revise <--- returned <---------------------+
    draft/in_review/awaiting_signature --withdraw--> withdrawn

A flow without paraf steps goes from draft to awaiting_signature on ``submit``; ``submit`` with paraf steps
sends the draft to in_review without a paraf.
"""
from __future__ import annotations

DRAFT, IN_REVIEW, AWAITING_SIGNATURE, SIGNED = "draft", "in_review", "awaiting_signature", "signed"
RETURNED, WITHDRAWN, REVOKED, SUPERSEDED = "returned", "withdrawn", "revoked", "superseded"
STATES = (DRAFT, IN_REVIEW, AWAITING_SIGNATURE, SIGNED, RETURNED, WITHDRAWN, REVOKED, SUPERSEDED)

CREATE, SUBMIT, PARAF, RETURN, REVISE = "create", "submit", "paraf", "return", "revise"
WITHDRAW, SIGN, REVOKE, SUPERSEDE = "withdraw", "sign", "revoke", "supersede"

ALLOWED_FROM: dict[str, tuple[str, ...]] = {
    SUBMIT: (DRAFT,),
    PARAF: (DRAFT, IN_REVIEW),
    RETURN: (IN_REVIEW, AWAITING_SIGNATURE),
    REVISE: (RETURNED,),
    WITHDRAW: (DRAFT, IN_REVIEW, AWAITING_SIGNATURE, RETURNED),
    SIGN: (AWAITING_SIGNATURE,),
    REVOKE: (SIGNED,),
    SUPERSEDE: (SIGNED,),
}
