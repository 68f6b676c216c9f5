"""The letter kinds naskah issues; a mapping names one of these by its key."""
from __future__ import annotations

from .common import Model
from .surat_tugas import SuratTugasIndividu, SuratTugasTim

#: letter kind -> model that holds the regulation's rules for it
LETTER_KINDS: dict[str, type[Model]] = {
    "surat_tugas_tim": SuratTugasTim,
    "surat_tugas_individu": SuratTugasIndividu,
}

#: how each kind is named to people (DMS metadata, verification page)
LETTER_TITLES: dict[str, str] = {
    "surat_tugas_tim": "Surat Tugas (Tim Kerja)",
    "surat_tugas_individu": "Surat Tugas (Perorangan)",
}
