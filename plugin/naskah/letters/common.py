"""Pieces every letter shares: text fields, NIP, officials, the kop and the signature block, and ``Letter``,
the base of every letter kind, which says what a letter tells anyone about itself (its public facts).

The rules here are the regulations' (Permendagri 1/2023 on naskah dinas, the Sistem Kerja Perwal);
a value that breaks one is refused before anything is rendered.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from ..formatting import nip as format_nip
from ..i18n import _, date_text
from .citations import (ATAS_NAMA, NIP_PENANDATANGAN, STRUKTUR_NIP, TEKS_CETAK, RuleError, cite,
                        follow_own_regulation, validated_under_own_regulation)
from .peraturan import DEFAULT as DEFAULT_PERATURAN, Peraturan

# Characters XML 1.0 cannot carry: a DOCX holding one is broken, so such text is refused.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean_text(value: str) -> str:
    if _XML_FORBIDDEN.search(value):
        raise RuleError(_("contains control characters that a letter cannot print"), TEKS_CETAK)
    return unicodedata.normalize("NFC", value)


def _text(max_length: int):
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length),
        AfterValidator(_clean_text),
    ]


#: A name, title or short phrase.
Teks = _text(300)
#: A sentence or paragraph of the letter (a duty, a reason, a legal basis).
Kalimat = _text(2000)


def _check_nip(value: str) -> str:
    """The NIP's structure (18 digits: birth date, appointment year and month or the PPPK code 21, sex, serial)."""
    try:
        return _nip_digits(value)
    except ValueError as exc:
        raise RuleError(str(exc), STRUKTUR_NIP) from None


def _nip_digits(value: str) -> str:
    digits = value.replace(" ", "")
    if not digits.isdigit() or len(digits) != 18:
        raise ValueError(_("a NIP has 18 digits, got {value} ({count} characters)").format(
            value=_preview(value), count=len(digits)))
    try:
        born = dt.date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise ValueError(_("NIP {nip} does not start with a valid birth date (YYYYMMDD)").format(nip=digits)) \
            from None
    year, month = int(digits[8:12]), int(digits[12:14])
    # NIP PPPK (contract staff) carries the code 21 where a civil servant's NIP has the month.
    if not (1 <= month <= 12 or month == 21):
        raise ValueError(_("NIP {nip}: digits 9-14 must be the appointment year and month (YYYYMM)").format(
            nip=digits))
    if year < born.year + 15 or year > dt.date.today().year:
        raise ValueError(_("NIP {nip}: appointment year {year} does not fit the birth date {born}").format(
            nip=digits, year=year, born=date_text(born)))
    if digits[14] not in "12":
        raise ValueError(_("NIP {nip}: digit 15 must be 1 (male) or 2 (female), got {digit}").format(
            nip=digits, digit=digits[14]))
    if digits[15:] == "000":
        raise ValueError(_("NIP {nip}: serial number 000 does not exist").format(nip=digits))
    return digits


def _preview(value: str, limit: int = 40) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "...")


def _coerce_str(value):
    """A NIP or NIK sent as a JSON number is still a NIP; other types fail the str check."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


NIP = Annotated[str, BeforeValidator(_coerce_str), AfterValidator(_check_nip)]
NIK = Annotated[str, BeforeValidator(_coerce_str), StringConstraints(pattern=r"^\d{16}$")]


class Model(BaseModel):
    """Letter parts: unknown fields are mapping mistakes, so they are refused, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Pegawai(Model):
    """A civil servant (ASN) as a letter names them."""

    nip: NIP
    nama: Teks
    pangkat: Teks | None = None
    golongan: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[IVX]{1,3}/[a-e]$")] | None = None
    jabatan: Teks

    @property
    def pangkat_golongan(self) -> str:
        """ "Penata Tingkat I (III/d)"; a PPPK has a grade without a rank name."""
        if self.pangkat and self.golongan:
            return f"{self.pangkat} ({self.golongan})"
        return self.pangkat or self.golongan or "-"

    def to_context(self) -> dict:
        return {
            "nip": self.nip,
            "nama": self.nama,
            "pangkat": self.pangkat or "",
            "golongan": self.golongan or "",
            "pangkat_golongan": self.pangkat_golongan,
            "jabatan": self.jabatan,
        }


