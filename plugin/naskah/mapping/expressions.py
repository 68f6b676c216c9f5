"""Mapping expressions: Jinja2 expressions compiled once in a sandbox, evaluated over untrusted payload data.

Payload values are only ever data handed to an expression, never compiled, so ``{{ }}`` inside a payload
stays literal text. A payload field that is absent evaluates to ``MISSING`` (not an error), so that
validation can report it against the payload path the host has to fill.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from jinja2 import ChainableUndefined, TemplateSyntaxError, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..errors import ConfigError
from ..formatting import FILTERS
from ..i18n import _


def parse_date(value: Any, fmt: str = "%Y-%m-%d") -> Any:
    """Filter ``parse_date('%d/%m/%Y')``: a host's date text as a date; anything else is left for validation."""
    if isinstance(value, str):
        try:
            return dt.datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            return value
    return value


def _expression_environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(undefined=ChainableUndefined, autoescape=False)
    env.filters.update(FILTERS)
    env.filters["parse_date"] = parse_date
    return env


_ENV = _expression_environment()

# An expression that starts with a plain path (``data.tim.anggota`` or ``m.nip | upper``) names
# the payload field the value comes from.
_LEADING_PATH = re.compile(r"^\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[\d+\])*)\s*(?:\||$)")


class _MISSING_TYPE:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _MISSING_TYPE()


class EvaluationProblem(Exception):
    """An expression refused by the sandbox, or failing on the data it was given; the message is a payload problem
    (in the language of the moment), ``error`` what failed."""

    def __init__(self, error: str):
        self.error = error
        super().__init__(_("cannot be computed ({error})").format(error=error))


@dataclass
class Expression:
    """One compiled mapping expression and the payload path it reads, if it is a plain path."""

    source: str
    where: str
    compiled: Any = field(repr=False)

    @classmethod
    def compile(cls, source: Any, where: str) -> "Expression":
        if not isinstance(source, str):
            raise ConfigError(f"{where}: an expression must be a string, got {type(source).__name__}")
        try:
            compiled = _ENV.compile_expression(source, undefined_to_none=False)
        except TemplateSyntaxError as exc:
            raise ConfigError(f"{where}: invalid expression {source!r}: {exc.message}") from None
        return cls(source, where, compiled)

    @property
    def payload_path(self) -> str | None:
        match = _LEADING_PATH.match(self.source)
        return match.group(1) if match else None

    def evaluate(self, variables: dict) -> Any:
        try:
            value = self.compiled(**variables)
        except Exception as exc:  # a sandbox refusal or a type error caused by payload data
            raise EvaluationProblem(f"{type(exc).__name__}: {exc}") from None
        return _plain(value)

    def evaluate_on_letter(self, letter_context: dict) -> Any:
        """For what a mapping computes from a letter that passed validation (metadata, the DMS section): a
        failure is the mapping's fault (ConfigError naming this expression), and a missing value is None."""
        try:
            value = self.evaluate(letter_context)
        except EvaluationProblem as exc:
            raise ConfigError(f"{self.where} cannot be computed ({exc.error})") from None
        return None if value is MISSING else value


def _plain(value: Any) -> Any:
    """Undefined (a missing payload field) becomes MISSING, at any depth."""
    if isinstance(value, Undefined):
        return MISSING
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def payload_variables(payload: dict) -> dict:
    """The names an expression sees: the payload's top-level keys, and the whole payload as ``payload``."""
    variables = {key: value for key, value in payload.items() if isinstance(key, str) and key.isidentifier()}
    variables["payload"] = payload
    return variables
