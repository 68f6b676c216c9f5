"""The penunjukan across units and agencies: the requests for officials and the reply (Perwal Kota Malang 16/2023
Lampiran huruf A angka 2 huruf a; Perwal Kota Cilegon 17/2023 Lampiran huruf B angka 1; Perwal Kota Tangerang 12/2023
Pasal 24 ayat (2)-(3)).

- Across units (Malang angka 2), Cilegon huruf b): the Pimpinan Unit Organisasi pemilik kinerja writes to the
  Pimpinan Unit Organisasi dituju (Cilegon: to the Pejabat Penilai Kinerja dituju), copied to the Pejabat Penilai
  Kinerja of the officials asked for (angka 2) huruf a)); that assessor "memproses dan menjawab" (huruf b)): signs the
  reply, an approval naming officials who meet the request's criteria (huruf c)) or a refusal with reasons (huruf d)).
- Across agencies (angka 3), Cilegon huruf c)): the Pimpinan Unit Organisasi first asks its own Pejabat yang
  Berwenang, copied to the Pejabat Penilai Kinerja concerned in its agency (huruf a)); the Pejabat yang Berwenang then
  writes to the other agency's (huruf b)), citing that first letter.
- Every request states at least the purpose, the competence needed, the performance expected and the duration.
- The reply across agencies (Malang angka 3) huruf e) angka (1), Cilegon huruf c angka 5) huruf a)) goes twice: the
  assessor sends it with the list of officials to its own Pejabat yang Berwenang, who, approving it, sends it to the
  requesting agency's Pejabat yang Berwenang. So it is either signed by the assessor and addressed to that Pejabat
  yang Berwenang, or signed by the Pejabat yang Berwenang (``pejabat_berwenang``).
"""
from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ..i18n import _, date_text
from .citations import (DAFTAR_DITUGASKAN, DURASI_JAWABAN, DURASI_PELIBATAN, ISI_PERMOHONAN, JAWABAN_LINTAS_INSTANSI,
                        JAWABAN_PERMOHONAN, NOMOR_YANG_DIJAWAB, PENOLAKAN_PERMOHONAN, PERMOHONAN_KE_PEJABAT_BERWENANG,
                        PERMOHONAN_KEPADA_PENILAI, PERMOHONAN_LINTAS_INSTANSI, TEMBUSAN_PERMOHONAN, cite)
from .common import Kalimat, Pegawai, Teks
from .pengawasan import asked_pengawasan_problems, pengawasan_problems
from .per_kota import UraianTugas, sekda_problems, third_content_problems
from .surat_dinas import DALAM_INSTANSI, Durasi, Lingkup, Pejabat, SuratDinas, SuratDirujuk, SuratRujukan, in_words


