"""The errors naskah reports to a user: each says what is wrong and, for input, which field."""
from __future__ import annotations

from dataclasses import dataclass

from .i18n import _, ngettext


class NaskahError(Exception):
    """Base of every error naskah raises on purpose; its message is meant for the user (in their language where a
    secretariat user reads it: see :mod:`naskah.i18n`)."""


class ConfigError(NaskahError):
    """The installation's configuration (settings, mapping, template, signing profile) is wrong."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a payload: the payload field it concerns and what is wrong with it, and for a rule the
    regulation and article it enforces (``citation``; its message names it too), None for the payload's shape."""

    field: str
    message: str
    citation: str | None = None

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class PayloadError(NaskahError):
    """The host's payload was refused; ``problems`` lists every problem found, not only the first."""

    def __init__(self, problems: list[Problem], source: str | None = None):
        self.problems = list(problems)
        self.source = source
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        count = len(self.problems)
        if source:
            head = ngettext("payload {source} refused, {count} problem:", "payload {source} refused, {count} problems:",
                            count)
        else:
            head = ngettext("payload refused, {count} problem:", "payload refused, {count} problems:", count)
        super().__init__(head.format(source=source, count=count) + "\n" + lines)


class ConversionError(NaskahError):
    """LibreOffice could not turn the DOCX into a PDF (failed, crashed or timed out)."""


class SigningError(NaskahError):
    """The letter could not be signed; the message never contains a secret."""


class StoreConflictError(NaskahError):
    """A letter with the same identity was already issued with different content."""


class FlowError(NaskahError):
    """A step of the signature flow was refused (a letter sealed in one call, a changed text, no number);
    ``code`` names the refusal for hosts (``text_changed``, ``number_required``, ...)."""

    def __init__(self, message: str, code: str = "flow_refused"):
        self.code = code
        super().__init__(message)


class SignedInPerson(FlowError):
    """A letter its official signs in person cannot be issued in one call with a key the server holds."""

    def __init__(self, letter_kind: str, mapping: str):
        self.letter_kind, self.mapping = letter_kind, mapping
        super().__init__(_(
            "a {letter_kind} letter (mapping {mapping}) is signed by its official in person: draft it "
            "(naskah draft / POST /api/v1/drafts) and let the official sign it with their own credential "
            "(naskah sign / POST /api/v1/drafts/ID/sign); one-call issuing is for sealed letters and the demo key"
        ).format(letter_kind=letter_kind, mapping=mapping), "signed_in_person")
