"""``naskah check``: lint every mapping and its template before a host's payload ever meets them.

Errors (exit non-zero): a mapping that does not load, a template that does not parse or is missing,
a variable the template uses that the letter does not provide, an example payload that fails
validation or fails to render. Warnings: a field the mapping builds that the template never prints.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from docxtpl import DocxTemplate
from jinja2 import TemplateSyntaxError

from .config import Settings
from .errors import NaskahError
from .i18n import _
from .letters import LETTER_KINDS
from .mapping import Mapping
from .payload import read_payload
from .render import DRAFT_FOOTER, load_template, render_docx, template_variables
from .route import route
from .validate import validate

#: Names a template may use that come from naskah itself, not from the mapping.
PROVIDED_BY_NASKAH = {"footer"}


@dataclass
class CheckReport:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_text(self) -> str:
        lines = [_("error: {finding}").format(finding=e) for e in self.errors]
        lines += [_("warning: {finding}").format(finding=w) for w in self.warnings]
        lines.append(_("{checked} mappings checked, {errors} errors, {warnings} warnings").format(
            checked=len(self.checked), errors=len(self.errors), warnings=len(self.warnings)))
        return "\n".join(lines)


def check(settings: Settings) -> CheckReport:
    report = CheckReport()
    mappings: dict[str, Mapping] = {}
    for path in sorted(settings.mappings_dir.glob("*.yaml")):
        try:
            mappings[path.stem] = Mapping.load(path)
        except NaskahError as exc:
            report.errors.append(str(exc))
    for mapping in mappings.values():
        report.checked.append(mapping.name)
        _check_mapping(mapping, mappings, settings, report)
    return report


def _check_mapping(mapping: Mapping, mappings: dict[str, Mapping], settings: Settings, report: CheckReport) -> None:
    where = mapping.path.name
    template_path = settings.templates_dir / mapping.template
    used = _template_variables(template_path, where, report)
    if not mapping.examples:
        report.warnings.append(_("{where}: no example payload, so the letter it builds is not checked").format(
            where=where))
    for example in mapping.examples:
        try:
            payload = read_payload(example)
            if route(payload, mappings) is not mapping:
                report.errors.append(_("{where}: example {example} is not routed to this mapping by match rules")
                                     .format(where=where, example=example.name))
            letter = validate(mapping.letter, mapping.apply(payload), str(example))
            context = letter.to_context()
            mapping.metadata_for(context)
        except NaskahError as exc:
            report.errors.append(_("{where}: example {example}: {error}").format(where=where, example=example.name,
                                                                                 error=exc))
            continue
        if used is None:
            continue
        for name in sorted(used - set(context) - PROVIDED_BY_NASKAH):
            report.errors.append(_("{template}: uses {tag}, which mapping {where} never provides").format(
                template=template_path.name, tag="{{ " + name + " }}", where=where))
        try:
            render_docx(template_path, context | {"footer": DRAFT_FOOTER})
        except NaskahError as exc:
            report.errors.append(_("{where}: example {example} does not render: {error}").format(
                where=where, example=example.name, error=exc))
    if used is not None:
        printed_as = getattr(LETTER_KINDS[mapping.letter], "PRINTED_AS", {})
        for name in sorted(set(mapping.context) - used):
            if used & set(printed_as.get(name, ())):
                continue
            report.warnings.append(_("{where}: builds '{name}', which {template} never prints").format(
                where=where, name=name, template=template_path.name))


def _template_variables(path: Path, where: str, report: CheckReport) -> set[str] | None:
    if not path.is_file():
        report.errors.append(_("{where}: template {path} does not exist").format(where=where, path=path))
        return None
    template: DocxTemplate = load_template(path)
    try:
        return template_variables(template)
    except TemplateSyntaxError as exc:
        report.errors.append(_("{template}: template syntax error: {error}, near \"{text}\"").format(
            template=path.name, error=exc.message, text=_text_near(template, exc.lineno)))
        return None


_TAG = re.compile(r"\{\{|\{%")
_CLOSING = {"{{": "}}", "{%": "%}"}


def _text_near(template: DocxTemplate, lineno: int | None) -> str:
    """The paragraph holding the broken tag: docxtpl's XML line numbers mean nothing to staff."""
    template.init_docx()
    paragraphs = ["".join(node.text or "" for node in p.iter() if node.tag.endswith("}t"))
                  for p in template.docx.element.body.iter() if p.tag.endswith("}p")]
    for text in paragraphs:
        openings = [m for m in _TAG.finditer(text)]
        for index, opening in enumerate(openings):
            end = openings[index + 1].start() if index + 1 < len(openings) else len(text)
            if _CLOSING[opening.group()] not in text[opening.end():end]:
                return text[max(0, opening.start() - 40):end + 40].strip()
    return _("(place not found; check tags split by formatting)")
