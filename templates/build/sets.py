"""The template sets, one per city (naskah.letters.peraturan names each regulation's folder and letter kinds):
which templates a set has and the words in which it differs. A generator writes one set at a time:

    .venv/bin/python templates/build/make_surat_tugas.py --set tangerang     (templates/tangerang/)
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent

#: The words before the website and the e-mail address on the kop's contact line, by template set: Malang's own
#: format (Perwal Kota Malang 16/2023 Lampiran C) writes "Website:" and "e-mail:"; Permendagri 1/2023's writes
#: "Laman" and "Pos-el".
CONTACT_WORDS = {"malang": ("Website", "e-mail"), "permendagri": ("Laman", "Pos-el")}


@dataclass(frozen=True)
class TemplateSet:
    """A city's template set (naskah.letters.peraturan names its folder and its letter kinds): the templates it
    has and the words in which it differs from the others."""

    name: str
    #: the folder under templates/ ("" for the Malang set at the top)
    folder: str
    #: the template stems it has; None: every one
    letters: frozenset[str] | None
    contact_words: tuple[str, str]
    #: the individual Surat Tugas: its title, the verb of the order, the validity sentence's subject
    surat_tugas_individu: tuple[str, str, str] = ("SURAT TUGAS", "MENUGASKAN:", "Surat tugas ini")
    #: the third content of a request: "ekspektasi" (ekspektasi/target kinerja: Malang and Cilegon Lampiran) or
    #: "uraian_tugas" (uraian tugas dan target capaian individu: Tangerang Pasal 24 ayat (3) huruf c)
    isi_ketiga: str = "ekspektasi"
    #: the voluntary application states the direct superior's consent (Malang Pasal 10 ayat (5))
    persetujuan_atasan: bool = True

    def has(self, stem: str) -> bool:
        return self.letters is None or stem in self.letters


#: The sets naskah ships. Cilegon and Tangerang: their Perwal has no letter format annex, so their kop follows
#: Permendagri 1/2023 on naskah dinas ("Laman", "Pos-el").
SETS = {
    "malang": TemplateSet("malang", "", None, CONTACT_WORDS["malang"]),
    # Cilegon: a team by Keputusan (Pasal 9), an assignment by "surat perintah tugas" (Pasal 6 ayat (4)), requests
    # and replies (Lampiran huruf B angka 1), applications copied to the assessor and approved by the unit asked
    # (angka 2)
    "cilegon": TemplateSet("cilegon", "cilegon", frozenset({
        "keputusan_tim_kerja", "surat_tugas_individu", "permohonan_pelibatan", "permohonan_pelibatan_pejabat_berwenang",
        "jawaban_permohonan_pelibatan", "pengajuan_sukarela", "persetujuan_pengajuan_sukarela"}),
        CONTACT_WORDS["permendagri"],
        surat_tugas_individu=("SURAT PERINTAH TUGAS", "MEMERINTAHKAN:", "Surat perintah tugas ini"),
        persetujuan_atasan=False),
    # Tangerang: a team's Ketua by Surat Perintah (Pasal 22 ayat (1) huruf a-b) or Keputusan (huruf c, Pasal 30),
    # "surat tugas/surat perintah" (ayat (4)), requests of Pasal 24 ayat (3), applications of ayat (4)
    "tangerang": TemplateSet("tangerang", "tangerang", frozenset({
        "surat_perintah", "keputusan_tim_kerja", "surat_tugas_individu", "permohonan_pelibatan",
        "pengajuan_sukarela"}), CONTACT_WORDS["permendagri"], isi_ketiga="uraian_tugas", persetujuan_atasan=False),
}
_CURRENT = [SETS["malang"]]


def template_set() -> TemplateSet:
    """The set being written."""
    return _CURRENT[0]


def output_folder(argv: list[str]) -> Path:
    """``[--set NAME] [OUTPUT_DIR]`` of a generator: chooses the set (malang by default) and gives the folder to
    write to (the set's folder under templates/ by default)."""
    args = list(argv[1:])
    name = "malang"
    if "--set" in args:
        at = args.index("--set")
        if at + 1 >= len(args) or args[at + 1] not in SETS:
            raise SystemExit(f"--set takes one of {sorted(SETS)}")
        name = args[at + 1]
        del args[at:at + 2]
    _CURRENT[0] = SETS[name]
    out = Path(args[0]) if args else TEMPLATES / SETS[name].folder
    out.mkdir(parents=True, exist_ok=True)
    return out
