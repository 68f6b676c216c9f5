"""Render the Surat Tugas templates with the sample payloads and look at the result.

For each case: render the template with docxtpl (the contexts follow templates/README.md), convert to
PDF/A-2b with LibreOffice as naskah does, make PNG previews (pdftoppm), and report the page count,
where the ``/ttd`` named destination lands and whether the signer's name clears the 3 cm stamp box.

    .venv/bin/python templates/build/preview.py [OUTPUT_DIR]     (default /tmp/naskah-preview)

Cases: the two samples, a 40-member team (the table header must repeat on pages 3+), and both letters
with values holding & < " ' (they must print literally).
"""
from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

from docxtpl import DocxTemplate
from jinja2 import Environment, StrictUndefined
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "plugin"))
from naskah.formatting import FILTERS, nip  # noqa: E402

TEMPLATES = ROOT / "templates"
EXAMPLES = Path("/work/shared/examples/host-eoffice")
FOOTER = "Dokumen ini telah ditandatangani secara elektronik menggunakan sertifikat elektronik."
EXPORT = "pdf:writer_pdf_Export:" + json.dumps({
    "SelectPdfVersion": {"type": "long", "value": "2"},
    "ExportBookmarksToPDFDestination": {"type": "boolean", "value": "true"},
})
STAMP_HEIGHT = 85  # points, signing/profiles/default.yaml
HOSTILE = "Tom & Jerry <b>\"Kutip\"</b> O'Neil"


def kop(data: dict) -> dict:
    pd = data["perangkat_daerah"]
    return {
        "pemerintah": data["instansi"]["nama"].upper(),
        "nama": pd["nama"].upper(),
        "alamat": f"{pd['alamat']} {pd['kota']} {pd['kode_pos']}, Telp. {pd['telepon']}, Faks. {pd['faks']}",
        "laman": f"Laman: {pd['website']}, Pos-el: {pd['email']}",
    }


def penandatangan(signer: dict) -> dict:
    return signer | {
        "baris_jabatan": [f"{signer['kedudukan']} {signer['jabatan_pemberi']}", f"{signer['jabatan']},"],
        "baris_pangkat": signer["pangkat"],
        "baris_nip": f"NIP {nip(signer['nip'])}",
    }


def pegawai(person: dict) -> dict:
    return {key: person[key] for key in ("nama", "pangkat", "golongan", "nip", "jabatan")}


def context(name: str) -> dict:
    data = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))["data"]
    result = {
        "kop": kop(data),
        "nomor": data["nomor"],
        "dasar": data["dasar"],
        "untuk": data["untuk"],
        "melapor_kepada": data["melapor_kepada"],
        "berlaku_sampai": dt.date.fromisoformat(data["berlaku_sampai"]),
        "ditetapkan": {"tempat": data["ditetapkan"]["tempat"],
                       "tanggal": dt.date.fromisoformat(data["ditetapkan"]["tanggal"])},
        "penandatangan": penandatangan(data["penandatangan"]),
        "footer": FOOTER,
    }
    if "tim" in data:
        result["tim"] = {"nama": data["tim"]["nama"], "anggota": [
            pegawai(m) | {"kedudukan": m["peran"].capitalize()} for m in data["tim"]["anggota"]]}
    else:
        result["pegawai"] = pegawai(data["pegawai"])
    return result


def big_team(size: int) -> dict:
    ctx = context("surat-tugas-tim")
    sample = ctx["tim"]["anggota"]
    members = []
    for index in range(size):
        member = dict(sample[index % len(sample)])
        member["nip"] = member["nip"][:15] + f"{index + 1:03d}"
        member["kedudukan"] = "Ketua" if index == 0 else "Anggota"
        members.append(member)
    ctx["tim"]["anggota"] = members
    return ctx


