"""The validate stage: the letter's own model checks the regulation's rules before anything is rendered.

Problems are reported against the payload field the host must correct (``data.tim.anggota[2].nip``),
all of them in one error.
"""
from __future__ import annotations

from pydantic import ValidationError

from .errors import PayloadError, Problem
from .letters import LETTER_KINDS
from .letters.common import Model
from .mapping import MappedLetter

_FRIENDLIER = {
    "missing": "required, missing from the payload",
    "extra_forbidden": "not a field of this letter",
}


def validate(letter_kind: str, mapped: MappedLetter, source: str | None = None) -> Model:
    model = LETTER_KINDS[letter_kind]
    problems = [Problem(mapped.payload_field(loc), message) for loc, message in mapped.problems]
    try:
        letter = model.model_validate(mapped.fields)
    except ValidationError as exc:
        problems += [Problem(_field(mapped, error), _message(error)) for error in exc.errors()]
        raw_rules = getattr(model, "rules_on_raw_fields", None)
        if raw_rules and isinstance(mapped.fields, dict):
            problems += [Problem(mapped.payload_field(loc), message) for loc, message in raw_rules(mapped.fields)]
        raise PayloadError(_unique(problems), source) from None
    problems += [Problem(mapped.payload_field(loc), message) for loc, message in letter.rule_problems()]
    if problems:
        raise PayloadError(_unique(problems), source)
    return letter


def _field(mapped: MappedLetter, error: dict) -> str:
    loc = tuple(error["loc"])
    if error["type"] == "extra_forbidden":  # the mapping's mistake, not the payload's
        return "mapping field " + ".".join(str(part) for part in loc)
    return mapped.payload_field(loc)


def _message(error: dict) -> str:
    if error["type"] in _FRIENDLIER:
        return _FRIENDLIER[error["type"]]
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    if error["type"] not in ("value_error",) and "input" in error and not isinstance(error["input"], (dict, list)):
        shown = repr(error["input"])
        message += f" (got {shown if len(shown) <= 60 else shown[:57] + '...'})"
    return message


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))