#: An emblem's file name: a plain name in the templates' ``lambang/`` folder, never a path (naskah.render).
LAMBANG_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,100}\.png$"


class Kop(Model):
    """The letterhead of the issuing agency."""

    pemerintah: Teks
    nama: Teks
    alamat: Teks
    kota: Teks | None = None
    kode_pos: Annotated[str, BeforeValidator(_coerce_str), StringConstraints(pattern=r"^\d{5}$")] | None = None
    telepon: Teks | None = None
    faks: Teks | None = None
    laman: Teks | None = None
    email: Teks | None = None
    #: the regional emblem left of the kop text: a PNG in the templates' ``lambang/`` folder, named by the mapping
    lambang: Annotated[str, StringConstraints(pattern=LAMBANG_NAME)] | None = None

    def to_context(self) -> dict:
        address = self.alamat
        place = " ".join(part for part in (self.kota, self.kode_pos) if part)
        if place:
            address = f"{address} {place}"
        contacts = [address]
        if self.telepon:
            contacts.append(f"Telp. {self.telepon}")
        if self.faks:
            contacts.append(f"Faks. {self.faks}")
        online = []
        if self.laman:
            online.append(f"Laman: {self.laman}")
        if self.email:
            online.append(f"Pos-el: {self.email}")
        return {
            "pemerintah": self.pemerintah.upper(),
            "nama": self.nama.upper(),
            "alamat": ", ".join(contacts),
            "laman": ", ".join(online),
            # the contact line's parts, for a template set that writes its city's own words before them
            "website": self.laman or "",
            "email": self.email or "",
            "lambang": self.lambang or "",
        }


#: Officials who sign without rank and NIP (Permendagri 1/2023 Pasal 44): the regional head,
#: the deputy and the regional secretary.
_SIGNS_WITHOUT_NIP = re.compile(
    r"^(wakil\s+)?(wali\s*kota|bupati|gubernur)\b|^sekretaris\s+daerah\b", re.IGNORECASE
)

Kedudukan = Literal["a.n.", "u.b.", "Plt.", "Plh."]


class Penandatangan(Model):
    """The official who signs, and on whose behalf (a.n., u.b.) or in what capacity (Plt., Plh.)."""

    kedudukan: Kedudukan | None = None
    jabatan_pemberi: Teks | None = Field(default=None, description="for a.n. and u.b.: the principal")
    jabatan_perantara: Teks | None = Field(default=None, description="for u.b.: the official in between")
    jabatan: Teks
    nama: Teks
    pangkat: Teks | None = None
    golongan: Teks | None = None
    nip: NIP | None = None
    nik: NIK | None = None

    @property
    def prints_rank_and_nip(self) -> bool:
        return not _SIGNS_WITHOUT_NIP.match(self.jabatan)

    def rule_problems(self) -> list[tuple[tuple, str]]:
        problems = []
        if self.kedudukan in ("a.n.", "u.b.") and not self.jabatan_pemberi:
            problems.append((("jabatan_pemberi",), cite(_("required when signing {kedudukan} (on behalf of whom)").format(
                kedudukan=self.kedudukan), ATAS_NAMA)))
        if self.kedudukan == "u.b." and not self.jabatan_perantara:
            problems.append((("jabatan_perantara",), cite(_("required when signing u.b. (the official signing a.n.)"),
                                                         ATAS_NAMA)))
        if self.prints_rank_and_nip and not self.nip:
            problems.append((("nip",), cite(_("required: a {jabatan} signs with rank and NIP").format(
                jabatan=self.jabatan), NIP_PENANDATANGAN)))
        return problems

    @property
    def baris_jabatan(self) -> list[str]:
        """The title lines above the signature, the last one ending with a comma."""
        if self.kedudukan == "a.n.":
            lines = [f"a.n. {self.jabatan_pemberi}", self.jabatan]
        elif self.kedudukan == "u.b.":
            lines = [f"a.n. {self.jabatan_pemberi}", self.jabatan_perantara, "u.b.", self.jabatan]
        elif self.kedudukan in ("Plt.", "Plh."):
            lines = [f"{self.kedudukan} {self.jabatan}"]
        else:
            lines = [self.jabatan]
        lines[-1] = lines[-1] + ","
        return lines

    def to_context(self) -> dict:
        prints = self.prints_rank_and_nip
        return {
            "kedudukan": self.kedudukan or "",
            "jabatan": self.jabatan,
            "nama": self.nama,
            "pangkat": self.pangkat or "",
            "golongan": self.golongan or "",
            "nip": self.nip or "",
            "baris_jabatan": self.baris_jabatan,
            "baris_pangkat": (self.pangkat or "") if prints else "",
            "baris_nip": f"NIP {format_nip(self.nip)}" if prints and self.nip else "",
        }


