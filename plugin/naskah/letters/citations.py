"""Where each rule a letter enforces comes from, in each city's regulation, so that a refusal names it: the
regulation and article ("Perwal Kota Malang 16/2023 Pasal 9 ayat (3)"), or, for a rule no regulation states, where
it comes from (Permendagri 1/2023 on tata naskah dinas, or "aturan naskah (...)": naskah's own).

A :class:`Rule` knows its article in each regulation (naskah.letters.peraturan), or None where that regulation
does not state it: there it is not enforced (``RULE.applies()`` is False), unless the rule says where else it comes
from (``sumber``), which it then cites. A letter is checked under its own regulation (its ``peraturan``, which the
mapping gives): :func:`under` makes that regulation the current one while the letter is validated and its rules
run (naskah.letters.common.Letter does it), so ``cite(message, RULE)`` prints the current regulation's article.

A rule's message carries its citation as a :class:`Cited` text (a ``str``: every place that passes messages along
keeps working), or a :class:`RuleError` for a validator pydantic calls; naskah.validate puts the citation beside
the message on the ``Problem`` and at the end of its text.

The articles follow the regulation texts in ``../shared/regulations/``; a Lampiran is cited by its headings
("Lampiran huruf A angka 2 huruf a angka 2) huruf c)").
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from .peraturan import CILEGON, DEFAULT, MALANG, NAMA_PERATURAN, TANGERANG

#: the regulation of the letter being checked (naskah.letters.common.Letter sets it)
_CURRENT: ContextVar[str] = ContextVar("naskah_peraturan", default=DEFAULT)


def current() -> str:
    """The key of the regulation the letter being checked follows."""
    return _CURRENT.get()


def known(peraturan) -> str:
    """``peraturan`` when naskah knows it, else the default (the letter's own validation names a wrong one)."""
    return peraturan if isinstance(peraturan, str) and peraturan in NAMA_PERATURAN else DEFAULT


@contextmanager
def under(peraturan):
    """Check a letter under ``peraturan``: ``cite`` names its articles meanwhile."""
    token = _CURRENT.set(known(peraturan))
    try:
        yield
    finally:
        _CURRENT.reset(token)


@dataclass(frozen=True)
class Rule:
    """One rule and where each regulation states it; ``sumber`` is cited where a regulation does not."""

    malang: str | None = None
    cilegon: str | None = None
    tangerang: str | None = None
    #: where the rule comes from when the regulation does not state it (Permendagri 1/2023, "aturan naskah (...)");
    #: None: the rule is not enforced under such a regulation
    sumber: str | None = None

    def article(self, peraturan: str | None = None) -> str | None:
        """The rule's article in ``peraturan`` (the current regulation by default), or None."""
        return {MALANG: self.malang, CILEGON: self.cilegon, TANGERANG: self.tangerang}[known(peraturan or current())]

    def applies(self, peraturan: str | None = None) -> bool:
        """Whether a letter under ``peraturan`` (the current regulation by default) follows this rule."""
        return self.article(peraturan) is not None or self.sumber is not None

    def citation(self, peraturan: str | None = None) -> str | None:
        """ "Perwal Kota Cilegon 17/2023 Pasal 9 ayat (1)", the ``sumber``, or None where the rule does not apply."""
        key = known(peraturan or current())
        article = self.article(key)
        return f"{NAMA_PERATURAN[key]} {article}" if article else self.sumber

    def __str__(self) -> str:
        return self.citation() or ""


def naskah(why: str) -> Rule:
    """A rule no regulation states: naskah's own, and why."""
    return Rule(sumber=f"aturan naskah ({why})")


def permendagri(where: str) -> Rule:
    """A rule of Permendagri 1/2023 on tata naskah dinas, the same in every city."""
    return Rule(sumber=f"Permendagri 1/2023 {where}")


#: Malang's Lampiran part on the request for involvement (penunjukan), and Cilegon's
_M_PENUNJUKAN = "Lampiran huruf A angka 2 huruf a"
_C_PENUNJUKAN = "Lampiran huruf B angka 1"
#: the four contents of a request; Tangerang Pasal 24 ayat (3) has its own (huruf c: uraian tugas dan target
#: capaian individu, where the others ask for the ekspektasi/target kinerja)
_MEMUAT = "(surat permohonan pelibatan paling sedikit memuat angka 1)-4))"
_FORMAT_TATA_NASKAH = "Permendagri 1/2023 (tata naskah dinas: surat perintah dan surat tugas)"

#: exactly one Ketua; the others Anggota (Cilegon: the Pimpinan Unit Organisasi appoints one of them Ketua;
#: Tangerang: Pasal 22 ayat (1) sets "ketua tim kerja")
KETUA_TIM = Rule("Pasal 9 ayat (3)", "Lampiran huruf C angka 1 huruf c", "Pasal 22 ayat (1)")
#: the format of the Surat Tugas: Dasar, Untuk, valid from its date of issue until the date it names (Malang's
#: Lampiran huruf C; Cilegon Pasal 6 ayat (4) and Tangerang Pasal 22 ayat (4) name the letter without a format)
FORMAT_SURAT_TUGAS = Rule("Lampiran huruf C", sumber=_FORMAT_TATA_NASKAH)
#: an official assigned alone reports to the Pimpinan Unit Organisasi
LAPOR_INDIVIDU = Rule("Pasal 13", "Pasal 11 ayat (1)", "Pasal 26 huruf a")
#: a team's Ketua reports the team's work to the Pimpinan Unit Organisasi
LAPOR_KETUA = Rule("Pasal 14 ayat (2)", "Pasal 11 ayat (3)", "Pasal 26 huruf c")
#: the four contents a request must state (maksud dan tujuan, kompetensi, ekspektasi kinerja or, in Tangerang,
#: uraian tugas dan target capaian individu, durasi)
ISI_PERMOHONAN = Rule(f"{_M_PENUNJUKAN} {_MEMUAT}", f"{_C_PENUNJUKAN} {_MEMUAT}", "Pasal 24 ayat (3)")
#: the ekspektasi/target kinerja, the third of the four in Malang and Cilegon
EKSPEKTASI_KINERJA = Rule(f"{_M_PENUNJUKAN} (surat permohonan pelibatan paling sedikit memuat angka 3) "
                          "ekspektasi/target kinerja)",
                          f"{_C_PENUNJUKAN} (surat permohonan pelibatan paling sedikit memuat angka 3) "
                          "ekspektasi/target kinerja)")
#: Tangerang's third: the duties and the individual targets
URAIAN_TUGAS = Rule(tangerang="Pasal 24 ayat (3) huruf c")
#: the duration, the fourth of those contents
DURASI_PELIBATAN = Rule(f"{_M_PENUNJUKAN} (surat permohonan pelibatan paling sedikit memuat angka 4) durasi "
                        "pelibatan)",
                        f"{_C_PENUNJUKAN} (surat permohonan pelibatan paling sedikit memuat angka 4) durasi "
                        "pelibatan)",
                        "Pasal 24 ayat (3) huruf d")
#: a cross-agency request goes to the Pejabat yang Berwenang of the agency asked (Tangerang states no
#: cross-agency request: the letter still names the agency it asks)
PERMOHONAN_LINTAS_INSTANSI = Rule(f"{_M_PENUNJUKAN} angka 3) huruf b)", f"{_C_PENUNJUKAN} huruf c angka 2)",
                                  sumber="aturan naskah (permohonan lintas instansi menyebut instansi yang dituju)")
#: Tangerang: a team across Perangkat Daerah is assigned on the Sekretaris Daerah's consideration, so a request
#: across Perangkat Daerah goes to or is copied to the Sekretaris Daerah
SEKDA_LINTAS_PERANGKAT_DAERAH = Rule(tangerang="Pasal 22 ayat (4) huruf b")
#: the reply to a request, by the requested officials' Pejabat Penilai Kinerja
JAWABAN_PERMOHONAN = Rule(f"{_M_PENUNJUKAN} angka 2) huruf b)", f"{_C_PENUNJUKAN} huruf b angka 2)")
#: across agencies the assessor sends the reply to its own Pejabat yang Berwenang, who sends it on to the
#: requesting agency's (Tangerang states no cross-agency request)
JAWABAN_LINTAS_INSTANSI = Rule(f"{_M_PENUNJUKAN} angka 3) huruf e) angka (1)",
                               f"{_C_PENUNJUKAN} huruf c angka 5) huruf a)")
#: an approval assigns officials who meet the criteria the request gave
PERSETUJUAN_PERMOHONAN = Rule(f"{_M_PENUNJUKAN} angka 2) huruf c)", f"{_C_PENUNJUKAN} huruf b angka 3)")
#: across agencies the reply carries the list of the officials assigned
DAFTAR_DITUGASKAN = Rule(f"{_M_PENUNJUKAN} angka 3) huruf e) angka (1)", f"{_C_PENUNJUKAN} huruf c angka 5) huruf a)")
#: a refusal of a request gives the reasons
PENOLAKAN_PERMOHONAN = Rule(f"{_M_PENUNJUKAN} angka 2) huruf d)", f"{_C_PENUNJUKAN} huruf b angka 4)")
#: the surat penugasan after an approval follows the approval it cites
PENUGASAN = Rule(PERSETUJUAN_PERMOHONAN.malang, PERSETUJUAN_PERMOHONAN.cilegon,
                 sumber="aturan naskah (surat penugasan sesudah persetujuan yang dirujuknya)")
#: the request is copied to the Pejabat Penilai Kinerja of the officials it asks for
TEMBUSAN_PERMOHONAN = Rule(f"{_M_PENUNJUKAN} angka 2) huruf a)", f"{_C_PENUNJUKAN} huruf b angka 1)")
#: voluntary applications only within the unit and across units of the same agency (Malang says so; Cilegon's
#: Lampiran gives the mechanisms within a unit and across units only; Tangerang Pasal 24 ayat (4) sets no bound)
SUKARELA_DALAM_INSTANSI = Rule("Lampiran huruf A angka 2 huruf b", "Lampiran huruf B angka 2 huruf a dan huruf b")
#: a voluntary application across units or Perangkat Daerah needs the direct superior's consent (Malang only:
#: Cilegon copies the application to the Pejabat Penilai Kinerja, who approves it afterwards)
PERSETUJUAN_ATASAN = Rule("Pasal 10 ayat (5)")
#: Cilegon: the application is copied to the applicant's Pejabat Penilai Kinerja and Pimpinan Unit Organisasi
TEMBUSAN_SUKARELA = Rule(cilegon="Lampiran huruf B angka 2 huruf b angka 1)")
#: a written refusal of a voluntary application gives the reasons
PENOLAKAN_SUKARELA = Rule("Lampiran huruf A angka 2 huruf b angka 2) huruf e)")
#: the first step of a cross-agency request: the Pimpinan Unit Organisasi asks its own Pejabat yang Berwenang, copied
#: to the Pejabat Penilai Kinerja concerned in its agency (naskah.letters.pelibatan)
PERMOHONAN_KE_PEJABAT_BERWENANG = Rule(f"{_M_PENUNJUKAN} angka 3) huruf a)", f"{_C_PENUNJUKAN} huruf c angka 1)")
#: Cilegon: a request across units is addressed to the Pejabat Penilai Kinerja dituju
PERMOHONAN_KEPADA_PENILAI = Rule(cilegon=f"{_C_PENUNJUKAN} huruf b angka 1)")
#: the Pimpinan Unit Organisasi dituju approves a voluntary application in writing; the applicant takes it to their
#: Pejabat Penilai Kinerja, who assigns them (the surat penugasan)
PERSETUJUAN_SUKARELA = Rule("Lampiran huruf A angka 2 huruf b angka 2) huruf b)",
                            "Lampiran huruf B angka 2 huruf b angka 2)")
PENUGASAN_SUKARELA = Rule("Lampiran huruf A angka 2 huruf b angka 2) huruf c)",
                          "Lampiran huruf B angka 2 huruf b angka 3)")
#: Tangerang: the penunjukan and the pengajuan sukarela (Pasal 24-28) exclude the functional officials who carry out a
#: supervisory function (naskah.letters.pengawasan)
PENGAWASAN_DIKECUALIKAN = Rule(tangerang="Pasal 29")
#: the signer other than the regional head, the deputy and the regional secretary prints NIP and rank
NIP_PENANDATANGAN = permendagri("Pasal 44 ayat (3)")
#: signing on behalf of (a.n.) or for (u.b.) an official names that official (tata naskah dinas)
ATAS_NAMA = permendagri("(tata naskah dinas: a.n. dan u.b.)")

#: the rules no regulation states: naskah's own, and why
STRUKTUR_NIP = naskah("struktur NIP")
TEKS_CETAK = naskah("teks yang dapat dicetak dalam DOCX")
SEKALI_DALAM_TIM = naskah("satu pegawai sekali dalam satu tim")
NOMOR_YANG_DIJAWAB = naskah("jawaban menyebut nomor surat yang dijawab")
DURASI_JAWABAN = naskah("persetujuan menyebut durasi pelibatan")
MASA_BERLAKU = naskah("berlaku sejak tanggal ditetapkan")
LAMPIRAN_TERLAMPIR = naskah("baris Lampiran menurut berkas yang dilampirkan")


def _text_of(rule) -> str | None:
    return rule.citation() if isinstance(rule, Rule) else rule


class Cited(str):
    """A refusal's text that names the article it enforces; ``citation`` is that article alone."""

    citation: str | None

    def __new__(cls, text: str, citation: str | None):
        cited = super().__new__(cls, text)
        cited.citation = citation
        return cited


class RuleError(ValueError):
    """A rule's refusal raised inside a pydantic validator, with the article it enforces."""

    def __init__(self, message: str, rule: Rule | str):
        super().__init__(message)
        self.citation = _text_of(rule)


def cite(message: str, rule: Rule | str) -> Cited:
    """``message`` as the refusal of ``rule``, citing its article in the current regulation (a ``str`` cites
    itself: the articles a regulation's own table names, naskah.letters.penetapan)."""
    return Cited(message, _text_of(rule))


def citation_of(message) -> str | None:
    """The article a refusal's message names, or None (a payload's shape, not a rule)."""
    return getattr(message, "citation", None)


class RuleCitations(dict):
    """A letter's ``FIELD_CITATIONS`` (field -> Rule): the article of the current regulation, looked up."""

    def get(self, key, default=None):
        rule = super().get(key)
        return default if rule is None else _text_of(rule)

    def __getitem__(self, key):
        return _text_of(super().__getitem__(key))


def validated_under_own_regulation(data, handler):
    """A letter's validation (a pydantic wrap validator) under the regulation its fields name: the rules its parts
    check meanwhile cite that regulation's articles. The regulation stays current when validation fails, so that
    naskah.validate cites a missing field's rule by it (``FIELD_CITATIONS``)."""
    peraturan = data.get("peraturan") if isinstance(data, dict) else getattr(data, "peraturan", None)
    token = _CURRENT.set(known(peraturan))
    result = handler(data)  # raising, it leaves the letter's regulation current
    _CURRENT.reset(token)
    return result


def follow_own_regulation(cls) -> None:
    """Make a letter kind's rules cite its own regulation: ``rule_problems`` runs under the letter's ``peraturan``,
    ``rules_on_raw_fields`` under the one its fields name, and ``FIELD_CITATIONS`` gives the current article."""
    own = cls.__dict__
    if "rule_problems" in own:
        cls.rule_problems = _under_letters(own["rule_problems"])
    if "rules_on_raw_fields" in own and isinstance(own["rules_on_raw_fields"], classmethod):
        cls.rules_on_raw_fields = classmethod(_under_fields(own["rules_on_raw_fields"].__func__))
    if "FIELD_CITATIONS" in own and not isinstance(own["FIELD_CITATIONS"], RuleCitations):
        cls.FIELD_CITATIONS = RuleCitations(own["FIELD_CITATIONS"])


def _under_letters(method):
    if getattr(method, "_under_own_regulation", False):
        return method

    def rule_problems(self, *args, **kwargs):
        with under(getattr(self, "peraturan", None)):
            return method(self, *args, **kwargs)

    rule_problems._under_own_regulation = True
    rule_problems.__doc__ = method.__doc__
    return rule_problems


def _under_fields(function):
    def rules_on_raw_fields(cls, fields, *args, **kwargs):
        with under(fields.get("peraturan") if isinstance(fields, dict) else None):
            return function(cls, fields, *args, **kwargs)

    rules_on_raw_fields.__doc__ = function.__doc__
    return rules_on_raw_fields
