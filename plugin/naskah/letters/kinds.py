"""The letter kinds by their key (a mapping names one) and how each is named to people."""
from __future__ import annotations

from .common import Letter
from .keputusan import KeputusanTimKerja
from .pelibatan import JawabanPermohonanPelibatan, PermohonanPelibatan, PermohonanPelibatanPejabatBerwenang
from .sukarela import PengajuanSukarela, PenolakanPengajuanSukarela, PersetujuanPengajuanSukarela
from .surat_perintah import SuratPerintah
from .surat_tugas import SuratTugasIndividu, SuratTugasTim

#: letter kind -> model that holds the regulation's rules for it
LETTER_KINDS: dict[str, type[Letter]] = {
    "surat_tugas_tim": SuratTugasTim,
    "surat_tugas_individu": SuratTugasIndividu,
    "permohonan_pelibatan_pejabat_berwenang": PermohonanPelibatanPejabatBerwenang,
    "permohonan_pelibatan": PermohonanPelibatan,
    "jawaban_permohonan_pelibatan": JawabanPermohonanPelibatan,
    "pengajuan_sukarela": PengajuanSukarela,
    "persetujuan_pengajuan_sukarela": PersetujuanPengajuanSukarela,
    "penolakan_pengajuan_sukarela": PenolakanPengajuanSukarela,
    "keputusan_tim_kerja": KeputusanTimKerja,
    "surat_perintah": SuratPerintah,
}

#: how each kind is named to people (DMS metadata, verification page)
LETTER_TITLES: dict[str, str] = {
    "surat_tugas_tim": "Surat Tugas (Tim Kerja)",
    "surat_tugas_individu": "Surat Tugas (Perorangan)",
    "permohonan_pelibatan_pejabat_berwenang": "Surat Permohonan Pelibatan kepada Pejabat yang Berwenang",
    "permohonan_pelibatan": "Surat Permohonan Pelibatan",
    "jawaban_permohonan_pelibatan": "Surat Jawaban Permohonan Pelibatan",
    "pengajuan_sukarela": "Surat Permohonan Pengajuan Sukarela",
    "persetujuan_pengajuan_sukarela": "Surat Persetujuan Pengajuan Sukarela",
    "penolakan_pengajuan_sukarela": "Surat Penolakan Pengajuan Sukarela",
    "keputusan_tim_kerja": "Keputusan Pembentukan Tim Kerja",
    "surat_perintah": "Surat Perintah (Tim Kerja)",
}
