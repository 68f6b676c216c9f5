"""Render the templates with the sample payloads and look at the result.

For each case: render the template as naskah does, convert to PDF/A-2b with LibreOffice as naskah does,
make PNG previews (pdftoppm), and report the page count, where the ``/ttd`` named destination lands and
whether the signer's name clears the 3 cm stamp box.

    .venv/bin/python templates/build/preview.py [OUTPUT_DIR] [--signed] [CASE...]   (default /tmp/naskah-preview)

Every case is an example payload of the mappings or a variant of one, taken through naskah's own route, mapping,
letter model and renderer (with the kop's emblem), so the context is exactly the one ``naskah render`` gives the
template. Surat Tugas and Surat Perintah: the samples, the surat penugasan citing an approval, a 40-member team
(the table header must repeat on pages 3+), and letters with values holding & < " ' (they must print literally).
Keputusan: the sample and a long one (40 members, six considerations, eight duties, seven more diktum, ten
copies). Surat dinas (permohonan/jawaban pelibatan, pengajuan sukarela and its penolakan): the samples and long
or hostile variants; the Cilegon and Tangerang sets: every sample of mappings/examples/<city>/, a Tangerang request
with six duties and a Tangerang Surat Perintah of 40 (40 officials, ten reasons, very long names and titles, u.b. signature, ten tembusan). The
report also says whether a word lies under the stamp box and how many body lines share the signature's page (0
would be a signature orphaned at the top of a page). ``--signed`` also issues them, signed, into OUTPUT_DIR/store and
writes PNGs of the signed pages (CASE-signed-N.png). NASKAH_CONFIG selects other mappings or templates.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "plugin"))
from naskah.render import render_docx  # noqa: E402

FOOTER = "Dokumen ini telah ditandatangani secara elektronik menggunakan sertifikat elektronik."
EXPORT = "pdf:writer_pdf_Export:" + json.dumps({
    "SelectPdfVersion": {"type": "long", "value": "2"},
    "ExportBookmarksToPDFDestination": {"type": "boolean", "value": "true"},
})
STAMP_HEIGHT = 85  # points, signing/profiles/default.yaml
HOSTILE = "Tom & Jerry <b>\"Kutip\"</b> O'Neil"


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


def big_team(size: int):
    """A team of ``size``: the sample's members again and again under new NIPs, the Ketua first."""
    def change(d: dict) -> None:
        sample = d["tim"]["anggota"]
        d["tim"]["anggota"] = [dict(sample[i % len(sample)], nip=sample[i % len(sample)]["nip"][:15] + f"{i + 1:03d}",
                                    peran="ketua" if i == 0 else "anggota") for i in range(size)]
    return change


def hostile_tugas(d: dict) -> None:
    d["nomor"] = "800/01&<02>/\"A\"/'B'"
    d["dasar"] = d["dasar"] + [HOSTILE]
    d["untuk"] = d["untuk"] + [HOSTILE]
    d["melapor_kepada"] = HOSTILE
    d["penandatangan"]["nama"] = HOSTILE
    if "tim" in d:
        d["tim"]["nama"] = HOSTILE
        d["tim"]["anggota"][1]["nama"] = HOSTILE
    else:
        d["pegawai"]["nama"] = HOSTILE


def long_keputusan(d: dict) -> None:
    big_team(40)(d)
    d["menimbang"] = reasons(6)
    d["tugas"] = reasons(8)
    d["diktum"] = reasons(7)
    d["tembusan"] = TEMBUSAN_10


def city_payload(city: str, name: str) -> dict:
    return json.loads((PAYLOADS.parent / city / f"{name}.json").read_text(encoding="utf-8"))


def long_uraian(d: dict) -> None:
    """A Tangerang request with six duties and targets (Perwal Kota Tangerang 12/2023 Pasal 24 ayat (3) huruf c)."""
    d["uraian_tugas"] = [{"tugas": f"{LONG_SENTENCE} ({i})", "target": f"Target capaian individu nomor {i}"}
                         for i in range(1, 7)]


def city_variant(city: str, name: str, change) -> dict:
    sample = city_payload(city, name)
    change(sample["data"])
    return sample


#: every sample of the Cilegon and Tangerang template sets (mappings/examples/<city>/), and long variants
CITY_CASES = {
    f"{city}-{path.stem}": (lambda city=city, name=path.stem: city_payload(city, name))
    for city in ("cilegon", "tangerang") for path in sorted((PAYLOADS.parent / city).glob("*.json"))
} | {
    "tangerang-permohonan-long": lambda: city_variant("tangerang", "permohonan-pelibatan-lintas-perangkat-daerah",
                                                      long_uraian),
    "tangerang-surat-perintah-40": lambda: city_variant("tangerang", "surat-perintah-tim", big_team(40)),
}

CASES = {  # case name: payload
    "tim": lambda: payload("surat-tugas-tim"),
    "individu": lambda: payload("surat-tugas-individu"),
    "penugasan": lambda: payload("surat-tugas-penugasan"),
    "tim-40": lambda: variant("surat-tugas-tim", "40", big_team(40)),
    "tim-hostile": lambda: variant("surat-tugas-tim", "hostile", hostile_tugas),
    "individu-hostile": lambda: variant("surat-tugas-individu", "hostile", hostile_tugas),
    "surat-perintah": lambda: payload("surat-perintah-tim"),
    "surat-perintah-40": lambda: variant("surat-perintah-tim", "40", big_team(40)),
    "keputusan": lambda: payload("keputusan-tim-kerja"),
    "keputusan-long": lambda: variant("keputusan-tim-kerja", "long", long_keputusan),
    **DINAS_CASES,
    **CITY_CASES,
}


def render(naskah, prepared, ctx: dict, out: Path) -> None:
    """As naskah renders it (its sandbox, filters and the kop's emblem)."""
    out.write_bytes(render_docx(naskah.settings.templates_dir / prepared.mapping.template, ctx))


def convert(docx_files: list[Path], out: Path) -> None:
    # a LibreOffice profile of its own: two previews at once would wait on each other's
    profile = f"file:///tmp/tplprof-{os.getpid()}"
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation={profile}", "--convert-to", EXPORT,
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
    naskah = naskah_instance(out / "store")
    for case, make in CASES.items():
        if only and case not in only:
            continue
        payloads[case] = make()
        prepared = naskah.prepare(payloads[case], source=case)
        contexts[case] = prepared.context | {"footer": FOOTER}
        sources[case] = out / f"{case}.docx"
        render(naskah, prepared, contexts[case], sources[case])
    convert(list(sources.values()), out)
    for case, ctx in contexts.items():
        pdf = out / f"{case}.pdf"
        for old in out.glob(f"{case}-*.png"):
            old.unlink()
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(out / case)], check=True)
        print("\n".join(report(case, pdf, ctx)))
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
