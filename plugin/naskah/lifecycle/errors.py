"""Why a step of a letter's lifecycle was refused. Every message a secretariat user may see is written here
once, as a format string, so that it can go into the gettext catalogs as it stands."""
from __future__ import annotations

from ..errors import NaskahError
from ..i18n import N_, _
from .states import action_label, state_label

NOT_FOUND = N_("there is no draft {draft_id}")
ILLEGAL = N_("cannot {action} draft {draft_id}: it is {state}")
NO_PARAF_STEPS = N_("cannot paraf draft {draft_id}: its flow has no paraf steps (it is {state})")
NO_SUCH_STEP = N_("cannot paraf draft {draft_id} as paraf {tried} of {count}: its flow has no such step")
WRONG_STEP = N_("cannot paraf draft {draft_id} as {tried_title} (paraf {tried} of {count}): it is {state} and "
                "waiting for the paraf of {pending_title} (paraf {pending} of {count})")
STALE_VERSION = N_("cannot {action} draft {draft_id} version {tried}: it is {state} at version {version} now")
CHANGED = N_("cannot {action} draft {draft_id}: it changed meanwhile and is {state} now")
NOTE_REQUIRED = N_("cannot {action} draft {draft_id} without a note saying why")
LETTER_TAKEN = N_("cannot sign draft {draft_id} as letter {letter_id}: draft {other} is that letter already")


class LifecycleError(NaskahError):
    """A step of a letter's lifecycle was refused; the message says why, in the language of the moment (``facts``
    keep the state and action as codes)."""

    def __init__(self, template: str, **facts):
        self.template = template
        self.facts = facts
        shown = dict(facts)
        if "state" in shown:
            shown["state"] = state_label(shown["state"])
        if "action" in shown:
            shown["action"] = action_label(shown["action"])
        super().__init__(_(template).format(**shown))


class DraftNotFound(LifecycleError):
    """No draft has that id."""

    def __init__(self, draft_id: str):
        super().__init__(NOT_FOUND, draft_id=draft_id)


class IllegalTransition(LifecycleError):
    """The draft's current state (or step, or version) does not allow what was tried."""

    def __init__(self, template: str, *, draft_id: str, action: str, state: str, **facts):
        self.draft_id, self.action, self.state = draft_id, action, state
        super().__init__(template, draft_id=draft_id, action=action, state=state, **facts)