class _Permohonan(SuratDinas):
    """A request's four contents: purpose, competence needed, performance expectation, duration."""

    FIELD_CITATIONS = {"maksud_tujuan": ISI_PERMOHONAN, "kompetensi": ISI_PERMOHONAN,
                       "ekspektasi_kinerja": ISI_PERMOHONAN, "durasi": DURASI_PELIBATAN}

    kegiatan: Teks
    maksud_tujuan: Kalimat
    kompetensi: list[Kalimat] = Field(min_length=1, max_length=30)
    #: the third content: Malang and Cilegon ask for the performance expected, Tangerang (Pasal 24 ayat (3) huruf c)
    #: for the duties and individual targets (naskah.letters.per_kota)
    ekspektasi_kinerja: list[Kalimat] = Field(default_factory=list, max_length=30)
    uraian_tugas: list[UraianTugas] = Field(default_factory=list, max_length=30)
    jumlah_pegawai: int = Field(ge=1, le=500)
    durasi: Durasi
    #: the Pejabat Penilai Kinerja the request is copied to (who that is: each kind says)
    penilai_kinerja: Pejabat | None = None

    def rule_problems(self) -> list[tuple[tuple, str]]:
        problems = super().rule_problems() + [(("durasi", *loc), msg) for loc, msg in self.durasi.rule_problems()]
        problems += third_content_problems(self.ekspektasi_kinerja, self.uraian_tugas)
        problems += asked_pengawasan_problems("kompetensi", self.kompetensi)
        if self.durasi.mulai < self.tanggal:
            problems.append((("durasi", "mulai"), cite(_("involvement starts {start}, before the request's date {date}")
                                                       .format(start=date_text(self.durasi.mulai),
                                                               date=date_text(self.tanggal)), DURASI_PELIBATAN)))
        return problems

    def _copy_problems(self, rule, whose: str) -> list[tuple[tuple, str]]:
        """The request is copied to the Pejabat Penilai Kinerja ``whose`` (or addressed to them)."""
        if self.penilai_kinerja is None:
            return [(("penilai_kinerja",), cite(_("required: the Pejabat Penilai Kinerja {whose}, to whom the request "
                                                  "is copied (jabatan, nama)").format(whose=whose), rule))]
        if self.penilai_kinerja.copied_in([*self.tembusan, self.tujuan.jabatan]):
            return []
        return [(("tembusan",), cite(_("the request is copied (tembusan) to the Pejabat Penilai Kinerja {whose}, "
                                       "{jabatan}; no tembusan names them").format(
            whose=whose, jabatan=self.penilai_kinerja.jabatan), rule))]

    def to_context(self) -> dict:
        return super().to_context() | {
            "kegiatan": self.kegiatan, "maksud_tujuan": self.maksud_tujuan, "kompetensi": list(self.kompetensi),
            "ekspektasi_kinerja": list(self.ekspektasi_kinerja), "jumlah_pegawai": self.jumlah_pegawai,
            "uraian_tugas": [item.to_context() for item in self.uraian_tugas],
            "jumlah_pegawai_kata": in_words(self.jumlah_pegawai, "orang"), "durasi": self.durasi.to_context(),
            "penilai_kinerja": self.penilai_kinerja.to_context() if self.penilai_kinerja else None,
        }


class PermohonanPelibatan(_Permohonan):
    """A request to involve officials of another unit or agency. Across units it is copied to the officials'
    Pejabat Penilai Kinerja (``penilai_kinerja``); across agencies it is the Pejabat yang Berwenang's, to the other
    agency's, and cites the unit's first letter to them (``rujukan``)."""

    #: fields a template shows through what the letter makes of them (for `naskah check`)
    PRINTED_AS: ClassVar[dict[str, tuple[str, ...]]] = {"lingkup": ("lintas_instansi",),
                                                        "jumlah_pegawai": ("jumlah_pegawai_kata",),
                                                        "penilai_kinerja": ("tembusan",)}

    lingkup: Lingkup
    instansi_tujuan: Teks | None = None
    #: across agencies: the Pimpinan Unit Organisasi's letter to the Pejabat yang Berwenang this one follows
    rujukan: SuratDirujuk | None = None

    def rule_problems(self) -> list[tuple[tuple, str]]:
        problems = super().rule_problems()
        if self.lingkup == "lintas_instansi":
            if not self.instansi_tujuan:
                problems.append((("instansi_tujuan",), cite(_("required for a cross-agency request: the agency asked"),
                                                            PERMOHONAN_LINTAS_INSTANSI)))
            problems += self._first_step_problems()
        elif PERMOHONAN_KEPADA_PENILAI.applies():  # Cilegon: to the assessor, whom the letter then reaches
            problems += self._addressee_problems()
        elif TEMBUSAN_PERMOHONAN.applies():
            problems += self._copy_problems(TEMBUSAN_PERMOHONAN, _("of the officials asked for"))
        return problems + sekda_problems(self.lingkup, self.tujuan.jabatan, self.tembusan)

    def _addressee_problems(self) -> list[tuple[tuple, str]]:
        """Cilegon: the request goes to the Pejabat Penilai Kinerja dituju of the officials asked for."""
        if self.penilai_kinerja is None:
            return [(("penilai_kinerja",), cite(_(
                "required: the Pejabat Penilai Kinerja of the officials asked for, to whom the request is addressed "
                "(jabatan, nama)"), PERMOHONAN_KEPADA_PENILAI))]
        if self.penilai_kinerja.copied_in([self.tujuan.jabatan]):
            return []
        return [(("tujuan", "jabatan"), cite(_(
            "a request across units is addressed to the Pejabat Penilai Kinerja of the officials asked for, {jabatan} "
            "(penilai_kinerja), not to {tujuan}").format(jabatan=self.penilai_kinerja.jabatan,
                                                          tujuan=self.tujuan.jabatan), PERMOHONAN_KEPADA_PENILAI))]

    def _first_step_problems(self) -> list[tuple[tuple, str]]:
        if not PERMOHONAN_KE_PEJABAT_BERWENANG.applies():
            return []
        if self.rujukan is None:
            return [(("rujukan",), cite(_(
                "required for a cross-agency request: the letter of the Pimpinan Unit Organisasi to the Pejabat yang "
                "Berwenang that this request follows (dari, nomor, tanggal, hal; letter kind "
                "permohonan_pelibatan_pejabat_berwenang)"), PERMOHONAN_KE_PEJABAT_BERWENANG))]
        if self.rujukan.tanggal > self.tanggal:
            return [(("rujukan", "tanggal"), cite(_(
                "the request follows the letter it cites, which is dated {cited}, after this letter's date {date}").format(
                cited=date_text(self.rujukan.tanggal), date=date_text(self.tanggal)), PERMOHONAN_KE_PEJABAT_BERWENANG))]
        return []

    def to_context(self) -> dict:
        return super().to_context() | {
            "lingkup": self.lingkup, "lintas_instansi": self.lingkup == "lintas_instansi",
            "instansi_tujuan": self.instansi_tujuan or "",
            "rujukan": self.rujukan.to_context() if self.rujukan else None,
        }


