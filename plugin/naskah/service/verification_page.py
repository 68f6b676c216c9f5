"""The public page behind the QR code: ``GET /v/{letter id}`` tells a citizen, in Indonesian, whether the letter
is genuine, and ``POST /v/{letter id}`` checks whether a PDF they hold is exactly that letter.

The page shows only what the letter itself shows about itself: issuing agency, kind, number, date, subject,
signer with title, signing time, the SHA-256 of the signed file and whether its signature verifies. It never
offers the letter for download (the URL is printed on the letter, and a photo of the QR code must not give
away the whole letter), and it never shows the host's workflow id, the members of a team or NIPs.

What the page says comes from the letter's public facts, which the store keeps for every letter (issued from the
command line or by the service alike); for a letter stored before the store kept them, the page shows what the
store's index has. A letter of the signature flow that was revoked says so first (DICABUT, when and why), and one
replaced by a corrected letter too (DIGANTI, with a link to the page of the letter that replaces it).
"""
from __future__ import annotations

import collections
import datetime as dt
import hashlib
import threading
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from ..formatting import tanggal
from ..letters import LETTER_TITLES
from ..sign.backends.demo_key import SIGNER_CN as DEMO_SIGNER_CN
from ..store import StoredLetter
from ..validation import VerificationReport

#: Time zone abbreviations as Indonesians write them.
_ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}

class ReportCache:
    """Verification reports of stored letters by SHA-256 (a stored file changes only when renewed)."""

    def __init__(self, size: int = 256):
        self.size = size
        self._reports: collections.OrderedDict[str, VerificationReport] = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, sha256: str) -> VerificationReport | None:
        with self._lock:
            report = self._reports.get(sha256)
            if report is not None:
                self._reports.move_to_end(sha256)
            return report

    def put(self, sha256: str, report: VerificationReport) -> None:
        with self._lock:
            self._reports[sha256] = report
            while len(self._reports) > self.size:
                self._reports.popitem(last=False)


# ------------------------------------------------------------------------------------------------ verdicts

@dataclass
class Verdict:
    """A verification report told plainly: ``state`` is ok, demo, warn or bad; ``short`` fits a table cell;
    ``summary`` speaks of the registered letter ("Surat ini"); ``reasons`` are Indonesian sentences."""

    state: str
    headline: str
    short: str
    summary: str
    reasons: list[str] = field(default_factory=list)
    technical: list[str] = field(default_factory=list)
    signed_at: str | None = None


def uses_demo_key(report: VerificationReport) -> bool:
    return any(sig.signer == DEMO_SIGNER_CN for sig in report.signatures)


def _reason(problem: str) -> str:
    text = problem.lower()
    if "no signatures" in text:
        return "Berkas ini tidak memiliki tanda tangan elektronik."
    if "not a readable pdf" in text:
        return "Berkas ini bukan PDF yang dapat dibaca."
    if "digest mismatch" in text or "changed after signing" in text:
        return "Isi berkas telah diubah setelah ditandatangani."
    if "modified after" in text:
        return "Berkas telah diubah setelah ditandatangani dengan cara yang tidak diizinkan."
    if "does not match the signer" in text:
        return "Tanda tangan elektronik tidak cocok dengan sertifikat penandatangan."
    if "trusted root" in text:
        return "Sertifikat elektronik penandatangan tidak berasal dari penyelenggara sertifikasi yang dipercaya."
    if "timestamp" in text:
        return "Cap waktu tanda tangan tidak dapat dipastikan."
    if "revocation" in text or "long-term" in text:
        return "Status sertifikat penandatangan (dicabut atau tidak) tidak dapat dipastikan."
    return "Pemeriksaan teknis menemukan masalah pada tanda tangan elektronik."


