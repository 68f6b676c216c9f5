"""The public verification page, opened in headless Chromium as a citizen would open it from the QR code.

The service signs with a key of its own (a test CA and signer made here, the CA configured as the trust root),
so the page can say the signature is valid. Screenshots of the four cases are written to
$NASKAH_TEST_SCREENSHOTS (default: the test's temporary folder):

- a real letter (``chromium --screenshot``),
- an unknown id (``chromium --screenshot``),
- the letter's own PDF uploaded through the page's form, and a copy with one character changed (Chromium driven
  over the DevTools protocol: the file is put into the form's file input and the button is clicked).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import os
import re
import time
from pathlib import Path

import pytest
import requests

from samples import EXAMPLES
from browser import CHROMIUM, CHROMIUM_FLAGS, screenshot as _screenshot
from service_support import ServiceProcess


pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed: run `sh .ci/bootstrap test`")


def _make_signing_dir(folder: Path) -> Path:
    """A signing profile with a test CA and a signer named like the letter's official (marked TEST)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    root_key, key = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2))
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Root CA naskah page test")])
    root = (x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
            .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Drs. Hendra Wijaya, M.Si. (TEST)")]))
            .issuer_name(root_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256()))
    profiles = folder / "profiles"
    profiles.mkdir(parents=True)
    (folder / "signer.p12").write_bytes(pkcs12.serialize_key_and_certificates(
        b"signer", key, cert, [root], serialization.NoEncryption()))
    (folder / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    (profiles / "default.yaml").write_text("key: {source: pkcs12, path: signer.p12}\nlevel: B-B\n"
                                           "trust_roots: [root.pem]\n")
    return folder


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("NASKAH_TEST_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def service(tmp_path_factory, data_dir):
    work = tmp_path_factory.mktemp("service-page")
    service = ServiceProcess(work, data_dir, pool_size=None, signing_dir=_make_signing_dir(work / "signing"),
                             service_toml="max_upload_bytes = 2097152").start()
    yield service
    service.stop()


@pytest.fixture(scope="module")
def letter(service) -> dict:
    payload = json.loads((EXAMPLES / "surat-tugas-tim.json").read_text())
    response = service.issue(payload)
    assert response.status_code == 201, response.text
    letter = response.json()
    letter["pdf"] = service.get(letter["pdf_url"]).content
    return letter


def test_the_page_of_a_real_letter(service, letter, shots, tmp_path):
    url = letter["verification_url"]
    page = requests.get(url, timeout=60)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    text = _text(page.text)
    assert "Tanda tangan elektronik sah" in text and "Cocokkan data ini dengan surat yang Anda pegang" in text
    for expected in ("Pemerintah Kota Malang", "Dinas Komunikasi dan Informatika", "Surat Tugas (Tim Kerja)",
                     "800.1.11.1/0123/35.73.401/2023", "27 Juni 2023", "Drs. Hendra Wijaya, M.Si.",
                     "Sekretaris", " WIB", " ".join(re.findall(".{8}", letter["sha256"]))):
        assert expected in text, expected
    # nothing beyond what the letter shows about itself: no team members, NIPs, workflow id, no download
    for private in ("Ahmad Fauzi", "198503142010011002", "197004121995031003", "WF-2023-06-000123", "/api/", "href="):
        assert private not in page.text, private
    _screenshot(url, shots / "1-letter.png", tmp_path / "chromium")


def test_an_unknown_id_is_a_404_page(service, shots, tmp_path):
    url = service.url("/v/0123456789abcdef0123")
    page = requests.get(url, timeout=30)
    assert page.status_code == 404 and "Surat tidak ditemukan" in page.text
    assert "0123456789abcdef0123" in page.text
    hostile = requests.get(service.url("/v/%3Cscript%3Ealert(1)%3C%2Fscript%3E"), timeout=30)
    assert hostile.status_code == 404 and "<script>" not in hostile.text
    _screenshot(url, shots / "4-unknown.png", tmp_path / "chromium", height=700)


def test_uploading_the_letter_and_an_altered_copy_through_the_form(service, letter, shots, tmp_path):
    original = tmp_path / "surat-tugas.pdf"
    original.write_bytes(letter["pdf"])
    altered_bytes, count = re.subn(rb"(CreateDate>\d{3})(\d)", lambda m: m[1] + str((int(m[2]) + 1) % 10).encode(),
                                   letter["pdf"], count=1)
    assert count == 1 and len(altered_bytes) == len(letter["pdf"])
    altered = tmp_path / "surat-tugas-diubah.pdf"
    altered.write_bytes(altered_bytes)

    results = asyncio.run(_upload_in_chromium(letter["verification_url"], [
        (original, shots / "2-upload-same.png"), (altered, shots / "3-upload-altered.png")], tmp_path / "cdp"))
    same, changed = results
    assert "Berkas ini SAMA PERSIS dengan surat yang diterbitkan" in same
    assert hashlib.sha256(letter["pdf"]).hexdigest()[:8] in same
    assert "Berkas ini BUKAN surat yang diterbitkan dengan kode ini" in changed
    assert "Isi berkas telah diubah setelah ditandatangani." in changed
    assert hashlib.sha256(altered_bytes).hexdigest()[:8] in changed

    # the same form without a file, or with something that is not a PDF
    url = letter["verification_url"]
    empty = requests.post(url, files={"berkas": ("", b"")}, timeout=60)
    assert empty.status_code == 400 and "Tidak ada berkas yang diunggah" in empty.text
    photo = requests.post(url, files={"berkas": ("foto.jpg", b"\xff\xd8\xff\xe0 JFIF")}, timeout=60)
    assert photo.status_code == 400 and "Berkas ini bukan PDF" in photo.text
    big = requests.post(url, files={"berkas": ("besar.pdf", b"%PDF-" + b"0" * 2_200_000)}, timeout=60)
    assert big.status_code == 413 and "Berkas terlalu besar" in big.text and "2 MB" in big.text


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&nbsp;", " ").split())


async def _upload_in_chromium(url: str, uploads: list[tuple[Path, Path]], profile: Path) -> list[str]:
    """For each (file, screenshot): open the page, choose the file in the form, press the button, wait for the
    answer page, take a full-page screenshot and return the text the page shows."""
    import base64

    import aiohttp

    process = await asyncio.create_subprocess_exec(
        CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
        "--remote-allow-origins=*", "--window-size=900,1200", "about:blank",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.is_file() and port_file.read_text().strip()):
            assert time.monotonic() < deadline, "Chromium did not open its DevTools port"
            await asyncio.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/json/list") as response:
                targets = await response.json()
            target = next(t for t in targets if t["type"] == "page")
            async with http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                cdp = _Cdp(ws)
                await cdp.call("Page.enable")
                texts = []
                for upload, screenshot in uploads:
                    await cdp.navigate(url)
                    document = await cdp.call("DOM.getDocument")
                    node = await cdp.call("DOM.querySelector", nodeId=document["root"]["nodeId"],
                                          selector="input[type=file]")
                    await cdp.call("DOM.setFileInputFiles", nodeId=node["nodeId"], files=[str(upload)])
                    await cdp.until_loaded("document.querySelector('button[type=submit]').click()")
                    metrics = await cdp.call("Page.getLayoutMetrics")
                    size = metrics["cssContentSize"]
                    shot = await cdp.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                                          clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"],
                                                "scale": 1})
                    screenshot.write_bytes(base64.b64decode(shot["data"]))
                    result = await cdp.call("Runtime.evaluate", expression="document.body.innerText",
                                            returnByValue=True)
                    texts.append(" ".join(result["result"]["value"].split()))
                return texts
    finally:
        process.terminate()
        await process.wait()


