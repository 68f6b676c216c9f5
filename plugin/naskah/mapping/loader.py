"""Loading a mapping file (``mappings/NAME.yaml``): its schema checked and its expressions compiled once.

A mapping is trusted configuration written by the IT team; the payload it is applied to is not.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ConfigError
from ..letters import LETTER_KINDS
from ..letters.peraturan import DEFAULT as DEFAULT_PERATURAN, REGULATIONS
from ..lifecycle import FlowSpec
from ..numbering import Numbering
from .dms import DmsFields, DmsSection, DmsSectionFile
from .evaluation import MappedLetter, compile_spec, map_fields
from .expressions import MISSING, EvaluationProblem, Expression, payload_variables


class _MappingFile(BaseModel):
    """The schema of a mapping file."""

    model_config = ConfigDict(extra="forbid")

    description: str = ""
    #: the regulation the letters follow (naskah.letters.peraturan): it selects the template set and the rules
    peraturan: str = DEFAULT_PERATURAN
    letter: str
    template: str
    match: str | None = None
    identity: str = "workflow.id"
    signing_profile: str = "default"
    examples: list[str] = Field(default_factory=list)
    context: dict[str, Any]
    metadata: dict[str, str] = Field(default_factory=dict)
    dms: DmsSectionFile | None = None
    flow: FlowSpec = Field(default_factory=lambda: FlowSpec(kind="seal"))
    numbering: "_NumberingFile | None" = None


class _NumberingFile(Numbering):
    """``numbering:`` in a mapping: the register's format and key, and the payload fields they use."""

    fields: dict[str, str] = Field(default_factory=dict, description="field name -> expression over the payload")


_MappingFile.model_rebuild()


@dataclass(frozen=True)
class MappedNumbering:
    """The compiled ``numbering:`` section: the register's format, and how to read its fields from a payload."""

    numbering: Numbering
    fields: dict[str, Expression]

    def fields_for(self, payload: dict) -> dict[str, Any]:
        variables = payload_variables(payload)
        values = {}
        for name, expression in self.fields.items():
            try:
                value = expression.evaluate(variables)
            except EvaluationProblem:
                value = MISSING
            values[name] = None if value is MISSING else value
        return values


