"""The visible stamp: where it goes, what it says and the font it says it in.

Where: the template's ``ttd`` bookmark, which LibreOffice exports as the named destination ``/ttd`` (its top
left corner), so secretariat staff move the stamp by moving the bookmark.

The font is cut down once to the characters Indonesian names and titles use. pyHanko subsets the stamp font
for every signature; from the whole Noto Sans (3,000+ glyphs) that takes ~175 ms, from this Latin cut ~12 ms.
The cut keeps no OpenType layout tables: pyHanko drops them from the embedded subset anyway, but fontTools
decompiles them first (~17 ms a signature), and a stamp's few short lines do without kerning. The cut is made
once per font file and kept in a cache folder; a stamp whose text needs a character outside it uses the
whole font.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import os
import stat
import tempfile
import textwrap
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pypdf import PdfReader

from ..errors import SigningError
from ..files import private_folder, write_atomically
from .profile import SigningProfile

log = logging.getLogger("naskah.sign")
# fontTools logs each step of subsetting the stamp font at INFO; keep an INFO-level service log readable
if logging.getLogger("fontTools").level == logging.NOTSET:
    logging.getLogger("fontTools").setLevel(logging.WARNING)

# %(waktu)s is the signing time in the profile's time zone (WIB by default); pyHanko's own %(ts)s would use
# the server's local zone, which on a server is usually UTC.
STAMP_TEXT = "Ditandatangani secara elektronik oleh:\n%(signer_title)s\n%(signer_name)s\n%(waktu)s"
PARAF_TEXT = "Paraf elektronik:\n%(signer_title)s\n%(signer_name)s\n%(waktu)s"
TIMESTAMP_FORMAT = "%d-%m-%Y %H:%M:%S %Z"
WRAP = 38  # characters per stamp line before a long title is wrapped (pyHanko does not wrap)

DESTINATION = "ttd"
#: Fallback place, from the last page's bottom right corner (the signature) or bottom left corner (any other
#: stamp, such as a paraf), when a template lacks the bookmark.
FALLBACK_MARGIN_RIGHT = 56.7  # 2 cm
FALLBACK_MARGIN_LEFT = 56.7
FALLBACK_MARGIN_BOTTOM = 85.0  # 3 cm, above a typical footer


@dataclass(frozen=True)
class StampPlace:
    """A page index and a box (x1, y1, x2, y2) in whole PDF points from the page's bottom left corner.

    Whole points, because pyHanko's stamp layout computes aspect ratios with ``Fraction`` and fails on floats.
    """

    page: int
    box: tuple[float, float, float, float]
    from_bookmark: bool


def locate_stamp(pdf: bytes, width: int, height: int, anchor: str = DESTINATION) -> StampPlace:
    """The stamp box: top left at the bookmark ``anchor``, kept inside the page; else a corner of the last page."""
    reader = PdfReader(io.BytesIO(pdf))
    destinations = reader.named_destinations
    dest = destinations.get("/" + anchor) or destinations.get(anchor)
    page_index = reader.get_destination_page_number(dest) if dest is not None else -1
    if dest is not None and page_index >= 0 and dest.left is not None and dest.top is not None:
        x0, y0, x1, y1 = _page_box(reader, page_index)
        left = round(min(max(float(dest.left), x0), x1 - width))
        top = round(max(min(float(dest.top), y1), y0 + height))
        return StampPlace(page_index, (left, top - height, left + width, top), True)
    page_index = len(reader.pages) - 1
    x0, y0, x1, y1 = _page_box(reader, page_index)
    bottom = round(y0 + FALLBACK_MARGIN_BOTTOM)
    if anchor == DESTINATION:
        log.warning("no '%s' bookmark in the letter: the stamp goes to the bottom right of the last page "
                    "(add the bookmark to the template where the signature belongs)", anchor)
        right = round(x1 - FALLBACK_MARGIN_RIGHT)
        return StampPlace(page_index, (right - width, bottom, right, bottom + height), False)
    log.warning("no '%s' bookmark in the letter: that stamp goes to the bottom left of the last page", anchor)
    left = round(x0 + FALLBACK_MARGIN_LEFT)
    return StampPlace(page_index, (left, bottom, left + width, bottom + height), False)


def place_stamp(pdf: bytes, stamp) -> StampPlace:
    """Where a profile's stamp (:class:`naskah.sign.profile.StampSpec`) goes: its fixed ``position`` when it
    has one (for templates that cannot carry a bookmark), else its bookmark ``anchor``."""
    position = stamp.position
    if position is None:
        return locate_stamp(pdf, stamp.width, stamp.height, anchor=stamp.anchor)
    reader = PdfReader(io.BytesIO(pdf))
    count = len(reader.pages)
    index = position.page - 1 if position.page > 0 else count + position.page
    if not 0 <= index < count:
        raise ValueError(f"stamp.position.page {position.page} is not a page of this {count}-page letter")
    return StampPlace(index, (position.x, position.y, position.x + stamp.width, position.y + stamp.height), False)


def _page_box(reader: PdfReader, index: int) -> tuple[float, float, float, float]:
    box = reader.pages[index].cropbox
    return float(box.left), float(box.bottom), float(box.right), float(box.top)


def stamp_style(profile: SigningProfile, text: str = ""):
    """The QR stamp (or, for a paraf, a text stamp) with the profile's embedded font, cut to ``text``'s script."""
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.stamp import QRStampStyle, TextStampStyle

    size = profile.stamp.font_size
    font = GlyphAccumulatorFactory(str(stamp_font_for(profile.stamp.font, text)), font_size=size)
    common = dict(
        text_box_style=TextBoxStyle(font=font, font_size=size, leading=round(size * 1.25)),
        timestamp_format=TIMESTAMP_FORMAT,
        border_width=2,  # pyHanko strokes on the box edge, so half of it is clipped: 1 pt shows
    )
    if profile.stamp.qr:
        return QRStampStyle(stamp_text=STAMP_TEXT, innsep=3, **common)
    return TextStampStyle(stamp_text=PARAF_TEXT, **common)


def stamp_params(profile: SigningProfile, signer_name: str, signer_title: str) -> dict[str, str]:
    """What the stamp's text fills in: the signer's name and title, wrapped, and the signing time."""
    return {"signer_name": _wrap(signer_name), "signer_title": _wrap(signer_title), "waktu": stamp_time(profile)}


def stamp_time(profile: SigningProfile) -> str:
    """Now, as the stamp shows it: "23-11-2026 16:05:09 WIB"."""
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(profile.stamp.timezone)).strftime(TIMESTAMP_FORMAT)


def _wrap(text: str) -> str:
    return "\n".join(textwrap.wrap(" ".join(text.split()), WRAP)) or "-"


# --- the stamp font ---

#: Basic Latin, Latin-1 Supplement, Latin Extended-A, general punctuation, the euro and the rupiah signs
STAMP_CHARACTERS = frozenset(
    [*range(0x20, 0x7F), *range(0xA0, 0x180), *range(0x2010, 0x2030), 0x20AC, 0x20B9]
)
_LINE_BREAKS = frozenset({0x0A, 0x0D})  # the stamp's lines, not glyphs
_VERSION = "2"
_lock = threading.Lock()


def _cache_dir() -> Path:
    """Our own folder under the shared temporary folder: made private by us, and refused when another user made
    it first (font files planted there would end up in signed letters)."""
    folder = Path(tempfile.gettempdir()) / f"naskah-fonts-{os.getuid()}"
    private_folder(folder)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise SigningError(f"the stamp font cache {folder} is not a folder of this user: remove it")
    if info.st_mode & 0o077:  # ours, from a version that made it readable to others
        folder.chmod(0o700)
    return folder


@lru_cache(maxsize=8)
def _latin_cut(font: Path, mtime_ns: int) -> Path:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    data = font.read_bytes()
    target = _cache_dir() / f"{font.stem}-{hashlib.sha256(data).hexdigest()[:16]}-latin{_VERSION}.ttf"
    with _lock:
        if target.exists():
            return target
        private_folder(target.parent)
        options = subset.Options()
        options.name_IDs = ["*"]  # keep the names pyHanko reads (the PostScript name)
        options.notdef_outline = True
        options.drop_tables += ["GSUB", "GPOS", "GDEF"]
        tt = TTFont(font)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=sorted(STAMP_CHARACTERS))
        subsetter.subset(tt)
        cut = io.BytesIO()
        tt.save(cut)
        write_atomically(target, cut.getvalue())
    return target


def stamp_font_for(font: Path, text: str) -> Path:
    """The font file to give pyHanko for a stamp showing ``text``."""
    if not set(map(ord, text)) - _LINE_BREAKS <= STAMP_CHARACTERS:
        return font
    try:
        return _latin_cut(font, font.stat().st_mtime_ns)
    except Exception:  # a font fontTools cannot cut: the whole font still works, only slower
        return font
