"""Building a letter's fields from a payload with a mapping's compiled ``context:`` section.

Each field remembers the payload path it came from (its provenance), so that a rule broken by the
letter is reported against the payload field the host has to correct.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from .expressions import MISSING, EvaluationProblem, Expression


@dataclass
class ForEach:
    """A list built item by item: ``{for_each: data.members, as: m, item: {...}}``."""

    items: Expression
    name: str
    item: Any  # a spec: Expression, dict of specs, ForEach


def compile_spec(spec: Any, where: str) -> Any:
    """The ``context:`` section with every expression compiled (dicts and lists kept, ``for_each`` a ForEach)."""
    if isinstance(spec, dict) and "for_each" in spec:
        unknown = set(spec) - {"for_each", "as", "item"}
        if unknown or "item" not in spec:
            raise ConfigError(f"{where}: for_each takes 'for_each', 'as' and 'item' (got {sorted(spec)})")
        name = spec.get("as", "item")
        if not isinstance(name, str) or not name.isidentifier():
            raise ConfigError(f"{where}.as: must be a plain name, got {name!r}")
        return ForEach(Expression.compile(spec["for_each"], f"{where}.for_each"), name,
                       compile_spec(spec["item"], f"{where}.item"))
    if isinstance(spec, dict):
        return {key: compile_spec(value, f"{where}.{key}") for key, value in spec.items()}
    if isinstance(spec, list):
        return [compile_spec(value, f"{where}[{index}]") for index, value in enumerate(spec)]
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

    def set(self, loc: tuple[str, ...], value: Any) -> None:
        """Give a field a value that does not come from the payload (the number and date fixed at signing)."""
        fields = self.fields
        for part in loc[:-1]:
            fields = fields.setdefault(part, {})
            if not isinstance(fields, dict):  # the payload gave a non-object here: validation says so
                return
        fields[loc[-1]] = value
        self.problems[:] = [(where, message) for where, message in self.problems if tuple(where[:len(loc)]) != loc]


def _format_loc(loc: tuple) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)


def map_fields(spec: Any, variables: dict) -> MappedLetter:
    """The fields a compiled spec builds over the payload's variables; a field that cannot be computed is
    left out and named in ``problems``, so validation reports it with the others."""
    evaluation = _Evaluation()
    fields = evaluation.run(spec, variables, (), {})
    return MappedLetter(fields, evaluation.provenance, evaluation.problems)


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
        except EvaluationProblem as exc:
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
        except EvaluationProblem as exc:
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