def verdict_of(report: VerificationReport, zone: str) -> Verdict:
    problems = list(report.problems)
    for sig in report.signatures:
        problems += sig.problems
        if not sig.intact and not any("digest" in p for p in sig.problems):
            problems.append("the signed content was changed after signing (digest mismatch)")
    for ts in report.timestamps:
        problems += ts.problems
    reasons = list(dict.fromkeys(_reason(problem) for problem in problems))
    signed_at = None
    if report.signatures:
        first = report.signatures[0]
        moment = first.timestamp.time if first.timestamp and first.timestamp.time else first.signing_time
        signed_at = waktu(moment, zone) if moment else None
    if not report.ok:
        return Verdict("bad", "Tanda tangan elektronik TIDAK sah", "TIDAK sah",
                       "Keaslian surat ini tidak dapat dipastikan. Jangan mengandalkannya; hubungi instansi "
                       "penerbit untuk memperoleh salinan resmi.", reasons or [_reason("")], problems, signed_at)
    if uses_demo_key(report):
        return Verdict("demo", "Surat percobaan, TIDAK berlaku", "Surat percobaan (kunci DEMO), tidak berlaku",
                       "Tanda tangan surat ini utuh, tetapi dibuat dengan kunci DEMO aplikasi, bukan dengan "
                       "sertifikat elektronik resmi. Surat ini hanya untuk uji coba dan tidak sah sebagai naskah "
                       "dinas.", [], [], signed_at)
    if not report.trust_checked:
        return Verdict("warn", "Keabsahan tanda tangan tidak dapat dipastikan", "Tidak dapat dipastikan",
                       "Isi surat ini tidak berubah sejak ditandatangani, tetapi layanan ini belum mempunyai daftar "
                       "penerbit sertifikat yang dipercaya, sehingga penandatangannya tidak dapat dipastikan.",
                       [], [], signed_at)
    return Verdict("ok", "Tanda tangan elektronik sah", "Sah",
                   "Surat ini ditandatangani secara elektronik dengan sertifikat yang dipercaya, dan isinya tidak "
                   "berubah sejak ditandatangani.", [], [], signed_at)


@dataclass
class Notice:
    """What became of a signed letter since (revoked or replaced), told above the signature's verdict."""

    cls: str
    headline: str
    summary: str
    reasons: list[str] = field(default_factory=list)
    link: dict | None = None  # {"url", "text"}: the replacing letter's page


def flow_notice(draft, zone: str, page_url_of, replacement_nomor: str | None = None) -> Notice | None:
    """The notice for a letter whose flow record is ``draft`` (a ``naskah.lifecycle.Draft``; None: a letter
    sealed in one call); ``page_url_of(letter_id)`` is a letter's page."""
    if draft is None or draft.state not in ("revoked", "superseded"):
        return None
    when = waktu(dt.datetime.fromisoformat(draft.closed_at), zone) if draft.closed_at else None
    if draft.state == "revoked":
        return Notice("bad", "Surat ini DICABUT",
                      f"Surat ini telah dicabut oleh instansi penerbitnya{f' pada {when}' if when else ''} dan "
                      "tidak berlaku lagi, walaupun tanda tangan elektroniknya utuh.",
                      [f"Alasan pencabutan: {draft.revocation_reason}"] if draft.revocation_reason else [])
    number = f" Nomor {replacement_nomor}" if replacement_nomor else ""
    return Notice("warn", "Surat ini DIGANTI",
                  f"Surat ini telah diganti dengan surat perbaikan{f' pada {when}' if when else ''}. Yang berlaku "
                  "adalah surat penggantinya.", [],
                  {"url": page_url_of(draft.superseded_by), "text": f"Lihat surat pengganti{number}"})


def waktu(moment: dt.datetime, zone: str) -> str:
    """"27 Juni 2023 pukul 09.15 WIB"."""
    tz = ZoneInfo(zone)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    local = moment.astimezone(tz)
    text = format_datetime(local, "d MMMM y 'pukul' HH.mm", tzinfo=tz, locale="id")
    return f"{text} {_ZONE_NAMES.get(zone) or local.tzname() or zone}"


# ------------------------------------------------------------------------------------------------ the page

def letter_facts(letter_id: str, stored: StoredLetter) -> dict:
    """The rows of the page's table, each value None when not known."""
    facts = stored.public_facts
    kind = stored.letter_kind
    return {
        "agency": list(facts.issuer if facts else ()) or stored.metadata.get("penerbit") or [],
        "kind": LETTER_TITLES.get(kind, kind),
        "nomor": (facts and facts.nomor) or stored.nomor or None,
        "tanggal": _tanggal((facts and facts.tanggal) or stored.tanggal),
        "hal": (facts and facts.hal) or stored.hal,
        "signer_name": (facts and facts.signer_name) or stored.penandatangan,
        "signer_title_lines": list(facts.signer_title_lines) if facts else [],
        "sha256": stored.sha256,
        "sha256_groups": [stored.sha256[i:i + 8] for i in range(0, len(stored.sha256), 8)],
        "letter_id": letter_id,
    }


