"""Secrets: configured only as the *name* of an environment variable, read from the environment when needed.

A secret never goes into a configuration file, a mapping or a signing profile, so that none ends up in a
repository, a log or an error message. This module is the one place that knows what such a name looks like
and how a secret is read.
"""
from __future__ import annotations

import os
import re
from typing import Annotated

from pydantic import AfterValidator

from .errors import NaskahError

#: What an environment variable's name looks like; usable as ``Field(pattern=ENV_NAME)``.
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_ENV_NAME = re.compile(ENV_NAME)


def env_name(value: str | None) -> str | None:
    """A pydantic validator: ``value`` must be a variable's name (None passes), never the secret itself."""
    if value is not None and not _ENV_NAME.match(value):
        raise ValueError("must be the name of an environment variable (the secret itself never goes in a file)")
    return value


#: A field holding the name of an environment variable, e.g. ``token_env: EnvName``.
EnvName = Annotated[str, AfterValidator(env_name)]


def read_secret(variable: str | None, what: str, error: type[Exception] = NaskahError, *, where: str = "",
                allow_empty: bool = False) -> str:
    """The secret in ``variable``; raises ``error`` naming the variable (never a value) when it is unset or
    empty. ``what`` says what the secret is ("token"), ``where`` who needs it (prefixed to the message)."""
    value = os.environ.get(variable) if variable else None
    if value is None or (not value and not allow_empty):
        prefix = f"{where}: " if where else ""
        raise error(f"{prefix}the {what} is not set: put it in the environment variable {variable}")
    return value


def secret_values(*variables: str | None) -> list[str]:
    """The current values of the named variables (unset ones left out), to blank them from messages."""
    return [value for name in variables if name and (value := os.environ.get(name))]
