"""Bounds on checking a PDF that anyone may upload, so that one crafted file cannot cost seconds of CPU: how many
signature fields and objects it may have (counted before any signature is checked) and how long its check may
take (looked at between steps: each step is small once the counts are bounded). pyHanko's log about such a file,
thousands of lines for a crafted one, is summed up in one line per file.

``naskah verify`` checks the operator's own files without bounds; the service bounds every upload.
"""
from __future__ import annotations

import itertools
import logging
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

from ..errors import NaskahError

log = logging.getLogger("naskah.verify")

_SIZE = re.compile(rb"/Size[\x00\t\n\x0c\r ]+(\d{1,12})")
_WHITESPACE = (b"\x00", b"\t", b"\n", b"\x0c", b"\r", b" ")


@dataclass(frozen=True)
class VerificationLimits:
    """At most ``max_signatures`` signature fields (signatures and document timestamps), ``max_objects`` objects
    over all revisions, and ``seconds`` of checking for one file."""

    max_signatures: int = 10
    max_objects: int = 10000
    seconds: float = 10.0


class VerificationRefused(NaskahError):
    """The file is beyond the limits: it was not checked, or its check was stopped."""


class _Budget:
    def __init__(self, limits: VerificationLimits):
        self.limits = limits
        self.deadline = time.monotonic() + limits.seconds
        self.records = 0
        self.first: str | None = None


_current = threading.local()


def rough_check(pdf: bytes, limits: VerificationLimits) -> None:
    """Refuse a file that plainly has too many objects, before its cross-reference table is read (which takes
    time in proportion): the object headers in its body and the largest ``/Size`` it declares."""
    headers = sum(pdf.count(space + b"obj") for space in _WHITESPACE)
    declared = max((int(size) for size in _SIZE.findall(pdf)), default=0)
    if max(headers, declared) > limits.max_objects:
        raise VerificationRefused(f"the PDF has more than {limits.max_objects} objects; it is not checked")


def count_check(reader, limits: VerificationLimits) -> None:
    """Refuse a file with more signature fields or objects than ``limits`` allow (``reader``: pyHanko's)."""
    from pyhanko.sign.fields import enumerate_sig_fields

    xrefs = reader.xrefs
    objects = sum(len(xrefs.explicit_refs_in_revision(revision)) for revision in range(xrefs.total_revisions))
    if objects > limits.max_objects:
        raise VerificationRefused(f"the PDF has {objects} objects, more than {limits.max_objects}; "
                                  "it is not checked")
    fields = itertools.islice(enumerate_sig_fields(reader, filled_status=True), limits.max_signatures + 1)
    if sum(1 for _ in fields) > limits.max_signatures:
        raise VerificationRefused(f"the PDF has more than {limits.max_signatures} signature fields; "
                                  "it is not checked")


def checkpoint() -> None:
    """Between two steps of a check: stop when the file's time is up (nothing, outside a bounded check)."""
    budget = getattr(_current, "budget", None)
    if budget is not None and time.monotonic() > budget.deadline:
        raise VerificationRefused(f"checking the PDF took longer than {budget.limits.seconds:g} s; it was stopped")


@contextmanager
def bounded(limits: VerificationLimits | None, what: str = "an uploaded PDF"):
    """Check ``what`` in this thread within ``limits`` (None: no bounds, pyHanko's log as it is); what pyHanko
    logged meanwhile, and a refusal, make one log line."""
    if limits is None:
        yield
        return
    _install_gate()
    budget = _Budget(limits)
    _current.budget = budget
    started = time.monotonic()
    refused = None
    try:
        yield
    except VerificationRefused as exc:
        refused = exc
        raise
    finally:
        _current.budget = None
        said = [f"refused after {time.monotonic() - started:.2f} s: {refused}"] if refused else []
        if budget.records:
            said.append(f"pyHanko reported {budget.records} problem{'s' * (budget.records != 1)} "
                        f"(the first: {budget.first!r})")
        if said:
            log.warning("checking %s: %s", what, "; ".join(said))


class _Gate(logging.Filter):
    """On each of pyHanko's loggers: a record logged while this thread makes a bounded check is counted instead
    of logged; any other passes as before."""

    def filter(self, record: logging.LogRecord) -> bool:
        budget = getattr(_current, "budget", None)
        if budget is None:
            return True
        if budget.first is None:
            try:
                budget.first = (record.getMessage().splitlines() or [record.levelname])[0][:200]
            except Exception:  # noqa: BLE001 - a record whose arguments do not fit its message
                budget.first = str(record.msg)[:200]
        budget.records += 1
        return False


#: the loggers of pyHanko and its certificate validator, each module's own (a filter is not inherited)
_LOGGERS = ("pyhanko", "pyhanko_certvalidator")
_GATE = _Gate()
_gate_lock = threading.Lock()
_loggers_seen = 0


def _install_gate() -> None:
    """The gate on every logger of pyHanko made so far (looked for again when loggers were added)."""
    global _loggers_seen
    import pyhanko.sign.diff_analysis  # noqa: F401 - their loggers exist before the first check logs
    import pyhanko.sign.validation  # noqa: F401

    loggers = logging.Logger.manager.loggerDict
    with _gate_lock:
        if len(loggers) == _loggers_seen:
            return
        for name, logger in list(loggers.items()):
            if isinstance(logger, logging.Logger) and name.split(".")[0] in _LOGGERS and _GATE not in logger.filters:
                logger.addFilter(_GATE)
        _loggers_seen = len(loggers)