def hostile(ctx: dict) -> dict:
    ctx["nomor"] = "800/01&<02>/\"A\"/'B'"
    ctx["dasar"] = ctx["dasar"] + [HOSTILE]
    ctx["untuk"] = ctx["untuk"] + [HOSTILE]
    ctx["melapor_kepada"] = HOSTILE
    ctx["penandatangan"]["nama"] = HOSTILE
    if "tim" in ctx:
        ctx["tim"]["nama"] = HOSTILE
        ctx["tim"]["anggota"][1]["nama"] = HOSTILE
    else:
        ctx["pegawai"]["nama"] = HOSTILE
    return ctx


CASES = {  # case name: (template, context)
    "tim": ("surat_tugas_tim.docx", lambda: context("surat-tugas-tim")),
    "individu": ("surat_tugas_individu.docx", lambda: context("surat-tugas-individu")),
    "tim-40": ("surat_tugas_tim.docx", lambda: big_team(40)),
    "tim-hostile": ("surat_tugas_tim.docx", lambda: hostile(context("surat-tugas-tim"))),
    "individu-hostile": ("surat_tugas_individu.docx", lambda: hostile(context("surat-tugas-individu"))),
}


def render(template: Path, ctx: dict, out: Path) -> None:
    env = Environment(undefined=StrictUndefined)
    env.filters.update(FILTERS)
    doc = DocxTemplate(template)
    doc.render(ctx, jinja_env=env, autoescape=True)
    doc.save(out)


def convert(docx_files: list[Path], out: Path) -> None:
    subprocess.run(["soffice", "--headless", "-env:UserInstallation=file:///tmp/tplprof", "--convert-to", EXPORT,
                    "--outdir", str(out), *map(str, docx_files)], check=True, capture_output=True, timeout=300)


def words_with_boxes(pdf: Path) -> list[tuple[int, float, float, str]]:
    """(page index, x, y from the page top, word) for every word, by pdftotext -bbox."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    words, page = [], -1
    for line in html.splitlines():
        if "<page " in line:
            page += 1
        match = re.search(r'xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>(.*)</word>', line)
        if match:
            words.append((page, float(match.group(1)), float(match.group(2)), match.group(3)))
    return words


def report(case: str, pdf: Path, ctx: dict) -> list[str]:
    reader = PdfReader(pdf)
    lines = [f"{case}: {len(reader.pages)} page(s)"]
    dest = reader.named_destinations.get("/ttd") or reader.named_destinations.get("ttd")
    if dest is None:
        return lines + ["  no /ttd destination"]
    page = reader.get_destination_page_number(dest)
    height = float(reader.pages[page].mediabox.height)
    lines.append(f"  /ttd on page {page + 1} at left={float(dest.left):.1f} top={float(dest.top):.1f} pt "
                 f"({float(dest.top) - STAMP_HEIGHT:.1f} after the 85 pt stamp)")
    # The first line under the stamp's top left corner, in the signature column: the signer's name.
    below = [(height - y, word) for p, x, y, word in words_with_boxes(pdf)
             if p == page and abs(x - float(dest.left)) < 2 and height - y < float(dest.top)]
    if below:
        top, word = max(below)
        state = "clear of the stamp" if top <= float(dest.top) - STAMP_HEIGHT else "UNDER THE STAMP"
        lines.append(f"  next line below it starts with {word!r} at top={top:.1f} pt "
                     f"({float(dest.top) - top:.1f} pt lower): {state}")
    return lines


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path("/tmp/naskah-preview")
    out.mkdir(parents=True, exist_ok=True)
    contexts = {}
    for case, (template, make) in CASES.items():
        contexts[case] = make()
        render(TEMPLATES / template, contexts[case], out / f"{case}.docx")
    convert([out / f"{case}.docx" for case in CASES], out)
    for case, ctx in contexts.items():
        pdf = out / f"{case}.pdf"
        for old in out.glob(f"{case}-*.png"):
            old.unlink()
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(out / case)], check=True)
        print("\n".join(report(case, pdf, ctx)))
        if case.endswith("hostile"):
            text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
            flat = " ".join(text.split())
            print(f"  {HOSTILE!r} printed literally: {flat.count(HOSTILE)} times; "
                  f"nomor literally: {ctx['nomor'] in flat}")
    print(f"previews: {out}/*.png")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
