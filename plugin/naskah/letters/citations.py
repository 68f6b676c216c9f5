"""Where each rule a letter enforces comes from, so that a refusal names it: the regulation and article
("Perwal Kota Malang 16/2023 Pasal 9 ayat (3)"), or "aturan naskah (...)" for a rule no regulation states.

A rule's message carries its citation as a :class:`Cited` text (a ``str``: every place that passes messages
along keeps working), or a :class:`RuleError` for a validator pydantic calls; naskah.validate puts the citation
beside the message on the ``Problem`` and at the end of its text.

The article numbers follow the regulation texts in ``../shared/regulations/``; the Lampiran of Perwal Kota Malang
16/2023 is cited by its headings ("Lampiran huruf A angka 2 huruf a angka 2) huruf c)").
"""
from __future__ import annotations

MALANG = "Perwal Kota Malang 16/2023"
#: the Lampiran's part on the request for involvement (penunjukan): lintas unit organisasi, lintas instansi
_PENUNJUKAN = f"{MALANG} Lampiran huruf A angka 2 huruf a"

#: exactly one Ketua; the others Anggota
KETUA_TIM = f"{MALANG} Pasal 9 ayat (3)"
#: the format of the Surat Tugas: Dasar, Untuk, valid from its date of issue until the date it names
FORMAT_SURAT_TUGAS = f"{MALANG} Lampiran huruf C"
#: an official assigned alone reports to the Pimpinan Unit Organisasi
LAPOR_INDIVIDU = f"{MALANG} Pasal 13"
#: a team's Ketua reports the team's work to the Pimpinan Unit Organisasi
LAPOR_KETUA = f"{MALANG} Pasal 14 ayat (2)"
#: the four contents a request must state (maksud dan tujuan, kompetensi, ekspektasi kinerja, durasi)
ISI_PERMOHONAN = f"{_PENUNJUKAN} (surat permohonan pelibatan paling sedikit memuat angka 1)-4))"
#: the duration, the fourth of those contents
DURASI_PELIBATAN = f"{_PENUNJUKAN} (surat permohonan pelibatan paling sedikit memuat angka 4) durasi pelibatan)"
#: a cross-agency request goes to the Pejabat yang Berwenang of the agency asked
PERMOHONAN_LINTAS_INSTANSI = f"{_PENUNJUKAN} angka 3) huruf b)"
#: the reply to a request, by the requested officials' Pejabat Penilai Kinerja
JAWABAN_PERMOHONAN = f"{_PENUNJUKAN} angka 2) huruf b)"
#: an approval assigns officials who meet the criteria the request gave
PERSETUJUAN_PERMOHONAN = f"{_PENUNJUKAN} angka 2) huruf c)"
#: across agencies the reply carries the list of the officials assigned
DAFTAR_DITUGASKAN = f"{_PENUNJUKAN} angka 3) huruf e) angka (1)"
#: a refusal of a request gives the reasons
PENOLAKAN_PERMOHONAN = f"{_PENUNJUKAN} angka 2) huruf d)"
#: the surat penugasan after an approval
PENUGASAN = PERSETUJUAN_PERMOHONAN
#: the request is copied to the Pejabat Penilai Kinerja of the officials it asks for
TEMBUSAN_PERMOHONAN = f"{_PENUNJUKAN} angka 2) huruf a)"
#: voluntary applications only within the unit and across units of the same agency
SUKARELA_DALAM_INSTANSI = f"{MALANG} Lampiran huruf A angka 2 huruf b"
#: a voluntary application across units or Perangkat Daerah needs the direct superior's consent
PERSETUJUAN_ATASAN = f"{MALANG} Pasal 10 ayat (5)"
#: a written refusal of a voluntary application gives the reasons
PENOLAKAN_SUKARELA = f"{MALANG} Lampiran huruf A angka 2 huruf b angka 2) huruf e)"
#: the signer other than the regional head, the deputy and the regional secretary prints NIP and rank
NIP_PENANDATANGAN = "Permendagri 1/2023 Pasal 44 ayat (3)"
#: signing on behalf of (a.n.) or for (u.b.) an official names that official (tata naskah dinas)
ATAS_NAMA = "Permendagri 1/2023 (tata naskah dinas: a.n. dan u.b.)"

#: the rules no regulation states: naskah's own, and why
STRUKTUR_NIP = "aturan naskah (struktur NIP)"
TEKS_CETAK = "aturan naskah (teks yang dapat dicetak dalam DOCX)"
SEKALI_DALAM_TIM = "aturan naskah (satu pegawai sekali dalam satu tim)"
NOMOR_YANG_DIJAWAB = "aturan naskah (jawaban menyebut nomor surat yang dijawab)"
DURASI_JAWABAN = "aturan naskah (persetujuan menyebut durasi pelibatan)"
MASA_BERLAKU = "aturan naskah (berlaku sejak tanggal ditetapkan)"
LAMPIRAN_TERLAMPIR = "aturan naskah (baris Lampiran menurut berkas yang dilampirkan)"


class Cited(str):
    """A refusal's text that names the article it enforces; ``citation`` is that article alone."""

    citation: str

    def __new__(cls, text: str, citation: str):
        cited = super().__new__(cls, text)
        cited.citation = citation
        return cited


class RuleError(ValueError):
    """A rule's refusal raised inside a pydantic validator, with the article it enforces."""

    def __init__(self, message: str, citation: str):
        super().__init__(message)
        self.citation = citation


def cite(message: str, citation: str) -> Cited:
    """``message`` as the refusal of the rule ``citation`` names."""
    return Cited(message, citation)


def citation_of(message) -> str | None:
    """The article a refusal's message names, or None (a payload's shape, not a rule)."""
    return getattr(message, "citation", None)
