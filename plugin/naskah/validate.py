"""The validate stage: the letter's own model checks the regulation's rules before anything is rendered.

Problems are reported against the payload field the host must correct (``data.tim.anggota[2].nip``),
all of them in one error; a rule's problem names the regulation and article it enforces, in its message and as
its ``citation`` (naskah.letters.citations).
"""
from __future__ import annotations

from pydantic import ValidationError

from .errors import PayloadError, Problem
from .i18n import _, ngettext, pgettext
from .letters import LETTER_KINDS
from .letters.citations import citation_of
from .letters.common import Model
from .mapping import MappedLetter


#: pydantic's errors said in the language of the moment, by type: after the first two (in friendlier words of
#: ours), pydantic's own English words are the msgids, so an English message is exactly pydantic's. A type not
#: listed keeps pydantic's text.
_PYDANTIC = {
    "missing": lambda ctx: _("required, missing from the payload"),
    "extra_forbidden": lambda ctx: _("not a field of this letter"),
    "string_type": lambda ctx: _("Input should be a valid string"),
    "string_too_short": lambda ctx: ngettext("String should have at least {min_length} character",
                                             "String should have at least {min_length} characters", ctx["min_length"]),
    "string_too_long": lambda ctx: ngettext("String should have at most {max_length} character",
                                            "String should have at most {max_length} characters", ctx["max_length"]),
    "string_pattern_mismatch": lambda ctx: _("String should match pattern '{pattern}'"),
    "literal_error": lambda ctx: _("Input should be {expected}"),
    "date_type": lambda ctx: _("Input should be a valid date"),
    "date_parsing": lambda ctx: _("Input should be a valid date in the format YYYY-MM-DD, {error}"),
    "date_from_datetime_parsing": lambda ctx: _("Input should be a valid date or datetime, {error}"),
    "date_from_datetime_inexact": lambda ctx: _("Datetimes provided to dates should have zero time - e.g. be exact "
                                                "dates"),
    "int_type": lambda ctx: _("Input should be a valid integer"),
    "int_parsing": lambda ctx: _("Input should be a valid integer, unable to parse string as an integer"),
    "int_from_float": lambda ctx: _("Input should be a valid integer, got a number with a fractional part"),
    "greater_than_equal": lambda ctx: _("Input should be greater than or equal to {ge}"),
    "less_than_equal": lambda ctx: _("Input should be less than or equal to {le}"),
    "list_type": lambda ctx: _("Input should be a valid list"),
    "too_short": lambda ctx: ngettext(
        "{field_type} should have at least {min_length} item after validation, not {actual_length}",
        "{field_type} should have at least {min_length} items after validation, not {actual_length}",
        ctx["min_length"]),
    "too_long": lambda ctx: ngettext(
        "{field_type} should have at most {max_length} item after validation, not {actual_length}",
        "{field_type} should have at most {max_length} items after validation, not {actual_length}",
        ctx["max_length"]),
    "dict_type": lambda ctx: _("Input should be a valid dictionary"),
    "model_type": lambda ctx: _("Input should be a valid dictionary or instance of {class_name}"),
    "model_attributes_type": lambda ctx: _("Input should be a valid dictionary or object to extract fields from"),
    "bool_type": lambda ctx: _("Input should be a valid boolean"),
    "bool_parsing": lambda ctx: _("Input should be a valid boolean, unable to interpret input"),
}


def _pydantic_text(error: dict) -> str | None:
    """pydantic's message for ``error`` in the language of the moment (None for a type :data:`_PYDANTIC` lacks)."""
    template = _PYDANTIC.get(error["type"])
    if template is None:
        return None
    ctx = {name: str(value) for name, value in (error.get("ctx") or {}).items()}
    if "expected" in ctx:
        ctx["expected"] = _either(ctx["expected"])
    return template(error.get("ctx") or {}).format(**ctx)


def _either(expected: str) -> str:
    """pydantic's "'ketua' or 'anggota'" with its "or" in the language of the moment."""
    head, sep, last = expected.rpartition(" or ")
    word = pgettext("choice", "or")
    return f"{head} {word} {last}" if sep else expected


def validate(letter_kind: str, mapped: MappedLetter, source: str | None = None) -> Model:
    model = LETTER_KINDS[letter_kind]
    problems = [Problem(mapped.payload_field(loc), message) for loc, message in mapped.problems]
    try:
        letter = model.model_validate(mapped.fields)
    except ValidationError as exc:
        problems += [_problem(_field(mapped, error), _message(error), _citation(model, error))
                     for error in exc.errors()]
        raw_rules = getattr(model, "rules_on_raw_fields", None)
        if raw_rules and isinstance(mapped.fields, dict):
            problems += [_problem(mapped.payload_field(loc), message) for loc, message in raw_rules(mapped.fields)]
        raise PayloadError(_unique(problems), source) from None
    problems += [_problem(mapped.payload_field(loc), message) for loc, message in letter.rule_problems()]
    if problems:
        raise PayloadError(_unique(problems), source)
    return letter


def _problem(field: str, message: str, citation: str | None = None) -> Problem:
    """The problem, its message ending with the article its rule enforces (unless it names it already)."""
    citation = citation or citation_of(message)
    text = str(message)
    if citation and citation not in text:
        text = _("{message} [{citation}]").format(message=text, citation=citation)
    return Problem(field, text, citation)


#: the pydantic errors that say a field is absent or empty: a letter's ``FIELD_CITATIONS`` cite its rule for them
_ABSENT = ("missing", "too_short", "string_too_short")


def _citation(model, error: dict) -> str | None:
    """The article a pydantic error enforces: a rule's own (naskah.letters.citations.RuleError), or the one the
    letter cites for an absent or empty field it requires (``FIELD_CITATIONS``), else None (the payload's shape)."""
    cited = citation_of((error.get("ctx") or {}).get("error"))
    if cited:
        return cited
    loc = tuple(error["loc"])
    if error["type"] in _ABSENT and loc:
        return getattr(model, "FIELD_CITATIONS", {}).get(loc[0])
    return None


def _field(mapped: MappedLetter, error: dict) -> str:
    loc = tuple(error["loc"])
    if error["type"] == "extra_forbidden":  # the mapping's mistake, not the payload's
        return "mapping field " + ".".join(str(part) for part in loc)
    return mapped.payload_field(loc)


def _message(error: dict) -> str:
    if error["type"] in ("missing", "extra_forbidden"):
        return _pydantic_text(error)
    message = _pydantic_text(error) or error["msg"]
    if message.startswith("Value error, "):  # a rule of ours: its message is said in the language already
        message = message[len("Value error, "):]
    if error["type"] not in ("value_error",) and "input" in error and not isinstance(error["input"], (dict, list)):
        shown = repr(error["input"])
        message = _("{message} (got {value})").format(message=message,
                                                      value=shown if len(shown) <= 60 else shown[:57] + "...")
    return message


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))
