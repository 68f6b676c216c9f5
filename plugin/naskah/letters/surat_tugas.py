"""Surat Tugas, the two formats of Perwal Kota Malang 16/2023, Lampiran C (team and individual)."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, TypeAdapter, ValidationError, field_validator

from ..i18n import _, date_text
from .citations import (FORMAT_SURAT_TUGAS, KETUA_TIM, LAPOR_INDIVIDU, LAPOR_KETUA, PENUGASAN, PENUGASAN_SUKARELA,
                        SEKALI_DALAM_TIM, RuleError, cite)
from .common import DitetapkanLetter, Kalimat, Kop, Model, Pegawai, Penandatangan, TempatTanggal, Teks
from .pengawasan import pengawasan_problems


def _lower(value):
    return value.strip().lower() if isinstance(value, str) else value


class AnggotaTim(Pegawai):
    """A member of a Tim Kerja and their position in it."""

    peran: Annotated[Literal["ketua", "anggota"], BeforeValidator(_lower)]

    def to_context(self) -> dict:
        return super().to_context() | {"kedudukan": self.peran.capitalize()}


def ketua_problem(members: list[tuple[object, object]]) -> str | None:
    """What is wrong with a team's roles, given (peran, nama) pairs, or None."""
    ketua = [index for index, (peran, _name) in enumerate(members) if _lower(peran) == "ketua"]
    if len(ketua) == 1:
        return None
    found = ", ".join(f"[{index}] {members[index][1]}" for index in ketua) or _("none")
    return _("a team has exactly one Ketua; found {count}: {found}").format(count=len(ketua), found=found)


class TimKerja(Model):
    nama: Teks
    anggota: list[AnggotaTim] = Field(min_length=1, max_length=500)

    @field_validator("anggota")
    @classmethod
    def _exactly_one_ketua_first(cls, anggota: list[AnggotaTim]) -> list[AnggotaTim]:
        """A team has exactly one Ketua (Perwal Malang 16/2023); the Lampiran lists the Ketua first."""
        problem = ketua_problem([(member.peran, member.nama) for member in anggota])
        if problem:
            raise RuleError(problem, KETUA_TIM)
        ketua = next(index for index, member in enumerate(anggota) if member.peran == "ketua")
        return [anggota[ketua]] + [m for i, m in enumerate(anggota) if i != ketua]

    @field_validator("anggota")
    @classmethod
    def _no_member_twice(cls, anggota: list[AnggotaTim]) -> list[AnggotaTim]:
        seen: set[str] = set()
        for member in anggota:
            if member.nip in seen:
                raise RuleError(_("NIP {nip} ({nama}) is listed twice").format(nip=member.nip, nama=member.nama),
                                SEKALI_DALAM_TIM)
            seen.add(member.nip)
        return anggota

    def pengawasan_problems(self) -> list[tuple[tuple, str]]:
        return pengawasan_problems([(("tim", "anggota", index), member) for index, member in enumerate(self.anggota)])


class SuratPersetujuan(Model):
    """The approval a surat penugasan follows: the reply that approved a request for involvement (Perwal Kota Malang
    16/2023 Lampiran huruf A angka 2 huruf a angka 2) huruf c)), cited as the letter's last Dasar."""

    dari: Teks = Field(description="the official who wrote it: Kepala Dinas Perpustakaan Umum dan Arsip Daerah ...")
    nomor: Teks
    tanggal: dt.date
    hal: Teks
    #: the approval of a request (penunjukan), or of a voluntary application (Lampiran huruf A angka 2 huruf b
    #: angka 2) huruf c))
    mekanisme: Literal["penunjukan", "pengajuan_sukarela"] = "penunjukan"

    def to_context(self) -> dict:
        return {"dari": self.dari, "nomor": self.nomor, "tanggal": self.tanggal, "hal": self.hal}


def _validity_problem(end: dt.date, issued: dt.date, citation: str = FORMAT_SURAT_TUGAS) -> str:
    """A letter valid from its date of issue cannot end before it (the Surat Tugas format says so; ``citation``
    for the others)."""
    return cite(_("validity ends {end}, before the date of issue {issued}").format(
        end=date_text(end), issued=date_text(issued)), citation)


