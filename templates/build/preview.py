"""Render the templates with the sample payloads and look at the result.

For each case: render the template with docxtpl, convert to PDF/A-2b with LibreOffice as naskah does,
make PNG previews (pdftoppm), and report the page count, where the ``/ttd`` named destination lands and
whether the signer's name clears the 3 cm stamp box.

    .venv/bin/python templates/build/preview.py [OUTPUT_DIR] [--signed] [CASE...]   (default /tmp/naskah-preview)

Surat Tugas cases (contexts built here, following templates/README.md): the two samples, a 40-member
team (the table header must repeat on pages 3+), and both letters with values holding & < " ' (they
must print literally).

Surat dinas cases (permohonan/jawaban pelibatan, pengajuan sukarela and its penolakan): the example
payloads of the mappings, and long or hostile variants of them (40 officials, ten reasons, very long names
and titles, u.b. signature, ten tembusan), taken through naskah's own route, mapping and letter model,
so the context is exactly the one ``naskah render`` gives the template. For these the report also says
whether a word lies under the stamp box and how many body lines share the signature's page (0 would be a
signature orphaned at the top of a page). ``--signed`` also issues them, signed, into OUTPUT_DIR/store and
writes PNGs of the signed pages (CASE-signed-N.png). NASKAH_CONFIG selects other mappings or templates.
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


# ---------------------------------------------------------------------------------------------------
# Surat dinas: contexts from naskah's own pipeline, for the example payloads and variants of them
# ---------------------------------------------------------------------------------------------------

PAYLOADS = ROOT / "mappings" / "examples" / "host-eoffice"
LONG_NAME = "Prof. Dr. Ir. Raden Mas Muhammad Abdurrahman Wicaksono Hadiningrat, S.T., M.T., M.Sc., Ph.D., IPU."
LONG_TITLE = ("Analis Kebijakan Ahli Madya pada Bidang Perencanaan, Pengendalian dan Evaluasi Pembangunan "
              "Daerah Sub Bidang Infrastruktur dan Kewilayahan")
LONG_SENTENCE = ("Kebutuhan tersebut berkaitan dengan penyelesaian target kinerja organisasi yang telah ditetapkan "
                 "dalam perjanjian kinerja, rencana kerja tahunan dan dokumen pelaksanaan anggaran, sehingga "
                 "memerlukan dukungan pegawai yang memiliki kompetensi, keahlian dan/atau keterampilan yang sesuai")
UB_SIGNER = {"kedudukan": "u.b.", "jabatan_pemberi": "Wali Kota Malang",
             "jabatan_perantara": "Sekretaris Daerah Kota Malang",
             "jabatan": "Kepala Bagian Organisasi dan Reformasi Birokrasi Sekretariat Daerah",
             "nama": LONG_NAME, "pangkat": "Pembina Tingkat I", "golongan": "IV/b",
             "nip": "197503122000031004", "nik": "3573011203750004"}
TEMBUSAN_10 = [f"Kepala {unit} Kota Malang" for unit in (
    "Dinas Komunikasi dan Informatika", "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
    "Badan Perencanaan, Penelitian dan Pengembangan Daerah", "Inspektorat Daerah", "Badan Pendapatan Daerah",
    "Dinas Perpustakaan Umum dan Arsip Daerah", "Bagian Organisasi Sekretariat Daerah",
    "Bagian Hukum Sekretariat Daerah", "Bidang Aplikasi Informatika Dinas Komunikasi dan Informatika",
    "Bidang Pengembangan Aparatur Badan Kepegawaian dan Pengembangan Sumber Daya Manusia")]


def payload(name: str) -> dict:
    return json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))


def variant(name: str, suffix: str, change) -> dict:
    """An example payload under its own workflow id, with ``change(data)`` applied."""
    data = payload(name)
    data["workflow"]["id"] += f"-{suffix}"
    change(data["data"])
    return data


def reasons(count: int) -> list[str]:
    return [f"Alasan ke-{i + 1}: {LONG_SENTENCE}" + (" dan telah dibahas dalam rapat koordinasi" * (i % 3))
            for i in range(count)]


def long_permohonan(d: dict) -> None:
    d["maksud_tujuan"] = d["maksud_tujuan"] + " " + LONG_SENTENCE + ". " + LONG_SENTENCE + "."
    d["kegiatan"] = "Tim Kerja " + LONG_TITLE
    d["kompetensi"] = reasons(10)
    d["ekspektasi_kinerja"] = reasons(10)
    d["jumlah_pegawai"] = 12
    d["hal"] = "Permohonan Pelibatan Pejabat Fungsional dan Pelaksana dalam Tim Kerja " + LONG_TITLE
    d["tujuan"]["jabatan"] = "Kepala Badan Kepegawaian dan Pengembangan Sumber Daya Manusia Kota Malang"
    d["tembusan"] = TEMBUSAN_10
    d["penandatangan"] = UB_SIGNER


def approval_40(d: dict) -> None:
    people = payload("jawaban-pelibatan-disetujui")["data"]["pegawai_ditugaskan"]
    d["pegawai_ditugaskan"] = [
        dict(people[i % 2], nip=people[i % 2]["nip"][:15] + f"{i + 1:03d}",
             **({"nama": LONG_NAME, "jabatan": LONG_TITLE} if i % 7 == 3 else {}))
        for i in range(40)]
    d["tembusan"] = TEMBUSAN_10
    d["penandatangan"] = UB_SIGNER


def refusal_10(d: dict) -> None:
    d["alasan"] = reasons(10)
    d["saran"] = "Permohonan dapat diajukan kembali setelah " + LONG_SENTENCE + "."
    d["tembusan"] = TEMBUSAN_10


def long_pengajuan(d: dict) -> None:
    d["pemohon"].update(nama=LONG_NAME, jabatan=LONG_TITLE,
                        unit="Bidang Aplikasi Informatika Dinas Komunikasi dan Informatika Kota Malang")
    d["kegiatan"] = "Tim Kerja " + LONG_TITLE
    d["kompetensi"] = reasons(10)
    d["persetujuan_atasan"].update(nama=LONG_NAME, jabatan=LONG_TITLE)
    d["tembusan"] = TEMBUSAN_10


def hostile_dinas(d: dict) -> None:
    d["hal"] = HOSTILE
    d["tujuan"]["jabatan"] = HOSTILE
    d["penandatangan"]["nama"] = HOSTILE
    d["alasan"] = d["alasan"] + [HOSTILE]
    d["tembusan"] = [HOSTILE]


DINAS_CASES = {  # case name: payload
    "permohonan-lintas-unit": lambda: payload("permohonan-pelibatan-lintas-unit"),
    "permohonan-lintas-instansi": lambda: payload("permohonan-pelibatan-lintas-instansi"),
    "permohonan-long": lambda: variant("permohonan-pelibatan-lintas-unit", "long", long_permohonan),
    "jawaban-disetujui": lambda: payload("jawaban-pelibatan-disetujui"),
    "jawaban-ditolak": lambda: payload("jawaban-pelibatan-ditolak"),
    "jawaban-disetujui-40": lambda: variant("jawaban-pelibatan-disetujui", "40", approval_40),
    "jawaban-ditolak-10": lambda: variant("jawaban-pelibatan-ditolak", "10", refusal_10),
    "pengajuan-sukarela": lambda: payload("pengajuan-sukarela-lintas-unit"),
    "pengajuan-sukarela-long": lambda: variant("pengajuan-sukarela-lintas-unit", "long", long_pengajuan),
    "penolakan-sukarela": lambda: payload("penolakan-pengajuan-sukarela"),
    "penolakan-sukarela-10": lambda: variant("penolakan-pengajuan-sukarela", "10", refusal_10),
    "penolakan-sukarela-hostile": lambda: variant("penolakan-pengajuan-sukarela", "hostile", hostile_dinas),
}


def naskah_instance(store: Path | None = None):
    from naskah.config import load_settings
    from naskah.pipeline import Naskah
    return Naskah(load_settings(store_dir=store))


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


def stamp_report(pdf: Path, stamp_width: float = 200) -> list[str]:
    """Words under the stamp box (200 x 85 pt from /ttd, signing/profiles/default.yaml), and the body lines
    left of the signature on its page: none means the signature block starts the page on its own."""
    reader = PdfReader(pdf)
    dest = reader.named_destinations.get("/ttd") or reader.named_destinations.get("ttd")
    if dest is None:
        return []
    page = reader.get_destination_page_number(dest)
    height = float(reader.pages[page].mediabox.height)
    left, top = float(dest.left), height - float(dest.top)  # from the page top, as pdftotext gives them
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    covered, body_lines, index = [], set(), -1
    for line in html.splitlines():
        if "<page " in line:
            index += 1
        match = re.search(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)</word>', line)
        if not match or index != page:
            continue
        x0, y0, x1, y1 = map(float, match.groups()[:4])
        if x1 > left and x0 < left + stamp_width and y1 > top and y0 < top + STAMP_HEIGHT:
            covered.append(match.group(5))
        if y1 < top and x0 < left - 10:
            body_lines.add(round(y0))
    return [f"  under the stamp box: {' '.join(covered) if covered else 'nothing'}; "
            f"body lines above the signature on its page: {len(body_lines)}"
            + ("" if body_lines else " (SIGNATURE ORPHANED)")]


def main(argv: list[str]) -> int:
    args = [a for a in argv[1:] if not a.startswith("--")]
    signed = "--signed" in argv
    out = Path(args[0]) if args else Path("/tmp/naskah-preview")
    only = set(args[1:])
    out.mkdir(parents=True, exist_ok=True)
    contexts, payloads, sources = {}, {}, {}
    for case, (template, make) in CASES.items():
        if only and case not in only:
            continue
        contexts[case] = make()
        sources[case] = out / f"{case}.docx"
        render(TEMPLATES / template, contexts[case], sources[case])
    naskah = naskah_instance(out / "store") if any(not only or c in only for c in DINAS_CASES) else None
    for case, make in DINAS_CASES.items():
        if only and case not in only:
            continue
        payloads[case] = make()
        prepared = naskah.prepare(payloads[case], source=case)
        contexts[case] = prepared.context | {"footer": FOOTER}
        sources[case] = out / f"{case}.docx"
        render(naskah.settings.templates_dir / prepared.mapping.template, contexts[case], sources[case])
    convert(list(sources.values()), out)
    for case, ctx in contexts.items():
        pdf = out / f"{case}.pdf"
        for old in out.glob(f"{case}-*.png"):
            old.unlink()
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(out / case)], check=True)
        print("\n".join(report(case, pdf, ctx)))
        if case in payloads:
            print("\n".join(stamp_report(pdf)))
            if signed:
                issued = naskah.issue(payloads[case], source=case)
                subprocess.run(["pdftoppm", "-r", "60", "-png", str(issued.pdf_path), str(out / f"{case}-signed")],
                               check=True)
                print(f"  signed: {issued.pdf_path}")
        if case.endswith("hostile"):
            text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
            flat = " ".join(text.split())
            print(f"  {HOSTILE!r} printed literally: {flat.count(HOSTILE)} times; "
                  f"nomor literally: {ctx['nomor'] in flat}")
    print(f"previews: {out}/*.png")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
