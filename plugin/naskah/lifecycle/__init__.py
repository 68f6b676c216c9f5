"""The letter lifecycle: draft, paraf in order, signature, return and revision, withdrawal, revocation."""
from .drafts import Lifecycle, require
from .errors import DraftNotFound, IllegalTransition, LifecycleError
from .flow import FlowSpec, ParafStep, Pending, Signer
from .records import Actor, Draft, TrailEntry
from .states import (AWAITING_SIGNATURE, DRAFT, IN_REVIEW, RETURNED, REVOKED, SIGNED, STATES, SUPERSEDED,
                     WITHDRAWN)

__all__ = ["Lifecycle", "require", "DraftNotFound", "IllegalTransition", "LifecycleError", "FlowSpec", "ParafStep", "Pending",
           "Signer", "Actor", "Draft", "TrailEntry", "AWAITING_SIGNATURE", "DRAFT", "IN_REVIEW", "RETURNED",
           "REVOKED", "SIGNED", "STATES", "SUPERSEDED", "WITHDRAWN"]
