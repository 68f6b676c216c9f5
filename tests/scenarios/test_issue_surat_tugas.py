"""End to end, as a user runs it: `naskah issue` on the two sample Surat Tugas, then what a reader,
a verifier and an auditor would check in the signed PDFs (pdftotext, pyHanko, pdfsig, a QR reader)."""
from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko.keys import load_cert_from_pemder

from checks import flat, pdfsig, pdftotext_pages
from samples import EXAMPLES

BASE_URL = "https://naskah.example.go.id/v"


def run_naskah(*args, env, check=True):
    result = subprocess.run([sys.executable, "-m", "naskah.cli", *args], capture_output=True, text=True, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f"naskah {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory, data_dir):
    env = dict(os.environ)
    env.update(NASKAH_DATA_DIR=str(data_dir), NASKAH_STORE_DIR=str(tmp_path_factory.mktemp("store")),
               NASKAH_VERIFICATION_BASE_URL=BASE_URL)
    return env


@pytest.fixture(scope="module")
def issued(cli_env):
    """Both samples issued through the command line, as the README's first command does."""
    result = run_naskah("issue", str(EXAMPLES / "surat-tugas-tim.json"), str(EXAMPLES / "surat-tugas-individu.json"),
                        env=cli_env)
    paths = {}
    for line in result.stdout.splitlines():
        match = re.fullmatch(r"issued (surat_tugas_\w+) (\S+) -> (.+\.pdf)", line)
        assert match, f"unexpected output line {line!r}"
        paths[match.group(1)] = Path(match.group(3))
    assert set(paths) == {"surat_tugas_tim", "surat_tugas_individu"}
    assert all(path.is_file() for path in paths.values())
    return paths


@pytest.fixture(scope="module")
def demo_root(data_dir, issued):
    roots = list((data_dir / "demo-signer").glob("*root*.pem"))
    assert len(roots) == 1, roots
    return roots[0]


def test_team_letter_reads_as_the_malang_format(issued):
    pages = pdftotext_pages(issued["surat_tugas_tim"])
    assert len(pages) == 2, "the letter on page 1, the Lampiran on page 2"
    letter, lampiran = pages
    for text in ("PEMERINTAH KOTA MALANG", "DINAS KOMUNIKASI DAN INFORMATIKA", "Jalan Tugu Nomor 1",
                 "(0341) 751550", "kominfo.malangkota.go.id", "SURAT TUGAS",
                 "NOMOR: 800.1.11.1/0123/35.73.401/2023", "MENUGASKAN", "Nama-nama berikut sebagaimana terlampir",
                 "Peraturan Walikota Malang Nomor 16 Tahun 2023", "Melaksanakan perintah ini dengan penuh",
                 "Melaporkan hasilnya kepada Kepala Bidang Aplikasi Informatika sebagai Pimpinan Unit Organisasi",
                 "sampai dengan tanggal 31 Desember 2023", "Apabila di kemudian hari terdapat kekeliruan",
                 "Ditetapkan di Malang", "27 Juni 2023", "a.n. Kepala Dinas Komunikasi dan Informatika",
                 "Drs. Hendra Wijaya, M.Si.", "NIP 19700412 199503 1 003"):
        assert text in flat(letter), text
    assert "Lampiran Surat Tugas" in lampiran
    assert "800.1.11.1/0123/35.73.401/2023" in lampiran and "27 Juni 2023" in lampiran
    assert "Tim Kerja Pengembangan Layanan Aplikasi Persuratan Elektronik" in flat(lampiran)
    assert "Kedudukan" in lampiran


def test_team_lampiran_has_one_row_per_member_ketua_first(issued, sample):
    lampiran = flat(pdftotext_pages(issued["surat_tugas_tim"])[1])
    members = sample("surat-tugas-tim")["data"]["tim"]["anggota"]
    for number, member in enumerate(members, start=1):
        grouped = f"{member['nip'][:8]} {member['nip'][8:14]} {member['nip'][14]} {member['nip'][15:]}"
        role = "Ketua" if member["peran"] == "ketua" else "Anggota"
        row = (f"{number}. {member['nama']} {member['pangkat']} ({member['golongan']}) NIP {grouped} "
               f"{member['jabatan']} {role}")
        assert row in lampiran, f"row {number} not found: {row}"
    assert lampiran.count(" Ketua ") == 1
    assert f"{len(members) + 1}. " not in lampiran.split("Kedudukan")[1].split("a.n.")[0]


def test_individual_letter_is_one_page_naming_the_official(issued):
    pages = pdftotext_pages(issued["surat_tugas_individu"])
    assert len(pages) == 1
    text = flat(pages[0])
    for expected in ("BADAN PERENCANAAN, PENELITIAN DAN PENGEMBANGAN DAERAH", "SURAT TUGAS",
                     "000.1.2.3/0456/35.73.403/2023", "Maria Ulfa, S.E., M.Ec.Dev.", "Penata Muda Tingkat I",
                     "19930521 201801 2 001", "Perencana Ahli Pertama", "3 Juli 2023", "30 September 2023",
                     "Ir. Yuliana Prasetyo, M.M.", "NIP 19760718 200212 2 002"):
        assert expected in text, expected
    assert "terlampir" not in text


def test_every_page_says_it_was_signed_electronically(issued):
    for path in issued.values():
        for page in pdftotext_pages(path):
            assert "ditandatangani secara elektronik" in flat(page)


def test_pyhanko_finds_a_valid_pades_signature_by_the_demo_signer(issued, demo_root):
    context = ValidationContext(trust_roots=[load_cert_from_pemder(str(demo_root))], allow_fetching=False)
    for path in issued.values():
        with path.open("rb") as file:
            signatures = PdfFileReader(file).embedded_signatures
            assert len(signatures) == 1
            signature = signatures[0]
            assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
            status = validate_pdf_signature(signature, context)
            assert status.intact and status.valid and status.trusted, status.pretty_print_details()
            assert "NASKAH DEMO - NOT VALID" in status.signing_cert.subject.human_friendly
            assert status.coverage.name == "ENTIRE_FILE"


def test_pdfsig_independently_finds_the_signature_valid(issued):
    for path in issued.values():
        report = pdfsig(path)
        assert "Signature Type: ETSI.CAdES.detached" in report
        assert "Signature Validation: Signature is Valid." in report
        assert "Total document signed" in report


def test_one_changed_byte_breaks_the_signature_for_both_verifiers(issued, demo_root, tmp_path):
    original = issued["surat_tugas_individu"].read_bytes()
    with issued["surat_tugas_individu"].open("rb") as file:
        byte_range = PdfFileReader(file).embedded_signatures[0].byte_range
    offset = byte_range[0] + byte_range[1] // 2  # inside the first signed range, in the page content
    tampered = bytearray(original)
    tampered[offset] = tampered[offset] ^ 0x01
    bad = tmp_path / "tampered.pdf"
    bad.write_bytes(bytes(tampered))
    assert "Signature is Valid." not in pdfsig(bad)
    context = ValidationContext(trust_roots=[load_cert_from_pemder(str(demo_root))], allow_fetching=False)
    with bad.open("rb") as file:
        status = validate_pdf_signature(PdfFileReader(file, strict=False).embedded_signatures[0], context)
    assert not status.intact


def test_naskah_verify_reports_and_exits_by_validity(issued, cli_env, tmp_path):
    good = run_naskah("verify", str(issued["surat_tugas_tim"]), env=cli_env, check=False)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "NASKAH DEMO - NOT VALID" in good.stdout
    data = bytearray(issued["surat_tugas_tim"].read_bytes())
    data[len(data) // 3] ^= 0x01
    bad_path = tmp_path / "bad.pdf"
    bad_path.write_bytes(bytes(data))
    bad = run_naskah("verify", str(bad_path), env=cli_env, check=False)
    assert bad.returncode != 0


def test_qr_code_decodes_to_the_verification_url(issued, tmp_path):
    import zxingcpp
    from PIL import Image

    for kind, path in issued.items():
        letter_id = path.stem.split("-")[0]
        subprocess.run(["pdftoppm", "-r", "200", "-f", "1", "-l", "1", "-png", str(path), str(tmp_path / kind)],
                       check=True)
        image = Image.open(next(tmp_path.glob(f"{kind}*.png")))
        texts = [barcode.text for barcode in zxingcpp.read_barcodes(image)]
        assert texts == [f"{BASE_URL}/{letter_id}"]


def test_signed_letter_still_declares_pdfa_2b(issued):
    from pypdf import PdfReader

    for path in issued.values():
        xmp = PdfReader(path).xmp_metadata
        assert xmp is not None
        raw = xmp.stream.get_data().decode("utf-8")
        assert re.search(r"pdfaid:part(>|=\")2", raw) and re.search(r"pdfaid:conformance(>|=\")B", raw)
        fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
        rows = fonts.splitlines()[2:]
        assert rows and all(re.search(r"\byes\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", row) for row in rows), fonts


def test_store_index_holds_the_metadata(issued, cli_env):
    store = Path(cli_env["NASKAH_STORE_DIR"])
    with sqlite3.connect(store / "index.sqlite") as db:
        rows = {row[0]: row for row in db.execute(
            "SELECT letter_kind, workflow_id, nomor, tanggal, penandatangan, sha256, pdf_path FROM letters")}
    assert rows["surat_tugas_tim"][1:5] == ("WF-2023-06-000123", "800.1.11.1/0123/35.73.401/2023", "2023-06-27",
                                            "Drs. Hendra Wijaya, M.Si.")
    import hashlib
    for kind, row in rows.items():
        assert Path(row[6]) == issued[kind]
        assert hashlib.sha256(issued[kind].read_bytes()).hexdigest() == row[5]


def test_issuing_the_same_payload_again_gives_back_the_stored_letter(issued, cli_env):
    again = run_naskah("issue", str(EXAMPLES / "surat-tugas-tim.json"), env=cli_env)
    assert again.stdout.startswith("already issued surat_tugas_tim")
    assert again.stdout.strip().endswith(str(issued["surat_tugas_tim"]))
    listing = run_naskah("list", env=cli_env).stdout.strip().splitlines()
    assert len(listing) == 2


def test_the_sample_command_issues_every_example(cli_env):
    result = run_naskah("issue", "--examples", env=cli_env)
    kinds = re.findall(r"^(?:already issued|issued) (\w+)", result.stdout, re.MULTILINE)
    assert {"surat_tugas_tim", "surat_tugas_individu"} <= set(kinds)
    assert "store:" in result.stderr
    # no letter ends with a blank page: beside the footer every page shows it (a full page followed by an empty
    # paragraph made one)
    pdfs = re.findall(r" -> (\S+\.pdf)$", result.stdout, re.MULTILINE)
    assert len(pdfs) == len(kinds)
    for pdf in pdfs:
        pages = [set(filter(None, map(str.strip, page.splitlines()))) for page in pdftotext_pages(Path(pdf))]
        footer = set.intersection(*pages) if len(pages) > 1 else set()
        assert all(page - footer for page in pages), f"{pdf}: a page with nothing but the footer"
