"""The sign stage against the real things: a LibreOffice PDF/A-2b letter with a `ttd` bookmark, signed by
pyHanko, checked by pyHanko, by poppler's pdfsig, pdffonts and pdftoppm, and by a QR reader. What naskah's own
verifier reports is tested in test_validation.py."""
from __future__ import annotations

import asyncio
import io
import re
import stat
import subprocess
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pypdf import PdfReader
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from naskah.config import load_settings
from naskah.errors import ConfigError, SigningError
from naskah.sign import ensure_demo_key, load_profile, locate_stamp, sign_pdf
from naskah.validation import verify_pdf

from checks import pdfsig
from pki import self_signed_p12
from pki_fixtures import DEMO_SIGNER as SIGNER, DEMO_URL as URL


def _pyhanko_status(data: bytes, root: Path):
    signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    assert len(signatures) == 1
    context = ValidationContext(trust_roots=[load_cert_from_pemder(str(root))], allow_fetching=False)
    return signatures[0], validate_pdf_signature(signatures[0], context)


def _widget_rect(path: Path, field: str) -> tuple[int, list[float]]:
    reader = PdfReader(path)
    for index, page in enumerate(reader.pages):
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/T") == field or annot.get("/Parent", {}).get("/T") == field:
                return index, [float(v) for v in annot["/Rect"]]
    raise AssertionError(f"no widget for {field}")


# --- the demo key and the profile ---

def test_default_profile_uses_the_demo_key_and_its_root(demo_profile, demo_settings):
    assert demo_profile.uses_demo_key and demo_profile.level == "B-B" and demo_profile.field_name == "Tanda_Tangan"
    folder = demo_settings.data_dir / "demo-signer"
    assert demo_profile.key.path.parent == folder and demo_profile.trust_roots == [folder / "demo-root.pem"]
    assert stat.S_IMODE(demo_profile.key.path.stat().st_mode) == 0o600
    assert demo_profile.footer.startswith("Dokumen ini telah ditandatangani secara elektronik")


def test_demo_key_is_made_once_even_by_racing_callers(tmp_path, caplog):
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: ensure_demo_key(tmp_path), range(4)))
    assert [created for _, _, created in results].count(True) == 1
    assert len({(key.read_bytes(), root.read_bytes()) for key, root, _ in results}) == 1
    assert "NOT VALID" in caplog.text
    assert ensure_demo_key(tmp_path)[2] is False


def _profile_dir(tmp_path: Path, text: str) -> object:
    (tmp_path / "profiles").mkdir(exist_ok=True)
    (tmp_path / "profiles" / "p.yaml").write_text(text, encoding="utf-8")
    return load_settings(None, signing_dir=tmp_path, data_dir=tmp_path / "data")


@pytest.mark.parametrize("text, expected", [
    ("key: [unclosed", "not valid YAML"),
    ("colour: red\n", "colour: Extra inputs are not permitted"),
    ("level: B-LT\n", "PAdES B-LT needs a time-stamping authority: set tsa.url"),
    ("level: B-LT\ntsa: {url: 'http://127.0.0.1:9/tsa'}\nkey: {path: nowhere.p12}\n", "B-LT needs trust_roots"),
    ("level: X\n", "unknown PAdES level"),
    ("tsa: {url: 'ftp://tsa'}\n", "tsa.url"),
    ("key: {source: pkcs11, module: /nowhere.so, key_label: k, pin_env: P}\n", "name the token"),
    ("key: {source: pkcs11, module: /nowhere.so, token_label: t, key_label: k, pin_env: P}\n",
     "PKCS#11 module /nowhere.so does not exist"),
    ("key: {source: bsre, url: 'https://esign', nik: '123', passphrase_env: P}\n", "key.nik"),
    ("key: {source: smartcard}\n", "key"),
    ("certify: maybe\n", "certify"),
    ("stamp: {position: {page: 0, x: 10, y: 10}}\n", "pages count from 1"),
    ("key: {path: nowhere.p12}\n", "nowhere.p12 does not exist"),
    ("stamp: {width: 200.5}\n", "stamp.width"),
])
def test_bad_profiles_are_refused_clearly(tmp_path, text, expected):
    with pytest.raises(ConfigError) as refused:
        load_profile("p", _profile_dir(tmp_path, text))
    assert expected in str(refused.value)


def test_missing_profile_is_refused(demo_settings):
    with pytest.raises(ConfigError, match="signing profile 'nope' not found"):
        load_profile("nope", demo_settings)