def _tanggal(value) -> str | None:
    if not value:
        return None
    try:
        return tanggal(str(value)[:10])
    except ValueError:
        return str(value)


@dataclass
class UploadCheck:
    """The check of an uploaded file against the stored letter."""

    kind: str  # same, earlier (an earlier revision of the same signed letter), different, unreadable, refused
    headline: str
    summary: str
    filename: str
    sha256: str | None = None
    verdict: Verdict | None = None

    @property
    def cls(self) -> str:
        """The colour of the result: a file that is the letter but whose signature fails is not green."""
        if self.kind in ("same", "earlier"):
            return self.verdict.state if self.verdict else "ok"
        return "bad" if self.kind == "different" else "warn"

    @property
    def sha256_groups(self) -> list[str]:
        return [self.sha256[i:i + 8] for i in range(0, len(self.sha256 or ""), 8)]


def refused_upload(data: bytes, filename: str) -> UploadCheck:
    """A file beyond the verification limits (too many signatures or objects, or too long to check)."""
    return UploadCheck("refused", "Berkas ini tidak dapat diperiksa",
                       "Berkas ini jauh lebih rumit daripada surat elektronik biasa (terlalu banyak tanda tangan "
                       "atau bagian), sehingga tidak diperiksa. Surat asli yang tercatat dengan kode ini tertera di "
                       "bawah; mintalah salinannya kepada instansi penerbit.",
                       _name(filename), hashlib.sha256(data).hexdigest())


def _name(filename: str) -> str:
    return (filename or "berkas tanpa nama")[:120]


def check_upload(data: bytes, filename: str, stored_pdf: bytes, stored_sha256: str,
                 verify, zone: str) -> UploadCheck:
    """Compare an uploaded file with the stored letter; ``verify(bytes)`` gives its verification report."""
    name = _name(filename)
    if not data:
        return UploadCheck("unreadable", "Tidak ada berkas yang diunggah",
                           "Pilih berkas PDF surat yang ingin diperiksa, lalu tekan tombol Periksa berkas.", name)
    if b"%PDF-" not in data[:1024]:
        return UploadCheck("unreadable", "Berkas ini bukan PDF",
                           "Yang dapat diperiksa hanya berkas PDF surat elektronik, bukan foto, hasil pindai, atau "
                           "berkas jenis lain.", name, hashlib.sha256(data).hexdigest())
    sha256 = hashlib.sha256(data).hexdigest()
    if sha256 == stored_sha256:
        return UploadCheck("same", "Berkas ini SAMA PERSIS dengan surat yang diterbitkan",
                           "Sidik jari berkas Anda sama dengan sidik jari surat yang tercatat: berkas ini tidak "
                           "berubah sedikit pun.", name, sha256, verdict_of(verify(data), zone))
    verdict = verdict_of(verify(data), zone)
    if verdict.state != "bad" and len(data) < len(stored_pdf) and stored_pdf.startswith(data):
        return UploadCheck("earlier", "Berkas ini adalah surat yang sama, versi sebelumnya",
                           "Isi dan tanda tangan berkas Anda sama dengan surat yang tercatat. Versi yang tercatat "
                           "kemudian hanya ditambah cap waktu arsip untuk menjaga keabsahan jangka panjang.",
                           name, sha256, verdict)
    if verdict.state == "bad":
        summary = ("Sidik jari berkas Anda berbeda dari surat yang tercatat, dan tanda tangan elektronik di "
                   "dalamnya tidak sah: berkas ini kemungkinan telah diubah. Jangan mengandalkannya. Surat asli "
                   "yang tercatat dengan kode ini tertera di bawah; mintalah salinannya kepada instansi penerbit.")
    else:
        summary = ("Sidik jari berkas Anda berbeda dari surat yang tercatat. Berkas ini memang bertanda tangan "
                   "elektronik, tetapi bukan surat dengan kode verifikasi ini. Surat yang tercatat dengan kode ini "
                   "tertera di bawah.")
    return UploadCheck("different", "Berkas ini BUKAN surat yang diterbitkan dengan kode ini", summary, name,
                       sha256, verdict)
