"""The render stage: a DOCX template and the letter's context make the letter as DOCX (docxtpl).

Templates are trusted configuration; the context is escaped for XML (autoescape), so a name with
``&`` or ``<`` is printed as written and can never break the document.

The kop's regional emblem (``kop.lambang``, a file name) becomes a picture here: the PNG of that name in the
templates' ``lambang/`` folder, 2.5 cm high, placed where the template prints ``{{ kop.lambang }}``. So do the pages
of the files a host attached (``lampiran_pdf``, naskah.attachments): each page ``h`` a picture ``h.gambar`` as large
as the text area allows.
"""
from __future__ import annotations

import io
import struct
import threading
from functools import lru_cache
from pathlib import Path

from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from .attachments import page_images
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
    context = _with_attachments(template, _with_emblem(template, template_path.parent, context))
    try:
        template.render(context, jinja_env=_ENV, autoescape=True)
    except TemplateError as exc:
        raise ConfigError(f"template {template_path.name}: {exc}") from None
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


#: The largest an attached page is drawn: the text width, and the text height (F4) less its two heading lines and
#: the footer's room.
ATTACHMENT_MAX_WIDTH, ATTACHMENT_MAX_HEIGHT = Mm(165), Mm(255)


def _with_attachments(template: DocxTemplate, context: dict) -> dict:
    """``lampiran_pdf``'s pages as pictures (``h.gambar``), each as large as the page allows, keeping its shape."""
    files = context.get("lampiran_pdf")
    if not files:
        return context
    from docx.image.image import Image

    drawn = []
    for attached in files:
        images = page_images(attached["pdf"])
        pages = []
        for page, image in zip(attached["halaman"], images):
            size = Image.from_blob(image)
            fit = {"width": ATTACHMENT_MAX_WIDTH}
            if size.px_height * ATTACHMENT_MAX_WIDTH > ATTACHMENT_MAX_HEIGHT * size.px_width:  # a tall page
                fit = {"height": ATTACHMENT_MAX_HEIGHT}
            pages.append(page | {"gambar": InlineImage(template, io.BytesIO(image), **fit)})
        drawn.append(attached | {"halaman": pages})
    return context | {"lampiran_pdf": drawn}


#: The emblem's height on a kop, as on a Malang letterhead: a little taller than the four kop lines beside it.
EMBLEM_HEIGHT = Mm(25)
#: ... and its widest: the kop's emblem column (templates/build/docx_parts.py, KOP_SIDE) less its air.
EMBLEM_MAX_WIDTH = Mm(25)
EMBLEM_FOLDER = "lambang"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _with_emblem(template: DocxTemplate, templates_dir: Path, context: dict) -> dict:
    """``kop.lambang`` as a picture (the letter model admits a plain ``.png`` name only, never a path)."""
    kop = context.get("kop")
    name = kop.get("lambang") if isinstance(kop, dict) else None
    if not name:
        return context
    path = templates_dir / EMBLEM_FOLDER / name
    try:
        data, (width, height) = _emblem(path, path.stat().st_mtime_ns)
    except OSError as exc:
        raise ConfigError(f"emblem {name}: cannot read {path}: {exc.strerror}") from None
    size = {"height": EMBLEM_HEIGHT}
    if width * EMBLEM_HEIGHT > EMBLEM_MAX_WIDTH * height:  # a wide emblem: as wide as the column allows
        size = {"width": EMBLEM_MAX_WIDTH}
    return context | {"kop": kop | {"lambang": InlineImage(template, io.BytesIO(data), **size)}}


@lru_cache(maxsize=16)
def _emblem(path: Path, mtime_ns: int) -> tuple[bytes, tuple[int, int]]:
    """The PNG's bytes, PDF/A-safe, and its size in pixels.

    A PNG with transparency (an alpha channel, or a transparent colour) or 16-bit samples is flattened onto white as
    8-bit RGB with Pillow, so the PDF/A carries a plain picture; ``templates/build/lambang.py prepare`` does the same
    once, for an installation without Pillow."""
    data = path.read_bytes()
    if not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ConfigError(f"emblem {path.name} is not a PNG (export it as one, then templates/build/lambang.py "
                          f"prepare makes it ready: templates/README.md, \"The emblem\")")
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    if colour in (4, 6) or depth == 16 or _has_chunk(data, b"tRNS"):
        data = _flattened(path, data)
    return data, (width, height)


def _has_chunk(data: bytes, kind: bytes) -> bool:
    offset = len(_PNG_SIGNATURE)
    while offset + 8 <= len(data):
        length, name = struct.unpack(">I4s", data[offset:offset + 8])
        if name == kind:
            return True
        if name == b"IDAT":  # tRNS comes before the image data
            return False
        offset += 12 + length
    return False


def _flattened(path: Path, data: bytes) -> bytes:
    try:
        from PIL import Image
    except ImportError:
        raise ConfigError(f"emblem {path.name} has transparency, which a PDF/A letter should not carry: flatten it "
                          f"once with templates/build/lambang.py prepare, or install Pillow") from None
    with Image.open(io.BytesIO(data)) as image:
        image = image.convert("RGBA")
        flat = Image.alpha_composite(Image.new("RGBA", image.size, (255, 255, 255, 255)), image).convert("RGB")
    out = io.BytesIO()
    flat.save(out, format="PNG")
    return out.getvalue()