def test_wrong_password_is_a_signing_error_that_does_not_show_it(tmp_path, pdfa_letters, monkeypatch, caplog):
    self_signed_p12(tmp_path / "pejabat.p12", b"rahasia-Benar-123")
    settings = _profile_dir(tmp_path, "key: {path: pejabat.p12, password_env: NASKAH_TEST_P12}\n"
                                      "trust_roots: []\n")
    monkeypatch.setenv("NASKAH_TEST_P12", "tebakan-Salah-456")
    profile = load_profile("p", settings)
    with pytest.raises(SigningError) as refused:
        sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL, **SIGNER)
    message = str(refused.value)
    assert "NASKAH_TEST_P12" in message and "wrong password" in message
    for secret in ("tebakan-Salah-456", "rahasia-Benar-123"):
        assert secret not in message and secret not in caplog.text
    shown = "".join(traceback.format_exception(refused.value))  # what a log with the traceback would show
    assert "tebakan-Salah-456" not in shown and "rahasia-Benar-123" not in shown

    monkeypatch.setenv("NASKAH_TEST_P12", "rahasia-Benar-123")  # the same file opens with the right one
    report = verify_pdf(sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL, **SIGNER))
    assert report.signatures[0].signer == "Pejabat Uji" and report.signatures[0].intact


def test_unset_password_variable_is_a_config_error(tmp_path, monkeypatch):
    self_signed_p12(tmp_path / "pejabat.p12", b"x")
    monkeypatch.delenv("NASKAH_TEST_P12", raising=False)
    with pytest.raises(ConfigError, match="NASKAH_TEST_P12"):
        load_profile("p", _profile_dir(tmp_path, "key: {path: pejabat.p12, password_env: NASKAH_TEST_P12}\n"))


# --- the signature, checked by pyHanko and pdfsig ---

def test_pyhanko_finds_an_intact_valid_trusted_pades_signature(demo_signed, demo_profile):
    embedded, status = _pyhanko_status(demo_signed.read_bytes(), demo_profile.trust_roots[0])
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert embedded.field_name == "Tanda_Tangan"
    assert status.intact and status.valid and status.trusted, status.summary()
    assert status.signing_cert.subject.native["common_name"] == "NASKAH DEMO - NOT VALID"
    assert embedded.sig_object["/Location"] == "Malang" and embedded.sig_object["/Reason"] == "Surat Tugas"


def test_pdfsig_independently_finds_the_signature_valid(demo_signed):
    report = pdfsig(demo_signed)
    assert "Signature Field Name: Tanda_Tangan" in report
    assert "Signature Type: ETSI.CAdES.detached" in report
    assert "Signature is Valid." in report and "Total document signed" in report, report


def test_one_changed_byte_in_the_signed_content_breaks_it_for_both(demo_signed, demo_profile, tmp_path):
    data = bytearray(demo_signed.read_bytes())
    start = data.index(b"stream", 100) + len(b"stream\n") + 20  # inside the first content stream
    assert start < PdfFileReader(io.BytesIO(bytes(data))).embedded_signatures[0].byte_range[1]
    data[start] ^= 0x01
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(bytes(data))
    report = pdfsig(bad)
    assert "Signature is Valid." not in report and "Digest Mismatch" in report, report
    _, status = _pyhanko_status(bytes(data), demo_profile.trust_roots[0])
    assert not status.intact
    ours = verify_pdf(bytes(data), trust_roots=demo_profile.trust_roots)
    assert not ours.ok and "digest mismatch" in ours.to_text()


# --- the stamp ---

def test_stamp_sits_at_the_ttd_bookmark(pdfa_letters, demo_signed, demo_profile):
    dest = PdfReader(io.BytesIO(pdfa_letters["with_ttd"])).named_destinations["/ttd"]
    page, rect = _widget_rect(demo_signed, demo_profile.field_name)
    assert page == 0
    width, height = demo_profile.stamp.width, demo_profile.stamp.height
    assert rect == pytest.approx([float(dest.left), float(dest.top) - height,
                                  float(dest.left) + width, float(dest.top)], abs=0.5)


def test_without_ttd_the_stamp_goes_bottom_right_of_the_last_page(pdfa_letters, demo_profile, tmp_path, caplog):
    place = locate_stamp(pdfa_letters["without_ttd"], demo_profile.stamp.width, demo_profile.stamp.height)
    assert not place.from_bookmark and "no 'ttd' bookmark" in caplog.text
    path = tmp_path / "fallback.pdf"
    path.write_bytes(sign_pdf(pdfa_letters["without_ttd"], demo_profile, verification_url=URL, **SIGNER))
    reader = PdfReader(path)
    page, rect = _widget_rect(path, demo_profile.field_name)
    assert page == len(reader.pages) - 1
    page_width = float(reader.pages[page].mediabox.width)
    assert rect[2] > page_width * 0.75 and rect[1] < 150
    assert verify_pdf(path.read_bytes()).signatures[0].intact