@dataclass
class Mapping:
    """A loaded, compiled mapping."""

    name: str
    path: Path
    description: str
    letter: str
    template: str  # under the templates folder, in the regulation's template set ("tangerang/surat_perintah.docx")
    signing_profile: str
    examples: list[Path]
    match: Expression | None
    identity: Expression
    context: dict
    metadata: dict[str, Expression]
    dms: DmsSection | None = None  # the compiled ``dms:`` section, None when the mapping has none
    # how the letter comes to its signature: paraf steps and the signer, or ``seal`` (the default)
    flow: FlowSpec = FlowSpec(kind="seal")
    numbering: MappedNumbering | None = None  # the numbering register's format, None: the host numbers
    people: dict[str, Expression] = field(default_factory=dict)  # the flow's ``person`` expressions, compiled
    peraturan: str = DEFAULT_PERATURAN  # the regulation its letters follow (naskah.letters.peraturan)

    def person_of(self, expression: str | None, payload: dict) -> str | None:
        """The name a flow step's ``person`` expression gives for ``payload`` (None when it gives none)."""
        if expression not in self.people:
            return None
        try:
            value = self.people[expression].evaluate(payload_variables(payload))
        except EvaluationProblem:
            return None
        return None if value in (MISSING, None, "") else str(value)

    @classmethod
    def load(cls, path: Path) -> "Mapping":
        where = str(path)
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read mapping {where}: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"mapping {where} is not valid YAML: {exc}") from None
        try:
            spec = _MappingFile.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ConfigError(f"mapping {where}: {problems}") from None
        if spec.letter not in LETTER_KINDS:
            raise ConfigError(f"mapping {where}: unknown letter kind {spec.letter!r}; known: {sorted(LETTER_KINDS)}")
        _check_regulation(spec, where)
        return cls(
            name=path.stem,
            path=path,
            description=spec.description,
            letter=spec.letter,
            template=REGULATIONS[spec.peraturan].template(spec.template),
            peraturan=spec.peraturan,
            signing_profile=spec.signing_profile,
            examples=[path.parent / example for example in spec.examples],
            match=Expression.compile(spec.match, f"{where}: match") if spec.match else None,
            identity=Expression.compile(spec.identity, f"{where}: identity"),
            context=compile_spec(spec.context, f"{where}: context"),
            metadata={key: Expression.compile(value, f"{where}: metadata.{key}")
                      for key, value in spec.metadata.items()},
            dms=DmsSection.compile(spec.dms, where) if spec.dms else None,
            flow=spec.flow,
            people={person: Expression.compile(person, f"{where}: flow")
                    for person in spec.flow.people()},
            numbering=MappedNumbering(
                Numbering(format=spec.numbering.format, key=spec.numbering.key),
                {name: Expression.compile(source, f"{where}: numbering.fields.{name}")
                 for name, source in spec.numbering.fields.items()}) if spec.numbering else None,
        )

    def matches(self, payload: dict) -> bool:
        if self.match is None:
            return False
        try:
            return bool(self.match.evaluate(payload_variables(payload)) not in (MISSING, None, False))
        except EvaluationProblem:
            return False

    def apply(self, payload: dict) -> MappedLetter:
        """The letter's fields from ``payload``, and the regulation it follows (the mapping's, never the payload's)."""
        mapped = map_fields(self.context, payload_variables(payload))
        if isinstance(mapped.fields, dict):
            mapped.fields["peraturan"] = self.peraturan
            mapped.provenance[("peraturan",)] = None
        return mapped

    def identity_of(self, payload: dict) -> Any:
        """The value of the identity expression as the payload gives it (None when missing); the pipeline
        checks that it is text fit to name a letter (``naskah.payload.workflow_identity``)."""
        try:
            value = self.identity.evaluate(payload_variables(payload))
        except EvaluationProblem:
            return None
        return None if value is MISSING else value

    def metadata_for(self, letter_context: dict) -> dict[str, Any]:
        """DMS metadata, computed from the validated letter (not from the raw payload)."""
        return {key: expression.evaluate_on_letter(letter_context) for key, expression in self.metadata.items()}


def _check_regulation(spec: _MappingFile, where: str) -> None:
    """The regulation is one naskah knows and provides the letter kind; it is the mapping's alone."""
    regulation = REGULATIONS.get(spec.peraturan)
    if regulation is None:
        raise ConfigError(f"mapping {where}: peraturan: unknown regulation {spec.peraturan!r}; known: "
                          f"{sorted(REGULATIONS)}")
    if not regulation.provides(spec.letter):
        kinds = sorted(regulation.jenis or ())
        raise ConfigError(f"mapping {where}: {regulation.nama} provides no letter of kind {spec.letter!r} "
                          f"(naskah.letters.peraturan); its kinds: {kinds}")
    if "peraturan" in spec.context:
        raise ConfigError(f"mapping {where}: context.peraturan: the regulation is the mapping's own top-level "
                          f"'peraturan: {spec.peraturan}', not a field built from the payload")
    if Path(spec.template).name != spec.template or spec.template in ("", ".", ".."):
        raise ConfigError(f"mapping {where}: template: a file name in the regulation's template set "
                          f"(templates/{regulation.template_set or ''}), not a path: {spec.template!r}")


def dms_fields(mapping: Mapping, variables: dict) -> DmsFields:
    """The mapping's ``dms:`` section computed over the validated letter's fields (plus ``letter_id``,
    ``workflow_id``, ``letter_kind`` and ``metadata``); every field empty for a mapping without one."""
    return (mapping.dms or DmsSection()).fields_for(variables)


def load_mappings(directory: Path) -> dict[str, Mapping]:
    """Every ``*.yaml`` in the mappings folder, by name (the file name without .yaml)."""
    if not directory.is_dir():
        raise ConfigError(f"mappings folder {directory} does not exist")
    return {path.stem: Mapping.load(path) for path in sorted(directory.glob("*.yaml"))}
