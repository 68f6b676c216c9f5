"""Reading a host's payload: JSON text in, a dict out, or an error that says where the JSON breaks; and reading
values out of JSON documents by path (a payload's callback field, a DMS's answer)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import PayloadError, Problem

#: A workflow payload is a few kilobytes; far larger input is refused before parsing.
MAX_PAYLOAD_BYTES = 5 * 1024 * 1024


def parse_payload(text: str | bytes, source: str | None = None) -> dict:
    """The payload as a dict; malformed JSON or a non-object is a PayloadError naming the place."""
    if len(text) > MAX_PAYLOAD_BYTES:
        raise PayloadError([Problem("", f"payload is {len(text)} bytes, more than the limit of {MAX_PAYLOAD_BYTES}")], source)
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")  # the host's JSON is UTF-8; a BOM is tolerated
        payload = json.loads(text)
    except UnicodeDecodeError as exc:
        raise PayloadError([Problem("", f"payload is not UTF-8 text ({exc.reason} at byte {exc.start})")], source) from None
    except json.JSONDecodeError as exc:
        raise PayloadError([Problem("", f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")], source) from None
    except RecursionError:
        raise PayloadError([Problem("", "malformed JSON: nested too deeply")], source) from None
    if not isinstance(payload, dict):
        raise PayloadError([Problem("", f"payload must be a JSON object, got {type(payload).__name__}")], source)
    return payload


def read_payload(path: str | Path) -> dict:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_PAYLOAD_BYTES:
            return parse_payload(b" " * (MAX_PAYLOAD_BYTES + 1), str(path))
        data = path.read_bytes()
    except OSError as exc:
        raise PayloadError([Problem("", f"cannot read {path}: {exc.strerror}")], str(path)) from None
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
