"""The ``dms:`` section of a mapping: how a letter goes into the host's DMS (delivered by naskah.deliver).

Three shapes of one section: ``DmsSectionFile`` is what the mapping file may say, ``DmsSection`` is it
compiled (the names the DMS knows, and the expressions), ``DmsFields`` is it computed for one letter.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .expressions import Expression


class DmsSectionFile(BaseModel):
    """The schema of ``dms:`` in a mapping file."""

    model_config = ConfigDict(extra="forbid")

    document_type: str | None = None         # the DMS's document type, as named there (plain text)
    label: str | None = None                 # expression; default: the letter's metadata label
    description: str | None = None           # expression
    metadata: dict[str, str] = Field(default_factory=dict)  # DMS metadata name -> expression
    tags: list[str] = Field(default_factory=list)           # tag names, as named in the DMS (plain text)
    cabinet: str | None = None               # cabinet or folder, as named in the DMS (plain text)


@dataclass(frozen=True)
class DmsFields:
    """The ``dms:`` section computed for one letter: what the DMS document will be given."""

    document_type: str | None = None
    label: Any = None        # None: the DMS document takes the letter's own label
    description: Any = None
    metadata: dict[str, Any] = field(default_factory=dict)  # DMS metadata name -> value (None: not computed)
    tags: tuple[str, ...] = ()
    cabinet: str | None = None


@dataclass(frozen=True)
class DmsSection:
    """The compiled ``dms:`` section (an empty one for a mapping without it)."""

    document_type: str | None = None
    tags: tuple[str, ...] = ()
    cabinet: str | None = None
    label: Expression | None = None
    description: Expression | None = None
    metadata: dict[str, Expression] = field(default_factory=dict)  # DMS metadata name -> expression

    @classmethod
    def compile(cls, spec: DmsSectionFile, where: str) -> "DmsSection":
        def optional(source: str | None, name: str) -> Expression | None:
            return Expression.compile(source, f"{where}: dms.{name}") if source else None

        return cls(
            document_type=spec.document_type, tags=tuple(spec.tags), cabinet=spec.cabinet,
            label=optional(spec.label, "label"), description=optional(spec.description, "description"),
            metadata={key: Expression.compile(value, f"{where}: dms.metadata.{key}")
                      for key, value in spec.metadata.items()},
        )

    def fields_for(self, letter_context: dict) -> DmsFields:
        """Computed over the validated letter's fields (plus what the pipeline adds: ``letter_id``,
        ``workflow_id``, ``letter_kind``, ``metadata``); ConfigError when an expression fails."""
        def value(expression: Expression | None) -> Any:
            return None if expression is None else expression.evaluate_on_letter(letter_context)

        return DmsFields(
            document_type=self.document_type, tags=self.tags, cabinet=self.cabinet,
            label=value(self.label), description=value(self.description),
            metadata={key: value(expression) for key, expression in self.metadata.items()},
        )