class _SuratTugas(DitetapkanLetter):
    """What both formats share; each names its subject (``hal``) itself."""

    FIELD_CITATIONS = {"dasar": FORMAT_SURAT_TUGAS, "untuk": FORMAT_SURAT_TUGAS, "berlaku_sampai": FORMAT_SURAT_TUGAS}

    kop: Kop
    nomor: Teks
    dasar: list[Kalimat] = Field(min_length=1, max_length=50)
    untuk: list[Kalimat] = Field(min_length=1, max_length=50)
    melapor_kepada: Teks
    berlaku_sampai: dt.date
    ditetapkan: TempatTanggal
    penandatangan: Penandatangan
    #: the copy list under the signature (job titles, numbered); a surat penugasan after an approval across
    #: agencies is copied to the officials Malang Lampiran huruf A angka 2 huruf a angka 3) huruf e) names
    tembusan: list[Teks] = Field(default_factory=list, max_length=30)
    #: a surat penugasan after an approval cites the approval (its number, date and subject)
    rujukan: SuratPersetujuan | None = None

    @field_validator("untuk")
    @classmethod
    def _without_final_punctuation(cls, untuk: list[str]) -> list[str]:
        """The template punctuates the list (";" then "."), so a duty's own final ; or . is dropped."""
        return [duty.rstrip(" ;.") or duty for duty in untuk]

    @classmethod
    def rules_on_raw_fields(cls, fields: dict) -> list[tuple[tuple, str]]:
        """The cross-field rules that can still be judged when some field failed validation, so that one
        refusal lists every problem (pydantic skips a list's checks when one of its items is invalid)."""
        problems = []
        members = (fields.get("tim") or {}).get("anggota") if isinstance(fields.get("tim"), dict) else None
        if isinstance(members, list) and all(isinstance(m, dict) for m in members):
            problem = ketua_problem([(m.get("peran"), m.get("nama")) for m in members])
            if problem:
                problems.append((("tim", "anggota"), cite(problem, KETUA_TIM)))
        try:
            end = TypeAdapter(dt.date).validate_python(fields.get("berlaku_sampai"))
            issued = TypeAdapter(dt.date).validate_python((fields.get("ditetapkan") or {}).get("tanggal"))
        except (ValidationError, AttributeError):
            return problems
        if end < issued:
            problems.append((("berlaku_sampai",), _validity_problem(end, issued)))
        return problems

    def rule_problems(self) -> list[tuple[tuple, str]]:
        problems = [(("penandatangan", *loc), msg) for loc, msg in self.penandatangan.rule_problems()]
        if self.berlaku_sampai < self.ditetapkan.tanggal:
            problems.append((("berlaku_sampai",), _validity_problem(self.berlaku_sampai, self.ditetapkan.tanggal)))
        if self.rujukan and self.rujukan.tanggal > self.ditetapkan.tanggal:
            rule = PENUGASAN_SUKARELA if self.rujukan.mekanisme == "pengajuan_sukarela" else PENUGASAN
            problems.append((("rujukan", "tanggal"), cite(_(
                "{rule}: the assignment follows the approval it cites, which is dated {approved}, after this "
                "letter's date {issued}").format(rule=rule, approved=date_text(self.rujukan.tanggal),
                                                 issued=date_text(self.ditetapkan.tanggal)), rule)))
        return problems

    def to_context(self) -> dict:
        return {
            "kop": self.kop.to_context(),
            "nomor": self.nomor,
            "dasar": list(self.dasar),
            "untuk": list(self.untuk),
            "melapor_kepada": self.melapor_kepada,
            "berlaku_sampai": self.berlaku_sampai,
            "ditetapkan": {"tempat": self.ditetapkan.tempat, "tanggal": self.ditetapkan.tanggal},
            "tanggal": self.tanggal,
            "hal": self.hal,
            "penandatangan": self.penandatangan.to_context(),
            "tembusan": list(self.tembusan),
            "rujukan": self.rujukan.to_context() if self.rujukan else None,
        }


class SuratTugasTim(_SuratTugas):
    """Lampiran C.1: the team is listed in the Lampiran table."""

    FIELD_CITATIONS = _SuratTugas.FIELD_CITATIONS | {"tim": KETUA_TIM, "melapor_kepada": LAPOR_KETUA}

    tim: TimKerja

    def rule_problems(self) -> list[tuple[tuple, str]]:
        return super().rule_problems() + self.tim.pengawasan_problems()

    @property
    def hal(self) -> str:
        return f"Surat Tugas {self.tim.nama}"

    def to_context(self) -> dict:
        return super().to_context() | {
            "tim": {"nama": self.tim.nama, "anggota": [m.to_context() for m in self.tim.anggota]},
        }


class SuratTugasIndividu(_SuratTugas):
    """Lampiran C.2: one official named in the letter itself."""

    FIELD_CITATIONS = _SuratTugas.FIELD_CITATIONS | {"melapor_kepada": LAPOR_INDIVIDU}

    pegawai: Pegawai

    def rule_problems(self) -> list[tuple[tuple, str]]:
        return super().rule_problems() + pengawasan_problems([(("pegawai",), self.pegawai)])

    @property
    def hal(self) -> str:
        return f"Surat Tugas kepada {self.pegawai.nama}"

    def to_context(self) -> dict:
        return super().to_context() | {"pegawai": self.pegawai.to_context()}