def test_a_fixed_position_overrides_the_bookmark(pdfa_letters, tmp_path):
    settings = _profile_dir(tmp_path, "stamp: {position: {page: 1, x: 300, y: 120}}\n")
    profile = load_profile("p", settings)
    path = tmp_path / "fixed.pdf"
    path.write_bytes(sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL, **SIGNER))
    page, rect = _widget_rect(path, profile.field_name)
    assert page == 0 and rect == pytest.approx([300, 120, 300 + profile.stamp.width, 120 + profile.stamp.height])
    assert verify_pdf(path.read_bytes(), profile.trust_roots).ok


def test_qr_code_in_the_stamp_decodes_to_the_verification_url(demo_signed, demo_profile, tmp_path):
    import zxingcpp
    from PIL import Image

    page, (x1, y1, x2, y2) = _widget_rect(demo_signed, demo_profile.field_name)
    subprocess.run(["pdftoppm", "-r", "200", "-f", str(page + 1), "-l", str(page + 1), "-png", str(demo_signed),
                    str(tmp_path / "page")], check=True)
    image = Image.open(next(tmp_path.glob("page*.png")))
    barcodes = zxingcpp.read_barcodes(image)
    assert [barcode.text for barcode in barcodes] == [URL]
    scale, page_height = 200 / 72, float(PdfReader(demo_signed).pages[page].mediabox.height)
    position = barcodes[0].position
    for corner in (position.top_left, position.top_right, position.bottom_left, position.bottom_right):
        assert x1 * scale <= corner.x <= x2 * scale, "QR code inside the stamp box, horizontally"
        assert (page_height - y2) * scale <= corner.y <= (page_height - y1) * scale, "and vertically"


def test_stamp_text_names_the_signer(demo_signed):
    text = subprocess.run(["pdftotext", "-layout", str(demo_signed), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = re.sub(r"\s+", " ", text)
    assert "Ditandatangani secara elektronik oleh:" in flat
    assert "Drs. Hendra Wijaya, M.Si." in flat and "Kepala Bidang Aplikasi" in flat


# --- PDF/A-2b is kept ---

def test_signed_letter_still_declares_pdfa_2b_with_every_font_embedded(demo_signed):
    reader = PdfReader(demo_signed)
    xmp = reader.xmp_metadata.stream.get_data().decode("utf-8")
    assert re.search(r"pdfaid:part(>|=\")2", xmp) and re.search(r"pdfaid:conformance(>|=\")B", xmp)
    assert str(reader.trailer["/Root"].get("/Version", "/1.7")) < "/2.0", "PDF/A-2 is based on PDF 1.7"
    producer = re.search(r"pdf:Producer(?:>|=\")([^<\"]+)", xmp).group(1)
    assert reader.metadata["/Producer"] == producer, "Info and XMP must agree (PDF/A)"
    fonts = subprocess.run(["pdffonts", str(demo_signed)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert any("NotoSans" in row for row in rows), "the stamp font is there"
    assert rows and all(re.search(r"\byes\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", row) for row in rows), fonts
    assert "No syntax or stream encoding errors" in subprocess.run(
        ["qpdf", "--check", str(demo_signed)], capture_output=True, text=True).stdout


def test_signed_file_is_an_incremental_update_of_the_letter(pdfa_letters, demo_signed):
    assert demo_signed.read_bytes().startswith(pdfa_letters["with_ttd"])


# --- the synchronous API and event loops ---

def test_sign_refuses_a_running_event_loop_and_verify_copes(pdfa_letters, demo_signed, demo_profile):
    async def inside_a_loop():
        with pytest.raises(SigningError, match="asyncio.to_thread"):
            sign_pdf(pdfa_letters["with_ttd"], demo_profile, verification_url=URL, **SIGNER)
        threaded = await asyncio.to_thread(sign_pdf, pdfa_letters["with_ttd"], demo_profile, verification_url=URL,
                                           **SIGNER)
        return verify_pdf(threaded, demo_profile.trust_roots)

    assert asyncio.run(inside_a_loop()).ok


def test_stamp_text_with_line_breaks_uses_the_latin_cut_of_the_font():
    from naskah.sign.appearance import stamp_font_for
    from naskah.sign.profile import NOTO_SANS

    cut = stamp_font_for(NOTO_SANS, "Ditandatangani secara elektronik oleh:\na.n. Kepala Dinas\nDrs. Hendra, M.Si.")
    assert cut != NOTO_SANS and cut.stat().st_size < NOTO_SANS.stat().st_size / 3
    assert stamp_font_for(NOTO_SANS, "Nama dengan aksara \u0905") == NOTO_SANS  # outside the cut: whole font