class PermohonanPelibatanPejabatBerwenang(_Permohonan):
    """The first step of a cross-agency request: the Pimpinan Unit Organisasi pemilik kinerja asks its own Pejabat
    yang Berwenang to request the officials from the other agency, copied to the Pejabat Penilai Kinerja concerned in
    its agency (``penilai_kinerja``)."""

    PRINTED_AS: ClassVar[dict[str, tuple[str, ...]]] = {"jumlah_pegawai": ("jumlah_pegawai_kata",),
                                                        "penilai_kinerja": ("tembusan",)}
    FIELD_CITATIONS = _Permohonan.FIELD_CITATIONS | {"instansi_tujuan": PERMOHONAN_KE_PEJABAT_BERWENANG,
                                                     "penilai_kinerja": PERMOHONAN_KE_PEJABAT_BERWENANG}

    instansi_tujuan: Teks
    penilai_kinerja: Pejabat

    def rule_problems(self) -> list[tuple[tuple, str]]:
        return super().rule_problems() + self._copy_problems(PERMOHONAN_KE_PEJABAT_BERWENANG,
                                                             _("concerned in the requesting agency"))

    def to_context(self) -> dict:
        return super().to_context() | {"instansi_tujuan": self.instansi_tujuan}


class JawabanPermohonanPelibatan(SuratDinas):
    """The reply to a request, by the requested officials' Pejabat Penilai Kinerja (``penilai_kinerja``, who signs
    it): approved with the officials assigned and the duration, or refused with the reasons."""

    PRINTED_AS: ClassVar[dict[str, tuple[str, ...]]] = {"keputusan": ("disetujui",), "lingkup": ("penandatangan",),
                                                        "penilai_kinerja": ("penandatangan",),
                                                        "pejabat_berwenang": ("penandatangan",)}
    FIELD_CITATIONS = {"surat_permohonan": JAWABAN_PERMOHONAN}

    keputusan: Literal["disetujui", "ditolak"]
    #: the request's scope: across units its officials' assessor answers; across agencies (Malang angka 3) huruf
    #: e)) the assessor answers its Pejabat yang Berwenang, who answers the requesting agency
    lingkup: Lingkup = "lintas_unit_organisasi"
    surat_permohonan: SuratRujukan
    penilai_kinerja: Pejabat | None = None
    #: across agencies: the Pejabat yang Berwenang of the agency asked, who approves the reply and sends it on
    pejabat_berwenang: Pejabat | None = None
    pegawai_ditugaskan: list[Pegawai] = Field(default_factory=list, max_length=500)
    durasi: Durasi | None = None
    alasan: list[Kalimat] = Field(default_factory=list, max_length=50)
    saran: Kalimat | None = None

    def rule_problems(self) -> list[tuple[tuple, str]]:
        problems = super().rule_problems() + self._assessor_problems()
        problems += pengawasan_problems([(("pegawai_ditugaskan", index), official)
                                         for index, official in enumerate(self.pegawai_ditugaskan)])
        if self.surat_permohonan.nomor is None:
            problems.append((("surat_permohonan", "nomor"), cite(_("required: the reply cites the request's number"),
                                                                 NOMOR_YANG_DIJAWAB)))
        if self.keputusan == "disetujui":
            if not self.pegawai_ditugaskan:
                problems.append((("pegawai_ditugaskan",), cite(_("an approval lists at least one official assigned"),
                                                               DAFTAR_DITUGASKAN)))
            if self.durasi is None:
                problems.append((("durasi",), cite(_("an approval states the duration of the involvement"),
                                                   DURASI_JAWABAN)))
            else:
                problems += [(("durasi", *loc), msg) for loc, msg in self.durasi.rule_problems()]
        elif not self.alasan:
            problems.append((("alasan",), cite(_("a refusal gives at least one reason"), PENOLAKAN_PERMOHONAN)))
        return problems

    def _assessor_problems(self) -> list[tuple[tuple, str]]:
        """Across units the requested officials' Pejabat Penilai Kinerja processes and answers the request."""
        if self.lingkup == "lintas_instansi":
            return self._cross_agency_problems()
        if self.lingkup not in DALAM_INSTANSI or not JAWABAN_PERMOHONAN.applies():
            return []
        if self.penilai_kinerja is None:
            return [(("penilai_kinerja",), cite(_(
                "required: the Pejabat Penilai Kinerja of the officials asked for, who processes and answers the "
                "request (jabatan, nama, nip)"), JAWABAN_PERMOHONAN))]
        if self.penilai_kinerja.signs(self.penandatangan):
            return []
        return [(("penandatangan",), cite(_(
            "the request is processed and answered by the Pejabat Penilai Kinerja of the officials asked for, "
            "{jabatan} {nama} (penilai_kinerja), who signs the reply; not {signer}").format(
            jabatan=self.penilai_kinerja.jabatan, nama=self.penilai_kinerja.nama, signer=self.penandatangan.nama),
            JAWABAN_PERMOHONAN))]

    def _cross_agency_problems(self) -> list[tuple[tuple, str]]:
        """Across agencies the assessor answers its own Pejabat yang Berwenang, who answers the requesting agency:
        the assessor signs a reply addressed to the Pejabat yang Berwenang, or the Pejabat yang Berwenang signs."""
        if not JAWABAN_LINTAS_INSTANSI.applies():
            return []
        if self.pejabat_berwenang is None:
            return [(("pejabat_berwenang",), cite(_(
                "required for a reply across agencies: the Pejabat yang Berwenang of the agency asked, who approves "
                "the reply and sends it to the requesting agency (jabatan, nama, nip)"), JAWABAN_LINTAS_INSTANSI))]
        if self.pejabat_berwenang.signs(self.penandatangan):
            return []
        if self.penilai_kinerja is not None and self.penilai_kinerja.signs(self.penandatangan):
            if self.pejabat_berwenang.copied_in([self.tujuan.jabatan]):
                return []
            return [(("tujuan", "jabatan"), cite(_(
                "across agencies the Pejabat Penilai Kinerja sends the reply to the Pejabat yang Berwenang of their "
                "own agency, {jabatan} (pejabat_berwenang), who sends it on to the requesting agency; not to "
                "{tujuan}").format(jabatan=self.pejabat_berwenang.jabatan, tujuan=self.tujuan.jabatan),
                JAWABAN_LINTAS_INSTANSI))]
        return [(("penandatangan",), cite(_(
            "a reply across agencies is signed by the Pejabat yang Berwenang of the agency asked, {jabatan} {nama} "
            "(pejabat_berwenang), or, to them, by the Pejabat Penilai Kinerja of the officials asked for "
            "(penilai_kinerja); not by {signer}").format(jabatan=self.pejabat_berwenang.jabatan,
                                                         nama=self.pejabat_berwenang.nama,
                                                         signer=self.penandatangan.nama),
            JAWABAN_LINTAS_INSTANSI))]

    def to_context(self) -> dict:
        return super().to_context() | {
            "keputusan": self.keputusan, "disetujui": self.keputusan == "disetujui",
            "surat_permohonan": self.surat_permohonan.to_context(),
            "pegawai_ditugaskan": [p.to_context() for p in self.pegawai_ditugaskan],
            "durasi": self.durasi.to_context() if self.durasi else None,
            "alasan": list(self.alasan), "saran": self.saran or "",
        }
