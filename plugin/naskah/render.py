"""The render stage: a DOCX template and the letter's context make the letter as DOCX (docxtpl).

Templates are trusted configuration; the context is escaped for XML (autoescape), so a name with
``&`` or ``<`` is printed as written and can never break the document.
"""
from __future__ import annotations

import io
import threading
from functools import lru_cache
from pathlib import Path

from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from .errors import ConfigError
from .formatting import FILTERS

#: Footer of a letter that is not signed: it must never pass for the real thing.
DRAFT_FOOTER = "DRAFT - belum ditandatangani, bukan naskah dinas yang sah"


class _CompilingOnceEnvironment(SandboxedEnvironment):
    """docxtpl hands the same document XML to ``from_string`` for every letter of a template; compiling it
    once per process (keyed by the XML text) saves most of the render time of a batch."""

    _limit = 128

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._compiled: dict[str, object] = {}
        self._compiled_lock = threading.Lock()

    def from_string(self, source, globals=None, template_class=None):
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        with self._compiled_lock:
            template = self._compiled.get(source)
        if template is None:
            template = super().from_string(source)
            with self._compiled_lock:
                if len(self._compiled) >= self._limit:
                    self._compiled.pop(next(iter(self._compiled)))
                self._compiled[source] = template
        return template


def _template_environment() -> SandboxedEnvironment:
    # StrictUndefined: a variable the template uses and the letter does not have is an error, not a blank.
    env = _CompilingOnceEnvironment(undefined=StrictUndefined, autoescape=True)
    env.filters.update(FILTERS)
    return env


_ENV = _template_environment()


@lru_cache(maxsize=64)
def _template_bytes(path: Path, mtime_ns: int) -> bytes:
    return path.read_bytes()


def load_template(path: Path) -> DocxTemplate:
    """A fresh DocxTemplate (docxtpl renders in place) from the file's cached bytes."""
    try:
        data = _template_bytes(path, path.stat().st_mtime_ns)
    except OSError as exc:
        raise ConfigError(f"cannot read template {path}: {exc.strerror}") from None
    return DocxTemplate(io.BytesIO(data))


def template_variables(template: DocxTemplate) -> set[str]:
    """The names a template uses, read with the environment letters render in; TemplateSyntaxError
    when it does not parse (``naskah check``)."""
    return set(template.get_undeclared_template_variables(_ENV))


def render_docx(template_path: Path, context: dict) -> bytes:
    """The letter as DOCX bytes."""
    template = load_template(template_path)
    try:
        template.render(context, jinja_env=_ENV, autoescape=True)
    except TemplateError as exc:
        raise ConfigError(f"template {template_path.name}: {exc}") from None
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()
