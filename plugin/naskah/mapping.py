"""The map stage: a mapping file turns a host's payload into the letter's fields.

A mapping (``mappings/NAME.yaml``) is trusted configuration written by the IT team; the payload is
untrusted. Mapping expressions are Jinja2 expressions compiled in a sandbox; payload values are only
ever data handed to them, never compiled, so ``{{ }}`` inside a payload stays literal text.

Each field of the letter remembers the payload path it came from (its provenance), so that a rule
broken by the letter is reported against the payload field the host has to correct.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jinja2 import ChainableUndefined, TemplateSyntaxError, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigError
from .formatting import FILTERS
from .letters import LETTER_KINDS


def _parse_date(value: Any, fmt: str = "%Y-%m-%d") -> Any:
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
    env.filters["parse_date"] = _parse_date
    return env


_ENV = _expression_environment()

# An expression that starts with a plain path (``data.tim.anggota`` or ``m.nip | upper``) names
# the payload field the value comes from.
_LEADING_PATH = re.compile(r"^\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[\d+\])*)\s*(?:\||$)")


class _MISSING_TYPE:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _MISSING_TYPE()


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
            raise _EvaluationProblem(f"cannot be computed ({type(exc).__name__}: {exc})") from None
        return _plain(value)


class _EvaluationProblem(Exception):
    pass


def _plain(value: Any) -> Any:
    """Undefined (a missing payload field) becomes MISSING, at any depth."""
    if isinstance(value, Undefined):
        return MISSING
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


@dataclass
class ForEach:
    """A list built item by item: ``{for_each: data.members, as: m, item: {...}}``."""

    items: Expression
    name: str
    item: Any  # a spec: Expression, dict of specs, ForEach


def _compile_spec(spec: Any, where: str) -> Any:
    if isinstance(spec, dict) and "for_each" in spec:
        unknown = set(spec) - {"for_each", "as", "item"}
        if unknown or "item" not in spec:
            raise ConfigError(f"{where}: for_each takes 'for_each', 'as' and 'item' (got {sorted(spec)})")
        name = spec.get("as", "item")
        if not isinstance(name, str) or not name.isidentifier():
            raise ConfigError(f"{where}.as: must be a plain name, got {name!r}")
        return ForEach(Expression.compile(spec["for_each"], f"{where}.for_each"), name,
                       _compile_spec(spec["item"], f"{where}.item"))
    if isinstance(spec, dict):
        return {key: _compile_spec(value, f"{where}.{key}") for key, value in spec.items()}
    if isinstance(spec, list):
        return [_compile_spec(value, f"{where}[{index}]") for index, value in enumerate(spec)]
    return Expression.compile(spec, where)


@dataclass
class MappedLetter:
    """The letter's fields as the mapping built them, with where each came from in the payload."""

    fields: dict
    provenance: dict[tuple, str | None]  # None: computed by an expression, not read from one field
    problems: list[tuple[tuple, str]]

    def payload_field(self, loc: tuple) -> str:
        """The payload path for a field of the letter, or the letter field itself when it is computed."""
        for cut in range(len(loc), 0, -1):
            prefix = tuple(loc[:cut])
            if prefix in self.provenance:
                source = self.provenance[prefix]
                if source is None:
                    break
                return source + _format_loc(loc[cut:])
        return "(letter) " + _format_loc(loc).lstrip(".")


def _format_loc(loc: tuple) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)


class _Evaluation:
    def __init__(self):
        self.provenance: dict[tuple, str | None] = {}
        self.problems: list[tuple[tuple, str]] = []

    def run(self, spec: Any, variables: dict, loc: tuple, aliases: dict[str, str]) -> Any:
        if isinstance(spec, ForEach):
            return self._run_for_each(spec, variables, loc, aliases)
        if isinstance(spec, dict):
            built = {}
            for key, sub in spec.items():
                value = self.run(sub, variables, loc + (key,), aliases)
                if value is not MISSING:
                    built[key] = value
            if loc:
                self._remember_common_source(loc, [loc + (key,) for key in spec])
            # A group whose every field is absent (an optional part the payload leaves out) is absent.
            return built if built or not loc else MISSING
        if isinstance(spec, list):
            return [self.run(sub, variables, loc + (index,), aliases) for index, sub in enumerate(spec)]
        self._remember(spec, loc, aliases)
        try:
            return spec.evaluate(variables)
        except _EvaluationProblem as exc:
            self.problems.append((loc, str(exc)))
            return MISSING

    def _remember(self, expression: Expression, loc: tuple, aliases: dict[str, str]) -> None:
        path = expression.payload_path
        if not path:
            self.provenance[loc] = None
            return
        head, _, rest = path.partition(".")
        head_name = re.match(r"\w+", head).group(0)
        if head_name in aliases:
            path = aliases[head_name] + head[len(head_name):] + ("." + rest if rest else "")
        self.provenance[loc] = path

    def _remember_common_source(self, loc: tuple, children: list[tuple]) -> None:
        """A group of fields read from one payload object comes from that object (for "required" errors)."""
        sources = [self.provenance.get(child) for child in children]
        if loc in self.provenance or not sources or not all(sources):
            return
        parents = {source.rsplit(".", 1)[0] for source in sources if "." in source}
        if len(parents) == 1 and len(sources) > 1:
            self.provenance[loc] = parents.pop()

    def _run_for_each(self, spec: ForEach, variables: dict, loc: tuple, aliases: dict[str, str]) -> Any:
        self._remember(spec.items, loc, aliases)
        try:
            items = spec.items.evaluate(variables)
        except _EvaluationProblem as exc:
            self.problems.append((loc, str(exc)))
            return MISSING
        if items is MISSING or not isinstance(items, list):
            return items  # validation reports a missing or non-list value against the payload path
        source = self.provenance.get(loc)
        built = []
        for index, item in enumerate(items):
            inner_aliases = dict(aliases)
            if source:
                inner_aliases[spec.name] = f"{source}[{index}]"
            built.append(self.run(spec.item, {**variables, spec.name: item}, loc + (index,), inner_aliases))
        return built


