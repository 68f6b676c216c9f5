"""One payload mistake per rule of every letter kind, with the field the refusal names and what it says in English
and in Indonesian: the messages tests (tests/unit/test_messages.py) and the service's (test_service_language.py)
share them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from samples import load_sample


@dataclass(frozen=True)
class Refusal:
    name: str
    sample: str
    mistake: Callable[[dict], None]
    field: str
    english: str
    indonesian: str

    def payload(self) -> dict:
        payload = load_sample(self.sample)
        self.mistake(payload)
        return payload


def _set(path: str, value) -> Callable[[dict], None]:
    """``data.tim.anggota.2.nip`` set to ``value`` (a missing value deletes the field)."""
    def mistake(payload: dict) -> None:
        *parents, last = path.split(".")
        target = payload
        for step in parents:
            target = target[int(step)] if isinstance(target, list) else target[step]
        if value is _DELETE:
            del target[last]
        elif isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return mistake


_DELETE = object()


def _two_ketua(payload: dict) -> None:
    payload["data"]["tim"]["anggota"][3]["peran"] = "Ketua"


def _member_twice(payload: dict) -> None:
    members = payload["data"]["tim"]["anggota"]
    members[1]["nip"] = members[2]["nip"]


def _signer_without_nip(payload: dict) -> None:
    payload["data"]["penandatangan"].update(kedudukan=None, jabatan="Kepala Bidang Perencanaan", nip=None)


TIM, INDIVIDU = "surat-tugas-tim", "surat-tugas-individu"
PERMOHONAN, PERMOHONAN_INSTANSI = "permohonan-pelibatan-lintas-unit", "permohonan-pelibatan-lintas-instansi"
DISETUJUI, DITOLAK = "jawaban-pelibatan-disetujui", "jawaban-pelibatan-ditolak"
PENGAJUAN, PENOLAKAN = "pengajuan-sukarela-lintas-unit", "penolakan-pengajuan-sukarela"
NIP = "data.tim.anggota.2.nip"

REFUSALS = [
    Refusal("field missing", TIM, _set("data.nomor", _DELETE), "data.nomor",
            "required, missing from the payload", "wajib diisi, tidak ada dalam payload"),
    Refusal("NIP length", TIM, _set(NIP, "19850314201001100"), "data.tim.anggota[2].nip",
            "a NIP has 18 digits, got '19850314201001100' (17 characters)",
            "NIP terdiri atas 18 digit, yang diisikan '19850314201001100' (17 karakter)"),
    Refusal("NIP birth date", TIM, _set(NIP, "19851314201001 1002"), "data.tim.anggota[2].nip",
            "does not start with a valid birth date (YYYYMMDD)", "tidak diawali tanggal lahir yang benar (TTTTBBHH)"),
    Refusal("NIP appointment month", TIM, _set(NIP, "198503142010131002"), "data.tim.anggota[2].nip",
            "NIP 198503142010131002: digits 9-14 must be the appointment year and month (YYYYMM)",
            "NIP 198503142010131002: digit ke-9 sampai ke-14 harus tahun dan bulan pengangkatan (TTTTBB)"),
    Refusal("NIP appointment year", TIM, _set(NIP, "198503141990011002"), "data.tim.anggota[2].nip",
            "appointment year 1990 does not fit the birth date 1985-03-14",
            "tahun pengangkatan 1990 tidak sesuai dengan tanggal lahir 14 Maret 1985"),
    Refusal("NIP sex digit", TIM, _set(NIP, "198503142010013002"), "data.tim.anggota[2].nip",
            "digit 15 must be 1 (male) or 2 (female), got 3",
            "digit ke-15 harus 1 (laki-laki) atau 2 (perempuan), yang diisikan 3"),
    Refusal("NIP serial", TIM, _set(NIP, "198503142010011000"), "data.tim.anggota[2].nip",
            "serial number 000 does not exist", "nomor urut 000 tidak ada"),
    Refusal("two Ketua", TIM, _two_ketua, "data.tim.anggota",
            "a team has exactly one Ketua; found 2: [0] Ahmad Fauzi",
            "tim kerja harus memiliki tepat satu Ketua Tim; ditemukan 2: [0] Ahmad Fauzi"),
    Refusal("no Ketua", TIM, _set("data.tim.anggota.0.peran", "anggota"), "data.tim.anggota",
            "a team has exactly one Ketua; found 0: none", "tim kerja harus memiliki tepat satu Ketua Tim; "
                                                            "ditemukan 0: tidak ada"),
    Refusal("member twice", TIM, _member_twice, "data.tim.anggota", "is listed twice", "tercantum dua kali"),
    Refusal("unknown role", TIM, _set("data.tim.anggota.1.peran", "sekretaris"), "data.tim.anggota[1].peran",
            "Input should be 'ketua' or 'anggota' (got 'sekretaris')",
            "harus diisi 'ketua' atau 'anggota' (yang diisikan: 'sekretaris')"),
    Refusal("validity before issue", TIM, _set("data.berlaku_sampai", "2023-01-01"), "data.berlaku_sampai",
            "validity ends 2023-01-01, before the date of issue 2023-06-27",
            "masa berlaku berakhir 1 Januari 2023, sebelum tanggal ditetapkan 27 Juni 2023"),
    Refusal("no Dasar", TIM, _set("data.dasar", []), "data.dasar",
            "List should have at least 1 item after validation, not 0",
            "harus berisi paling sedikit 1 butir; yang diisikan 0 butir"),
    Refusal("not a list", TIM, _set("data.untuk", "bekerja"), "data.untuk",
            "Input should be a valid list (got 'bekerja')", "harus berupa daftar (yang diisikan: 'bekerja')"),
    Refusal("not a date", INDIVIDU, _set("data.berlaku_sampai", "31/12/2023"), "data.berlaku_sampai",
            "Input should be a valid date", "harus berupa tanggal dengan format TTTT-BB-HH"),
    Refusal("too long", INDIVIDU, _set("data.untuk.0", "x" * 2001), "data.untuk[0]",
            "String should have at most 2000 characters", "paling banyak 2000 karakter"),
    Refusal("empty text", INDIVIDU, _set("data.pegawai.nama", "  "), "data.pegawai.nama",
            "String should have at least 1 character", "harus berisi paling sedikit 1 karakter"),
    Refusal("control characters", INDIVIDU, _set("data.pegawai.nama", "Budi\x07"), "data.pegawai.nama",
            "contains control characters that a letter cannot print",
            "berisi karakter kendali yang tidak dapat dicetak pada surat"),
    Refusal("a.n. without the principal", INDIVIDU, _set("data.penandatangan.jabatan_pemberi", _DELETE),
            "data.penandatangan.jabatan_pemberi", "required when signing a.n. (on behalf of whom)",
            "wajib diisi bila menandatangani a.n. (atas nama siapa)"),
    Refusal("signer without NIP", INDIVIDU, _signer_without_nip, "data.penandatangan.nip",
            "required: a Kepala Bidang Perencanaan signs with rank and NIP",
            "wajib diisi: Kepala Bidang Perencanaan menandatangani dengan pangkat dan NIP"),
    Refusal("unknown signature prefix", INDIVIDU, _set("data.penandatangan.kedudukan", "atas nama"),
            "data.penandatangan.kedudukan", "Input should be 'a.n.', 'u.b.', 'Plt.' or 'Plh.'",
            "harus diisi 'a.n.', 'u.b.', 'Plt.' atau 'Plh.'"),
    Refusal("request without its purpose", PERMOHONAN, _set("data.maksud_tujuan", _DELETE), "data.maksud_tujuan",
            "required, missing from the payload", "wajib diisi, tidak ada dalam payload"),
    Refusal("duration ends before it starts", PERMOHONAN,
            _set("data.durasi", {"mulai": "2023-12-31", "selesai": "2023-09-01"}), "data.durasi.selesai",
            "ends 2023-09-01, before it starts 2023-12-31",
            "berakhir 1 September 2023, sebelum dimulai 31 Desember 2023"),
    Refusal("involvement before the request", PERMOHONAN, _set("data.durasi.mulai", "2023-08-01"),
            "data.durasi.mulai", "involvement starts 2023-08-01, before the request's date 2023-08-14",
            "pelibatan dimulai 1 Agustus 2023, sebelum tanggal surat permohonan 14 Agustus 2023"),
    Refusal("no officials asked for", PERMOHONAN, _set("data.jumlah_pegawai", 0), "data.jumlah_pegawai",
            "Input should be greater than or equal to 1", "paling sedikit 1"),
    Refusal("cross-agency request without the agency", PERMOHONAN_INSTANSI, _set("data.instansi_tujuan", _DELETE),
            "data.instansi_tujuan", "required for a cross-agency request: the agency asked",
            "wajib diisi untuk permohonan lintas instansi: instansi yang dimohon"),
    Refusal("approval without officials", DISETUJUI, _set("data.pegawai_ditugaskan", []), "data.pegawai_ditugaskan",
            "an approval lists at least one official assigned",
            "persetujuan mencantumkan paling sedikit satu pegawai yang ditugaskan"),
    Refusal("approval without duration", DISETUJUI, _set("data.durasi", _DELETE), "data.durasi",
            "an approval states the duration of the involvement", "persetujuan mencantumkan jangka waktu pelibatan"),
    Refusal("reply without the request's number", DISETUJUI, _set("data.surat_permohonan.nomor", None),
            "data.surat_permohonan.nomor", "required: the reply cites the request's number",
            "wajib diisi: surat jawaban menyebut nomor surat permohonan"),
    Refusal("refusal without a reason", DITOLAK, _set("data.alasan", []), "data.alasan",
            "a refusal gives at least one reason", "penolakan mencantumkan paling sedikit satu alasan"),
    Refusal("application without consent", PENGAJUAN, _set("data.persetujuan_atasan", _DELETE),
            "data.persetujuan_atasan", "required, missing from the payload", "wajib diisi, tidak ada dalam payload"),
    Refusal("written refusal without reasons", PENOLAKAN, _set("data.alasan", _DELETE), "data.alasan",
            "required, missing from the payload", "wajib diisi, tidak ada dalam payload"),
    Refusal("no workflow id", TIM, _set("workflow.id", _DELETE), "workflow.id",
            "required to identify the letter, missing from the payload",
            "wajib diisi untuk mengenali surat, tidak ada dalam payload"),
    Refusal("no mapping matches", TIM, _set("workflow.jenis", "surat_edaran"), "",
            "no mapping matches this payload", "tidak ada mapping yang cocok dengan payload ini"),
]