class _Cdp:
    """The few DevTools protocol calls the test needs, over one WebSocket."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0
        self.events: list[dict] = []

    async def call(self, method: str, **params) -> dict:
        self.next_id += 1
        await self.ws.send_json({"id": self.next_id, "method": method, "params": params})
        while True:
            message = await asyncio.wait_for(self.ws.receive_json(), 60)
            if message.get("id") == self.next_id:
                assert "error" not in message, message
                return message["result"]
            self.events.append(message)

    async def navigate(self, url: str) -> None:
        self.events.clear()
        await self.call("Page.navigate", url=url)
        await self._wait_for_load()

    async def until_loaded(self, script: str) -> None:
        self.events.clear()
        await self.call("Runtime.evaluate", expression=script)
        await self._wait_for_load()

    async def _wait_for_load(self) -> None:
        while not any(event.get("method") == "Page.loadEventFired" for event in self.events):
            self.events.append(await asyncio.wait_for(self.ws.receive_json(), 60))


def test_an_earlier_revision_of_the_letter_is_recognised(letter, service):
    """A copy saved before the stored letter got another revision (``naskah renew`` appends archive timestamps
    as incremental updates) is a prefix of the stored file and verifies on its own."""
    from naskah.service.verification_page import check_upload
    from naskah.validation import verify_pdf

    roots = [service.workdir / "signing" / "root.pem"]
    stored = letter["pdf"] + b"\n% a later incremental update\n"
    checked = check_upload(letter["pdf"], "salinan.pdf", stored, hashlib.sha256(stored).hexdigest(),
                           lambda data: verify_pdf(data, trust_roots=roots), "Asia/Jakarta")
    assert checked.kind == "earlier" and checked.cls == "ok", checked
    unsigned_prefix = letter["pdf"][:2000]
    checked = check_upload(unsigned_prefix, "potongan.pdf", stored, hashlib.sha256(stored).hexdigest(),
                           lambda data: verify_pdf(data, trust_roots=roots), "Asia/Jakarta")
    assert checked.kind == "different" and checked.cls == "bad"
