"""Reading a host's payload: JSON text in, a dict out, or an error that says where the JSON breaks; the host's
workflow identity checked; and reading values out of JSON documents by path (a payload's callback field, a
DMS's answer).

Whatever bytes a host sends, the answer is a refusal naming the place, never a failure further on: text that
cannot be stored as UTF-8 (a lone surrogate such as ``"\\ud800"``) and integers too long to read are refused
here, before anything keeps the payload."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import PayloadError, Problem
from .i18n import _

#: A workflow payload is a few kilobytes; far larger input is refused before parsing.
MAX_PAYLOAD_BYTES = 5 * 1024 * 1024
#: The longest workflow identity (the host's process or document id): it names the letter, in the store too.
MAX_IDENTITY_CHARS = 200


def parse_payload(text: str | bytes, source: str | None = None) -> dict:
    """The payload as a dict; malformed JSON or a non-object is a PayloadError naming the place."""
    if len(text) > MAX_PAYLOAD_BYTES:
        raise PayloadError([Problem("", _("payload is {size} bytes, more than the limit of {limit}").format(
            size=len(text), limit=MAX_PAYLOAD_BYTES))], source)
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")  # the host's JSON is UTF-8; a BOM is tolerated
        payload = json.loads(text)
    except UnicodeDecodeError as exc:
        raise PayloadError([Problem("", _("payload is not UTF-8 text ({reason} at byte {position})").format(
            reason=exc.reason, position=exc.start))], source) from None
    except json.JSONDecodeError as exc:
        raise PayloadError([Problem("", _("malformed JSON at line {line} column {column}: {error}").format(
            line=exc.lineno, column=exc.colno, error=exc.msg))], source) from None
    except RecursionError:
        raise PayloadError([Problem("", _("malformed JSON: nested too deeply"))], source) from None
    except ValueError as exc:  # an integer of more digits than Python converts (4300), say
        raise PayloadError([Problem("", _("malformed JSON: {reason}").format(reason=_reason(exc)))], source) from None
    if not isinstance(payload, dict):
        raise PayloadError([Problem("", _("payload must be a JSON object, got {kind}").format(
            kind=type(payload).__name__))], source)
    problems = _unstorable_text(payload)
    if problems:
        raise PayloadError(problems, source)
    return payload


def _reason(exc: ValueError) -> str:
    text = str(exc).split(";")[0]
    return text[:200] if text.isprintable() else "a value cannot be read"


def _unstorable_text(payload: dict) -> list[Problem]:
    """Every string (key or value) that is not valid Unicode text: a lone surrogate escape (``\\ud800``)
    cannot be written as UTF-8, so no store could keep it. The walk is iterative: depth costs no stack."""
    problems: list[Problem] = []
    stack: list[tuple[str, Any]] = [("", payload)]
    while stack and len(problems) < 20:
        path, value = stack.pop()
        if isinstance(value, str):
            if not _encodable(value):
                problems.append(Problem(path, _("is not valid Unicode text (a lone surrogate escape such as \\ud800)")))
        elif isinstance(value, dict):
            for key, item in value.items():
                if not _encodable(key):
                    problems.append(Problem(path, _("has a key that is not valid Unicode text (a lone surrogate)")))
                    continue
                stack.append((f"{path}.{key}" if path else key, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{index}" if path else str(index), item) for index, item in enumerate(value))
    return sorted(problems, key=lambda problem: problem.field)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def workflow_identity(value: Any, field: str, source: str | None = None) -> str:
    """The host's workflow identity (``workflow.id`` by default) as the letter's identity: text of at most
    ``MAX_IDENTITY_CHARS`` printable characters; anything else is refused naming ``field``."""
    def refuse(message: str) -> PayloadError:
        return PayloadError([Problem(field, message)], source)

    if value is None or value == "":
        raise refuse(_("required to identify the letter, missing from the payload"))
    if not isinstance(value, str):
        kinds = {dict: _("an object"), list: _("a list"), bool: _("true or false")}
        raise refuse(_("must be text (the host's workflow id), got {kind}").format(
            kind=kinds.get(type(value), _("a number"))))
    if len(value) > MAX_IDENTITY_CHARS:
        raise refuse(_("is {length} characters long; at most {limit}").format(length=len(value),
                                                                               limit=MAX_IDENTITY_CHARS))
    if not value.isprintable():
        raise refuse(_("must be printable text, without control characters"))
    return value


def read_payload(path: str | Path) -> dict:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_PAYLOAD_BYTES:
            return parse_payload(b" " * (MAX_PAYLOAD_BYTES + 1), str(path))
        data = path.read_bytes()
    except OSError as exc:
        raise PayloadError([Problem("", _("cannot read {path}: {error}").format(path=path, error=exc.strerror))],
                           str(path)) from None
    return parse_payload(data, str(path))


def json_path(value: Any, path: str) -> Any:
    """``a.b.0.c`` into a JSON value; '' is the value itself; None when a step is missing."""
    if not path:
        return value
    for step in path.split("."):
        if isinstance(value, dict):
            value = value.get(step)
        elif isinstance(value, list) and step.lstrip("-").isdigit() and -len(value) <= int(step) < len(value):
            value = value[int(step)]
        else:
            return None
    return value
