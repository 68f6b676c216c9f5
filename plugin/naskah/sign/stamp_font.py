"""The stamp font, cut down once to the characters Indonesian names and titles use.

pyHanko subsets the stamp font for every signature; from the whole Noto Sans (3,000+ glyphs) that takes
~175 ms, from this Latin cut ~12 ms. The cut keeps no OpenType layout tables: pyHanko drops them from the
embedded subset anyway, but fontTools decompiles them first (~17 ms a signature), and a stamp's few short
lines do without kerning. The cut is made once per font file and kept in a cache folder; a stamp whose
text needs a character outside it uses the whole font.
"""
from __future__ import annotations

import hashlib
import io
import os
import tempfile
import threading
from functools import lru_cache
from pathlib import Path

from ..files import write_atomically

#: Basic Latin, Latin-1 Supplement, Latin Extended-A, general punctuation, the euro and the rupiah signs
STAMP_CHARACTERS = frozenset(
    [*range(0x20, 0x7F), *range(0xA0, 0x180), *range(0x2010, 0x2030), 0x20AC, 0x20B9]
)
_LINE_BREAKS = frozenset({0x0A, 0x0D})  # the stamp's lines, not glyphs
_VERSION = "2"
_lock = threading.Lock()


def _cache_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"naskah-fonts-{os.getuid()}"


@lru_cache(maxsize=8)
def _latin_cut(font: Path, mtime_ns: int) -> Path:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    data = font.read_bytes()
    target = _cache_dir() / f"{font.stem}-{hashlib.sha256(data).hexdigest()[:16]}-latin{_VERSION}.ttf"
    with _lock:
        if target.exists():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
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
