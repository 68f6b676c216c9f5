"""End to end for the letters that form a Tim Kerja and appoint its Ketua (the Keputusan and the Surat Perintah):
`naskah issue` on the samples with the demo key, then what a secretariat and an auditor would check in the signed
PDFs; and each rule of who issues which letter, refused in the cities whose regulation states it (naming the field
and citing the article) and accepted where it does not apply."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from naskah.config import SOURCE_ROOT
from naskah.errors import PayloadError
from naskah.mapping import load_mappings
from naskah.validate import validate

from checks import assert_pdfa_2b, flat, pdfsig, pdftotext_pages
from samples import EXAMPLES, load_sample

#: the footer of every page (the signing profile's words), between the parts of a text running over a page
FOOTER = re.compile(r"Dokumen ini telah ditandatangani secara elektronik[^.]*\.")
SAMPLES = {"keputusan_tim_kerja": "keputusan-tim-kerja", "surat_perintah": "surat-perintah-tim"}


def run_naskah(*args, env):
    result = subprocess.run([sys.executable, "-m", "naskah.cli", *args], capture_output=True, text=True, env=env)
    assert result.returncode == 0, f"naskah {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def issued(tmp_path_factory, data_dir) -> dict[str, Path]:
    """Both samples issued from the command line with the demo key (their mappings have a person flow)."""
    env = dict(os.environ, NASKAH_DATA_DIR=str(data_dir), NASKAH_STORE_DIR=str(tmp_path_factory.mktemp("store")))
    result = run_naskah("issue", *(str(EXAMPLES / f"{name}.json") for name in SAMPLES.values()), env=env)
    paths = dict(re.findall(r"^issued (\w+) \S+ -> (.+\.pdf)$", result.stdout, re.MULTILINE))
    assert set(paths) == set(SAMPLES), result.stdout
    return {kind: Path(path) for kind, path in paths.items()}


def test_keputusan_reads_as_a_keputusan(issued):
    data = load_sample("keputusan-tim-kerja")["data"]
    pages = [flat(page) for page in pdftotext_pages(issued["keputusan_tim_kerja"])]
    # without the footers between pages, and without hyphens: pdftotext drops the one of "Undang-" at a line's end
    letter = flat(" ".join(FOOTER.sub(" ", page) for page in pages[:-1])).replace("\u00a0", " ").replace("-", "")
    lampiran = pages[-1]
    parts = ["PEMERINTAH KOTA MALANG", "SEKRETARIAT DAERAH", "Website: malangkota.go.id",
             "e-mail: setda@malangkota.go.id", "KEPUTUSAN SEKRETARIS DAERAH KOTA MALANG",
             f"NOMOR {data['nomor']}", "TENTANG", data["tentang"].upper(), "SEKRETARIS DAERAH KOTA MALANG,",
             "Menimbang", "Mengingat", "MEMUTUSKAN:", "Menetapkan", "KESATU", "KEDUA", "KETIGA", "KEEMPAT",
             "KELIMA", "KEENAM", "Keputusan ini mulai berlaku pada tanggal ditetapkan sampai dengan tanggal "
             "31 Maret 2024.", "Ditetapkan di Malang", "pada tanggal 28 Agustus 2023", "Ir. Bagus Pramono, M.T.",
             "Salinan Keputusan ini disampaikan kepada Yth.:", "Membentuk " + data["tim"]["nama"],
             "Menunjuk Ahmad Fauzi, S.Kom., M.T., NIP 19850314 201001 1 002, Pranata Komputer Ahli Muda",
             "sebagai Ketua " + data["tim"]["nama"]]
    parts += [f"{letter}. {item}" for letter, item in zip("abc", data["menimbang"])]
    parts += [f"{number}. {item}" for number, item in enumerate(data["mengingat"], start=1)]
    parts += [f"{letter}. {item}" for letter, item in zip("abc", data["tugas"])]
    parts += [f"{number}. {line}" for number, line in enumerate(data["tembusan"], start=1)]
    for part in parts:
        assert part.replace("-", "") in letter, part
    # the regional secretary signs without rank and NIP (Permendagri 1/2023 Pasal 44)
    assert "NIP 19680317" not in letter
    assert "LAMPIRAN" in lampiran and "KEPUTUSAN SEKRETARIS DAERAH KOTA MALANG" in lampiran
    assert data["nomor"] in lampiran and "28 AGUSTUS 2023" in lampiran
    assert "SUSUNAN KEANGGOTAAN " + data["tim"]["nama"].upper() in lampiran
    for number, member in enumerate(data["tim"]["anggota"], start=1):
        role = "Ketua" if member["peran"] == "ketua" else "Anggota"
        assert f"{number}. {member['nama']}" in lampiran and member["jabatan"] in lampiran, member["nama"]
        assert lampiran.count(role) >= 1
    assert lampiran.count(" Ketua ") == 1


def test_surat_perintah_reads_as_a_surat_tugas_with_memerintahkan(issued):
    data = load_sample("surat-perintah-tim")["data"]
    letter, lampiran = (flat(page) for page in pdftotext_pages(issued["surat_perintah"]))
    for part in ("DINAS KOMUNIKASI DAN INFORMATIKA", "SURAT PERINTAH", f"NOMOR: {data['nomor']}", "Dasar",
                 "MEMERINTAHKAN:", "Kepada : Nama-nama berikut sebagaimana terlampir;",
                 "1. Melaksanakan tugas sebagai Ketua dan Anggota " + data["tim"]["nama"],
                 "dengan Ahmad Fauzi, S.Kom., M.T. sebagai Ketua Tim Kerja;",
                 f"2. {data['untuk'][0]};", f"3. {data['untuk'][1]};",
                 "4. Ketua Tim Kerja melaporkan hasil kinerja anggota timnya kepada Pejabat Penilai Kinerja",
                 "5. Melaksanakan perintah ini dengan penuh tanggungjawab;",
                 "6. Melaporkan hasilnya kepada Kepala Bidang Aplikasi Informatika sebagai Pimpinan Unit Organisasi.",
                 "Surat perintah ini mulai berlaku sejak tanggal ditetapkan sampai dengan tanggal 31 Desember 2023.",
                 "Ditetapkan di Malang", "pada tanggal 20 Juni 2023", "Kepala Dinas Komunikasi dan Informatika,",
                 "Dr. Agus Salim, S.T., M.T.", "NIP 19691225 199403 1 005", "Tembusan:",
                 "1. Sekretaris Daerah Kota Malang"):
        assert part in letter, part
    assert "Lampiran Surat Perintah" in lampiran and data["nomor"] in lampiran and "20 Juni 2023" in lampiran
    assert "1. Ahmad Fauzi, S.Kom., M.T." in lampiran and lampiran.count(" Ketua ") == 1


@pytest.mark.parametrize("kind", SAMPLES)
def test_signed_valid_and_still_pdfa(issued, kind):
    report = pdfsig(issued[kind])
    assert "Signature Validation: Signature is Valid." in report
    assert "Total document signed" in report
    assert_pdfa_2b(issued[kind])
    for page in pdftotext_pages(issued[kind]):
        assert "ditandatangani secara elektronik" in flat(page)


@pytest.mark.parametrize("kind", SAMPLES)
def test_the_emblem_is_on_page_one_only(issued, kind):
    listing = subprocess.run(["pdfimages", "-list", str(issued[kind])], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    images = [line.split() for line in listing]
    emblems = [row for row in images if row[2] == "image" and row[5] == "rgb"]
    assert [row[0] for row in emblems] == ["1"], listing
    width, height = int(emblems[0][3]), int(emblems[0][4])
    assert 0.7 < width / height < 0.9  # the placeholder shield, not stretched
    assert not [row for row in images if row[2] == "smask"], "no transparency in the emblem"


# --------------------------------------------------------------------------------------------------
# Who issues which letter, city by city
# --------------------------------------------------------------------------------------------------

MAPPINGS = load_mappings(SOURCE_ROOT / "mappings")
OFFICIALS = {  # level: the official's title as the signature block prints it, and in full
    "pimpinan_unit_organisasi": ("Kepala Bidang Aplikasi Informatika",
                                 "Kepala Bidang Aplikasi Informatika Dinas Komunikasi dan Informatika Kota Malang"),
    "kepala_perangkat_daerah": ("Kepala Dinas Komunikasi dan Informatika",
                                "Kepala Dinas Komunikasi dan Informatika Kota Malang"),
    "sekretaris_daerah": ("Sekretaris Daerah", "Sekretaris Daerah Kota Malang"),
    "wali_kota": ("Wali Kota Malang", "Wali Kota Malang"),
}


def problems(kind: str, peraturan: str, lingkup: str, tingkat: str, change=None) -> dict[str, str]:
    """The problems (payload field -> message) of the sample of ``kind`` issued under ``peraturan`` for a team of
    ``lingkup`` by an official of ``tingkat``, who signs it themselves."""
    payload = load_sample(SAMPLES[kind])
    data = payload["data"]
    data["lingkup"] = lingkup
    title, full_title = OFFICIALS[tingkat]
    data["penetap"] = {"tingkat": tingkat, "jabatan": full_title}
    data["penandatangan"] = dict(data["penandatangan"], jabatan=title, kedudukan=None)
    if change:
        change(data)
    mapped = MAPPINGS[kind].apply(payload)
    mapped.fields["peraturan"] = peraturan
    try:
        validate(kind, mapped, "test")
    except PayloadError as exc:
        return {problem.field: problem.message for problem in exc.problems}
    return {}


MALANG, CILEGON, TANGERANG = "perwal_malang_16_2023", "perwal_cilegon_17_2023", "perwal_tangerang_12_2023"


@pytest.mark.parametrize("peraturan, lingkup, tingkat", [
    (MALANG, "lintas_perangkat_daerah", "sekretaris_daerah"),
    (MALANG, "lintas_unit_organisasi", "wali_kota"),
    (CILEGON, "dalam_unit_organisasi", "pimpinan_unit_organisasi"),
    (CILEGON, "lintas_unit_organisasi", "kepala_perangkat_daerah"),
    (CILEGON, "lintas_instansi", "wali_kota"),
    (TANGERANG, "lintas_instansi", "sekretaris_daerah"),
    (TANGERANG, "lintas_instansi", "wali_kota"),
])
def test_keputusan_accepted_where_the_regulation_gives_it(peraturan, lingkup, tingkat):
    assert problems("keputusan_tim_kerja", peraturan, lingkup, tingkat) == {}


@pytest.mark.parametrize("peraturan, lingkup, tingkat, field, cited", [
    # Malang: the Kepala Perangkat Daerah assigns a team by Surat Perintah; a Keputusan is the Wali Kota's or the
    # Sekretaris Daerah's
    (MALANG, "lintas_unit_organisasi", "kepala_perangkat_daerah", "data.penetap.tingkat",
     ["Perwal Kota Malang 16/2023 Pasal 9 ayat (8)", "Perwal Kota Malang 16/2023 Pasal 9 ayat (6)",
      "surat_perintah"]),
    (CILEGON, "lintas_instansi", "sekretaris_daerah", "data.penetap.tingkat",
     ["Perwal Kota Cilegon 17/2023 Pasal 9 ayat (2)"]),
    (CILEGON, "lintas_unit_organisasi", "sekretaris_daerah", "data.penetap.tingkat",
     ["Perwal Kota Cilegon 17/2023 Pasal 9 ayat (1)"]),
    # Tangerang: within a Perangkat Daerah the Ketua is appointed by surat perintah, not by Keputusan
    (TANGERANG, "lintas_unit_organisasi", "kepala_perangkat_daerah", "data.lingkup",
     ["Perwal Kota Tangerang 12/2023 Pasal 22 ayat (1) huruf a", "surat_perintah"]),
    (TANGERANG, "lintas_perangkat_daerah", "sekretaris_daerah", "data.lingkup",
     ["Perwal Kota Tangerang 12/2023 Pasal 22 ayat (1) huruf b"]),
    (TANGERANG, "lintas_instansi", "kepala_perangkat_daerah", "data.penetap.tingkat",
     ["Perwal Kota Tangerang 12/2023 Pasal 22 ayat (1) huruf c"]),
])
def test_keputusan_refused_citing_the_article(peraturan, lingkup, tingkat, field, cited):
    found = problems("keputusan_tim_kerja", peraturan, lingkup, tingkat)
    assert set(found) == {field}, found
    for citation in cited:
        assert citation in found[field]


def test_tangerang_former_koordinators_become_ketua_by_keputusan_wali_kota():
    def peralihan(data):
        data["peralihan_koordinator"] = True

    assert problems("keputusan_tim_kerja", TANGERANG, "lintas_unit_organisasi", "wali_kota", peralihan) == {}
    found = problems("keputusan_tim_kerja", TANGERANG, "lintas_unit_organisasi", "sekretaris_daerah", peralihan)
    assert set(found) == {"data.penetap.tingkat"}
    assert "Perwal Kota Tangerang 12/2023 Pasal 30 ayat (1)" in found["data.penetap.tingkat"]
    # the flag belongs to Tangerang's transition; elsewhere the ordinary rule holds
    assert problems("keputusan_tim_kerja", MALANG, "lintas_unit_organisasi", "sekretaris_daerah", peralihan) == {}


@pytest.mark.parametrize("peraturan, lingkup, tingkat", [
    (MALANG, "lintas_unit_organisasi", "kepala_perangkat_daerah"),
    (MALANG, "dalam_unit_organisasi", "pimpinan_unit_organisasi"),
    (TANGERANG, "lintas_unit_organisasi", "kepala_perangkat_daerah"),
    (TANGERANG, "lintas_perangkat_daerah", "sekretaris_daerah"),
    (TANGERANG, "lintas_perangkat_daerah", "wali_kota"),
])
def test_surat_perintah_accepted_where_the_regulation_gives_it(peraturan, lingkup, tingkat):
    assert problems("surat_perintah", peraturan, lingkup, tingkat) == {}


@pytest.mark.parametrize("peraturan, lingkup, tingkat, field, cited", [
    (MALANG, "lintas_unit_organisasi", "sekretaris_daerah", "data.penetap.tingkat",
     ["Perwal Kota Malang 16/2023 Pasal 9 ayat (6)", "Perwal Kota Malang 16/2023 Pasal 9 ayat (8)",
      "keputusan_tim_kerja"]),
    (CILEGON, "lintas_unit_organisasi", "kepala_perangkat_daerah", "data.lingkup",
     ["Perwal Kota Cilegon 17/2023 Pasal 9 ayat (1)", "keputusan_tim_kerja"]),
    (TANGERANG, "lintas_perangkat_daerah", "kepala_perangkat_daerah", "data.penetap.tingkat",
     ["Perwal Kota Tangerang 12/2023 Pasal 22 ayat (1) huruf b"]),
    (TANGERANG, "dalam_unit_organisasi", "pimpinan_unit_organisasi", "data.penetap.tingkat",
     ["Perwal Kota Tangerang 12/2023 Pasal 22 ayat (1) huruf a"]),
    (TANGERANG, "lintas_instansi", "wali_kota", "data.lingkup",
     ["Perwal Kota Tangerang 12/2023 Pasal 22 ayat (1) huruf c", "keputusan_tim_kerja"]),
])
def test_surat_perintah_refused_citing_the_article(peraturan, lingkup, tingkat, field, cited):
    found = problems("surat_perintah", peraturan, lingkup, tingkat)
    assert set(found) == {field}, found
    for citation in cited:
        assert citation in found[field]


@pytest.mark.parametrize("kind", SAMPLES)
@pytest.mark.parametrize("peraturan, cited", [
    (MALANG, "Perwal Kota Malang 16/2023 Pasal 9 ayat (3)"),
    (CILEGON, "Perwal Kota Cilegon 17/2023 Lampiran huruf C angka 1 huruf c"),
    (TANGERANG, "Perwal Kota Tangerang 12/2023 Pasal 22 ayat (1)"),
])
def test_a_team_has_exactly_one_ketua(kind, peraturan, cited):
    def two_ketua(data):
        data["tim"]["anggota"][1]["peran"] = "ketua"

    lingkup, tingkat = {MALANG: ("lintas_unit_organisasi", "kepala_perangkat_daerah"),
                        CILEGON: ("lintas_unit_organisasi", "kepala_perangkat_daerah"),
                        TANGERANG: ("lintas_instansi", "wali_kota")}[peraturan]
    if kind == "keputusan_tim_kerja" and peraturan == MALANG:
        tingkat = "sekretaris_daerah"
    if kind == "surat_perintah" and peraturan == TANGERANG:
        lingkup, tingkat = "lintas_unit_organisasi", "kepala_perangkat_daerah"
    found = problems(kind, peraturan, lingkup, tingkat, two_ketua)
    if kind == "surat_perintah" and peraturan == CILEGON:  # no Surat Perintah forms a team there at all
        found.pop("data.lingkup")
    assert set(found) == {"data.tim.anggota"}, found
    assert cited in found["data.tim.anggota"] and "2" in found["data.tim.anggota"]


@pytest.mark.parametrize("field", ["menimbang", "mengingat"])
def test_a_keputusan_states_its_considerations_and_legal_basis(field):
    def empty(data):
        data[field] = []

    found = problems("keputusan_tim_kerja", MALANG, "lintas_perangkat_daerah", "sekretaris_daerah", empty)
    assert set(found) == {f"data.{field}"}, found
    assert "Permendagri 1/2023" in found[f"data.{field}"]


def test_a_keputusan_is_signed_by_its_official():
    def other_signer(data):
        data["penandatangan"]["jabatan"] = "Kepala Dinas Komunikasi dan Informatika"

    found = problems("keputusan_tim_kerja", MALANG, "lintas_perangkat_daerah", "sekretaris_daerah", other_signer)
    assert set(found) == {"data.penandatangan"}, found

    def on_behalf(data):
        data["penandatangan"].update(kedudukan="a.n.", jabatan_pemberi="Wali Kota Malang", jabatan="Sekretaris Daerah")

    assert problems("keputusan_tim_kerja", MALANG, "lintas_perangkat_daerah", "wali_kota", on_behalf) == {}


def test_validity_before_the_date_of_issue_is_refused():
    def early(data):
        data["berlaku_sampai"] = "2023-01-31"

    found = problems("keputusan_tim_kerja", MALANG, "lintas_perangkat_daerah", "sekretaris_daerah", early)
    assert set(found) == {"data.berlaku_sampai"}, found