class _DmsSection(BaseModel):
    """How a letter goes into the host's DMS (``dms:`` in a mapping file); see naskah.deliver."""

    model_config = ConfigDict(extra="forbid")

    document_type: str | None = None         # the DMS's document type, as named there (plain text)
    label: str | None = None                 # expression; default: the letter's metadata label
    description: str | None = None           # expression
    metadata: dict[str, str] = Field(default_factory=dict)  # DMS metadata name -> expression
    tags: list[str] = Field(default_factory=list)           # tag names, as named in the DMS (plain text)
    cabinet: str | None = None               # cabinet or folder, as named in the DMS (plain text)


class _MappingFile(BaseModel):
    """The schema of a mapping file."""

    model_config = ConfigDict(extra="forbid")

    description: str = ""
    letter: str
    template: str
    match: str | None = None
    identity: str = "workflow.id"
    signing_profile: str = "default"
    examples: list[str] = Field(default_factory=list)
    context: dict[str, Any]
    metadata: dict[str, str] = Field(default_factory=dict)
    dms: _DmsSection | None = None


@dataclass
class Mapping:
    """A loaded, compiled mapping."""

    name: str
    path: Path
    description: str
    letter: str
    template: str
    signing_profile: str
    examples: list[Path]
    match: Expression | None
    identity: Expression
    context: dict
    metadata: dict[str, Expression]
    dms: dict | None = None  # the compiled ``dms:`` section: expressions for label, description, metadata

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
        return cls(
            name=path.stem,
            path=path,
            description=spec.description,
            letter=spec.letter,
            template=spec.template,
            signing_profile=spec.signing_profile,
            examples=[path.parent / example for example in spec.examples],
            match=Expression.compile(spec.match, f"{where}: match") if spec.match else None,
            identity=Expression.compile(spec.identity, f"{where}: identity"),
            context=_compile_spec(spec.context, f"{where}: context"),
            metadata={key: Expression.compile(value, f"{where}: metadata.{key}")
                      for key, value in spec.metadata.items()},
            dms=_compile_dms(spec.dms, where) if spec.dms else None,
        )

    def matches(self, payload: dict) -> bool:
        if self.match is None:
            return False
        try:
            return bool(self.match.evaluate(_variables(payload)) not in (MISSING, None, False))
        except _EvaluationProblem:
            return False

    def apply(self, payload: dict) -> MappedLetter:
        evaluation = _Evaluation()
        fields = evaluation.run(self.context, _variables(payload), (), {})
        return MappedLetter(fields, evaluation.provenance, evaluation.problems)

    def identity_of(self, payload: dict) -> str | None:
        try:
            value = self.identity.evaluate(_variables(payload))
        except _EvaluationProblem:
            return None
        return None if value in (MISSING, None, "") else str(value)

    def metadata_for(self, letter_context: dict) -> dict[str, Any]:
        """DMS metadata, computed from the validated letter (not from the raw payload)."""
        result = {}
        for key, expression in self.metadata.items():
            try:
                value = expression.evaluate(letter_context)
            except _EvaluationProblem as exc:
                raise ConfigError(f"{self.path}: metadata.{key} {exc}") from None
            result[key] = None if value is MISSING else value
        return result


def _compile_dms(spec: _DmsSection, where: str) -> dict:
    def compile_optional(source: str | None, name: str) -> Expression | None:
        return Expression.compile(source, f"{where}: dms.{name}") if source else None

    return {
        "document_type": spec.document_type, "tags": list(spec.tags), "cabinet": spec.cabinet,
        "label": compile_optional(spec.label, "label"),
        "description": compile_optional(spec.description, "description"),
        "metadata": {key: Expression.compile(value, f"{where}: dms.metadata.{key}")
                     for key, value in spec.metadata.items()},
    }


def dms_fields(mapping: Mapping, variables: dict) -> dict:
    """The ``dms:`` section evaluated over the validated letter's fields (plus ``letter_id``, ``workflow_id``,
    ``letter_kind`` and ``metadata``): document type, label, description, metadata, tags, cabinet."""
    spec = mapping.dms or {"document_type": None, "tags": [], "cabinet": None, "label": None,
                           "description": None, "metadata": {}}

    def evaluate(expression: Expression | None, name: str) -> Any:
        if expression is None:
            return None
        try:
            value = expression.evaluate(variables)
        except _EvaluationProblem as exc:
            raise ConfigError(f"{mapping.path}: dms.{name} {exc}") from None
        return None if value is MISSING else value

    return {
        "document_type": spec["document_type"], "tags": spec["tags"], "cabinet": spec["cabinet"],
        "label": evaluate(spec["label"], "label"), "description": evaluate(spec["description"], "description"),
        "metadata": {key: evaluate(expression, f"metadata.{key}") for key, expression in spec["metadata"].items()},
    }


def _variables(payload: dict) -> dict:
    """The names an expression sees: the payload's top-level keys, and the whole payload as ``payload``."""
    variables = {key: value for key, value in payload.items() if isinstance(key, str) and key.isidentifier()}
    variables["payload"] = payload
    return variables


def load_mappings(directory: Path) -> dict[str, Mapping]:
    """Every ``*.yaml`` in the mappings folder, by name (the file name without .yaml)."""
    if not directory.is_dir():
        raise ConfigError(f"mappings folder {directory} does not exist")
    return {path.stem: Mapping.load(path) for path in sorted(directory.glob("*.yaml"))}
