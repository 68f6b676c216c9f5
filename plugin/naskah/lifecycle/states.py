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

from ..i18n import pgettext

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


def state_label(state: str) -> str:
    """A state as a message names it to people (in English, the state itself)."""
    labels = {
        DRAFT: pgettext("state", "draft"), IN_REVIEW: pgettext("state", "in_review"),
        AWAITING_SIGNATURE: pgettext("state", "awaiting_signature"), SIGNED: pgettext("state", "signed"),
        RETURNED: pgettext("state", "returned"), WITHDRAWN: pgettext("state", "withdrawn"),
        REVOKED: pgettext("state", "revoked"), SUPERSEDED: pgettext("state", "superseded"),
    }
    return labels.get(state, state)


def action_label(action: str) -> str:
    """An action as a message names it ("cannot {action} draft ..."; in English, the action itself)."""
    labels = {
        CREATE: pgettext("action", "create"), SUBMIT: pgettext("action", "submit"),
        PARAF: pgettext("action", "paraf"), RETURN: pgettext("action", "return"),
        REVISE: pgettext("action", "revise"), WITHDRAW: pgettext("action", "withdraw"),
        SIGN: pgettext("action", "sign"), REVOKE: pgettext("action", "revoke"),
        SUPERSEDE: pgettext("action", "supersede"),
    }
    return labels.get(action, action)