class TempatTanggal(Model):
    """Place and date of issue ("Ditetapkan di ... pada tanggal ...")."""

    tempat: Teks
    tanggal: dt.date


@dataclass(frozen=True)
class PublicFacts:
    """What a letter says about itself to anyone holding it: the verification page shows it and the store keeps
    it for every letter. Never a NIP, a team member or the host's workflow id."""

    issuer: tuple[str, ...]
    nomor: str | None
    tanggal: str | None  # ISO date
    hal: str | None
    signer_name: str | None
    signer_title_lines: tuple[str, ...]


class Letter(Model):
    """A whole letter of one kind (its parts are plain ``Model``s).

    A kind with a kop and a ``penandatangan`` (most of them) gets its issuer and signer from those as they are;
    a kind without (an applicant's own letter) says otherwise. Each kind has ``nomor``, ``tanggal``, ``hal`` and
    ``tempat``, as fields or as properties.

    ``NOMOR_FIELD`` and ``TANGGAL_FIELD`` say where the number and the date of issue sit among the fields: both
    become final at signing (the signature flow sets them there), and ``NOMOR_FIELD`` is None for a letter that
    carries no number (an applicant's own letter).
    """

    NOMOR_FIELD: ClassVar[tuple[str, ...] | None] = ("nomor",)
    TANGGAL_FIELD: ClassVar[tuple[str, ...]] = ("tanggal",)
    #: the article a required field's rule enforces, cited when the field is absent or empty (naskah.validate)
    FIELD_CITATIONS: ClassVar[dict[str, object]] = {}

    #: the regulation the letter follows (naskah.letters.peraturan): the mapping's ``peraturan:``, never the
    #: payload's; its rules cite their article in it (naskah.letters.citations)
    peraturan: Peraturan = DEFAULT_PERATURAN

    @model_validator(mode="wrap")
    @classmethod
    def _under_its_regulation(cls, data, handler):
        return validated_under_own_regulation(data, handler)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs):
        super().__pydantic_init_subclass__(**kwargs)
        follow_own_regulation(cls)

    @property
    def issuer(self) -> list[str]:
        """Who issues the letter, as its kop names it."""
        return [self.kop.pemerintah, self.kop.nama]

    @property
    def signer(self) -> Penandatangan:
        return self.penandatangan

    @property
    def baris_jabatan(self) -> list[str]:
        """The title lines above the signature, the last one ending with a comma."""
        return self.signer.baris_jabatan

    @property
    def signer_title_lines(self) -> list[str]:
        """The signer's title as the letter prints it, without the final comma."""
        lines = list(self.baris_jabatan)
        lines[-1] = lines[-1].rstrip(",").strip()
        return [line for line in lines if line]

    @property
    def signer_title(self) -> str:
        """The signer's title on one line, as the PDF signature names it."""
        return " ".join(self.signer_title_lines)

    def public_facts(self) -> PublicFacts:
        return PublicFacts(issuer=tuple(self.issuer), nomor=self.nomor or None, tanggal=self.tanggal.isoformat(),
                           hal=self.hal or None, signer_name=self.signer.nama,
                           signer_title_lines=tuple(self.signer_title_lines))


class DitetapkanLetter(Letter):
    """A letter dated where it is set ("Ditetapkan di ... pada tanggal ..."): the Surat Tugas and Surat Perintah
    (Perwal Kota Malang 16/2023 Lampiran C) and the Keputusan. Its place and date of issue are ``ditetapkan``'s."""

    TANGGAL_FIELD = ("ditetapkan", "tanggal")

    @property
    def tanggal(self) -> dt.date:
        return self.ditetapkan.tanggal

    @property
    def tempat(self) -> str:
        return self.ditetapkan.tempat

