"""The parts every naskah template is built from with python-docx: page and fonts, paragraphs whose
template tags stay in one run, tables, the kop, the signature block with the ``ttd`` bookmark, the footer.

Used by make_surat_tugas.py, make_keputusan.py and make_surat_dinas.py. The contract the templates follow
(variables, filters, the ``ttd`` bookmark, the footer, page size and fonts) is in templates/README.md.
"""
from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT, WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Mm, Pt

from sets import TEMPLATES, output_folder, template_set  # noqa: F401 (the generators take them from here)

FONT = "Arial"
BODY_SIZE = Pt(12)
SPACE_AFTER = Pt(3)  # between the paragraphs of the body

# F4 paper and the margins of templates/README.md.
PAGE_WIDTH, PAGE_HEIGHT = Mm(215), Mm(330)
MARGIN_LEFT = MARGIN_RIGHT = Cm(2.5)
MARGIN_TOP = MARGIN_BOTTOM = Cm(2)
TEXT_WIDTH = Emu(PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT)  # 16.5 cm

NUMBER_INDENT = Cm(0.75)  # numbered items: the number, then the text with wrapped lines under it
# The signature block (and the Surat Tugas' Lampiran heading) sit on the right half of the page.
RIGHT_BLOCK_INDENT = Cm(8)
# Free space for the electronic signature stamp (QR code and name): the stamp is 3 cm high.
SIGNATURE_BLANK_LINES = 7

ALIGN = WD_ALIGN_PARAGRAPH


# ---------------------------------------------------------------------------------------------------
# Small helpers over python-docx and its XML
# ---------------------------------------------------------------------------------------------------

def paragraph(container, text: str = "", *, bold=False, underline=False, italic=False, size=None,
              align=None, space_before=None, space_after=None, left_indent=None, first_line_indent=None,
              right_indent=None, tabs=(), keep_with_next=False, page_break_before=False):
    """A paragraph of one run (a template tag must stay inside a single run to keep working)."""
    p = container.add_paragraph()
    fmt = p.paragraph_format
    if align is not None:
        p.alignment = align
    if space_before is not None:
        fmt.space_before = space_before
    if space_after is not None:
        fmt.space_after = space_after
    if left_indent is not None:
        fmt.left_indent = left_indent
    if first_line_indent is not None:
        fmt.first_line_indent = first_line_indent
    if right_indent is not None:
        fmt.right_indent = right_indent
    for position in tabs:
        fmt.tab_stops.add_tab_stop(position, WD_TAB_ALIGNMENT.LEFT)
    fmt.keep_with_next = keep_with_next or None
    fmt.page_break_before = page_break_before or None
    if text:
        run = p.add_run(text)
        run.bold = bold or None
        run.underline = underline or None
        run.italic = italic or None
        if size is not None:
            run.font.size = size
    return p


def tag(container, text: str):
    """A paragraph holding only a ``{%p ... %}`` tag: docxtpl replaces the whole paragraph by the tag."""
    return paragraph(container, text, space_after=Pt(0))


def numbered(container, number: str, text: str, *, left=Cm(0), last=False, keep_with_next=False):
    """ "1.<tab>text" with a hanging indent, so wrapped lines start under the text, not under the number."""
    return paragraph(container, f"{number}\t{text}", align=ALIGN.JUSTIFY,
                     left_indent=Emu(left + NUMBER_INDENT), first_line_indent=Emu(-NUMBER_INDENT),
                     tabs=[Emu(left + NUMBER_INDENT)], space_after=Pt(6) if last else SPACE_AFTER,
                     keep_with_next=keep_with_next)


def first_paragraph(cell, text: str = "", **kwargs):
    """Write into the empty paragraph a new cell starts with instead of adding a second one."""
    p = paragraph(cell, text, **kwargs)
    empty = cell.paragraphs[0]
    if empty._p is not p._p:
        empty._p.getparent().remove(empty._p)
    return p


def set_element(parent, tag_name: str, **attributes) -> OxmlElement:
    """Replace the child ``tag_name`` of ``parent`` by a new one with ``attributes`` (w: namespace)."""
    for old in parent.findall(qn(tag_name)):
        parent.remove(old)
    element = OxmlElement(tag_name)
    for name, value in attributes.items():
        element.set(qn(f"w:{name}"), str(value))
    parent.append(element)
    return element


CELL_MARGIN = 108  # twips (0.19 cm): the default left and right margin inside a table cell


def fixed_table(container, widths, *, borders: bool, cell_margins=True):
    """A table of fixed column widths, as wide as the text, with or without a single-line grid."""
    table = container.add_table(rows=1, cols=len(widths))
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    set_element(tbl_pr, "w:tblW", w=sum(w.twips for w in widths), type="dxa")
    # Word 2010 layout (the compatibility mode of these files) and LibreOffice measure the indent to the
    # text of the first cell: indent by the cell margin so the borders line up with the page margins.
    set_element(tbl_pr, "w:tblInd", w=CELL_MARGIN if cell_margins else 0, type="dxa")
    tbl_borders = set_element(tbl_pr, "w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        attributes = {"val": "single", "sz": 4, "space": 0, "color": "000000"} if borders else {"val": "nil"}
        border = OxmlElement(f"w:{side}")
        for name, value in attributes.items():
            border.set(qn(f"w:{name}"), str(value))
        tbl_borders.append(border)
    set_element(tbl_pr, "w:tblLayout", type="fixed")
    if not cell_margins:
        margins = set_element(tbl_pr, "w:tblCellMar")
        for side in ("left", "right"):
            margin = OxmlElement(f"w:{side}")
            margin.set(qn("w:w"), "0")
            margin.set(qn("w:type"), "dxa")
            margins.append(margin)
    # The property order the schema asks for (Word is strict about it).
    order = ["w:tblStyle", "w:tblpPr", "w:tblOverlap", "w:bidiVisual", "w:tblStyleRowBandSize",
             "w:tblStyleColBandSize", "w:tblW", "w:jc", "w:tblCellSpacing", "w:tblInd", "w:tblBorders",
             "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook"]
    for name in order:
        for element in tbl_pr.findall(qn(name)):
            tbl_pr.remove(element)
            tbl_pr.append(element)
    grid = table._tbl.tblGrid
    for column, width in zip(grid.findall(qn("w:gridCol")), widths):
        column.set(qn("w:w"), str(width.twips))
    for cell, width in zip(table.rows[0].cells, widths):
        cell.width = width
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
    return table


def add_row(table, widths):
    row = table.add_row()
    for cell, width in zip(row.cells, widths):
        cell.width = width
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
    return row


def row_property(row, name: str) -> None:
    """``w:tblHeader`` (repeat as header row on every page) or ``w:cantSplit`` (keep the row on one page)."""
    tr_pr = row._tr.get_or_add_trPr()
    element = OxmlElement(name)
    tr_pr.append(element)


def shade(cell, fill: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    shd = set_element(tc_pr, "w:shd", val="clear", color="auto", fill=fill)
    follower = next((e for e in tc_pr if e.tag in {qn(n) for n in TC_PR_AFTER_SHD}), None)
    if follower is not None:  # schema order: ... tcBorders, shd, noWrap, tcMar, textDirection, ..., vAlign
        follower.addprevious(shd)


TC_PR_AFTER_SHD = ("w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark")


def bottom_rule(p) -> None:
    """The kop's rule: a thick line over a thin one under the paragraph, across the text width."""
    p_pr = p._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for name, value in {"val": "thickThinSmallGap", "sz": 24, "space": 4, "color": "000000"}.items():
        bottom.set(qn(f"w:{name}"), str(value))
    borders.append(bottom)
    # Schema order: pBdr comes before the tabs, spacing, indentation and alignment properties.
    after = {qn(name) for name in ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:spacing", "w:ind", "w:jc")}
    follower = next((element for element in p_pr if element.tag in after), None)
    if follower is not None:
        follower.addprevious(borders)
    else:
        p_pr.append(borders)


def bookmark(p, name: str, bookmark_id: int = 0) -> None:
    """An empty bookmark at the start of the paragraph; LibreOffice exports it as a named PDF destination."""
    start, end = OxmlElement("w:bookmarkStart"), OxmlElement("w:bookmarkEnd")
    start.set(qn("w:id"), str(bookmark_id))
    start.set(qn("w:name"), name)
    end.set(qn("w:id"), str(bookmark_id))
    p._p.append(start)
    p._p.append(end)

# ---------------------------------------------------------------------------------------------------
# The document: page, styles, footer
# ---------------------------------------------------------------------------------------------------

def new_document(title: str) -> Document:
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.header_distance, section.footer_distance = Cm(1.25), Cm(1)
    set_fonts(doc)
    properties = doc.core_properties
    properties.title = title
    properties.author = "naskah"
    properties.last_modified_by = "naskah"
    properties.comments = "Template (docxtpl). Variables: templates/README.md"
    properties.language = "id-ID"
    return doc


def set_fonts(doc: Document) -> None:
    """Arial 12 pt, single spacing, Indonesian, everywhere: the defaults and the Normal style."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    r_pr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_element(r_pr, "w:rFonts", ascii=FONT, hAnsi=FONT, cs=FONT, eastAsia=FONT)
    for name in ("w:rFonts", "w:sz", "w:szCs", "w:lang"):  # schema order inside rPr
        for element in r_pr.findall(qn(name)):
            r_pr.remove(element)
            r_pr.append(element)
    set_element(r_pr, "w:sz", val=int(BODY_SIZE.pt * 2))
    set_element(r_pr, "w:szCs", val=int(BODY_SIZE.pt * 2))
    set_element(r_pr, "w:lang", val="id-ID", eastAsia="en-US", bidi="ar-SA")
    p_pr = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr"))
    set_element(p_pr, "w:spacing", after=0, line=240, lineRule="auto")
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = BODY_SIZE
    r_fonts = normal.element.rPr.rFonts
    for attribute in ("ascii", "hAnsi", "cs", "eastAsia"):
        r_fonts.set(qn(f"w:{attribute}"), FONT)
    fmt = normal.paragraph_format
    fmt.space_before, fmt.space_after = Pt(0), SPACE_AFTER
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    fmt.widow_control = True


STYLE_REFERENCES = ("w:pStyle", "w:rStyle", "w:tblStyle", "w:numStyle")
STYLE_LINKS = ("w:basedOn", "w:link", "w:next")
#: Parts of python-docx's default template a letter never shows; LibreOffice would still read them.
UNUSED_PART_TYPES = {RT.CUSTOM_XML, RT.WEB_SETTINGS, RT.THUMBNAIL,
                     "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"}


def save_lean(doc: Document, path: Path) -> None:
    """Save with only the styles and parts the letter uses.

    python-docx's default template brings 164 styles and a copy of them with effects (~790 KB of XML);
    LibreOffice reads all of it on every conversion (~100 ms of CPU a letter) and docxtpl parses and
    writes it on every render. The letter looks the same without them.
    """
    styles = doc.styles.element
    for latent in styles.findall(qn("w:latentStyles")):
        styles.remove(latent)
    content_parts = [doc.part, *(section.footer.part for section in doc.sections),
                     *(section.header.part for section in doc.sections if not section.header.is_linked_to_previous)]
    wanted = {element.get(qn("w:val")) for part in content_parts for name in STYLE_REFERENCES
              for element in part.element.iter(qn(name))}
    by_id = {style.get(qn("w:styleId")): style for style in styles.findall(qn("w:style"))}
    wanted |= {style_id for style_id, style in by_id.items() if style.get(qn("w:default")) == "1"}
    pending = list(wanted)
    while pending:  # the styles the used ones are based on or linked to
        style = by_id.get(pending.pop())
        links = [] if style is None else [link.get(qn("w:val")) for name in STYLE_LINKS
                                          for link in style.findall(qn(name))]
        pending += [link for link in links if link not in wanted]
        wanted.update(links)
    for style_id, style in by_id.items():
        if style_id not in wanted:
            styles.remove(style)
    unused = set(UNUSED_PART_TYPES)
    numbered = any(next(element.iter(qn("w:numPr")), None) is not None
                   for element in [styles, *(part.element for part in content_parts)])
    if not numbered:
        unused.add(RT.NUMBERING)
    for owner in (doc.part.package, doc.part):
        for r_id, rel in list(owner.rels.items()):
            if rel.reltype in unused:
                del owner.rels[r_id]
    doc.save(path)


def add_footer(doc: Document) -> None:
    """Every page: the statement that the letter was signed electronically (or that it is a draft)."""
    footer = doc.sections[0].footer
    footer.is_linked_to_previous = False
    p = footer.paragraphs[0]
    p.alignment = ALIGN.CENTER
    p.paragraph_format.space_after = Pt(0)
    run = p.add_run("{{ footer }}")
    run.italic = True
    run.font.size = Pt(8)


# ---------------------------------------------------------------------------------------------------
# The letter, top to bottom
# ---------------------------------------------------------------------------------------------------



#: The kop is a borderless table: the emblem's column on the left, then the kop lines centred in the rest of the
#: width, as on a Malang letterhead.
KOP_SIDE = Cm(2.75)
EMBLEM_TAG = "{% if kop.lambang %}{{ kop.lambang }}{% endif %}"


def contact_line(words: tuple[str, str]) -> str:
    """ "Website: ..., e-mail: ..." in the set's words, each part only when the agency has it."""
    web, mail = words
    return ("{% if kop.website %}" + web + ": {{ kop.website }}{% endif %}"
            "{% if kop.website and kop.email %}, {% endif %}"
            "{% if kop.email %}" + mail + ": {{ kop.email }}{% endif %}")


def add_kop(doc: Document, words: tuple[str, str] | None = None) -> None:
    """The letterhead, in the body of page 1 only, closed by a double rule across the page.

    The regional emblem (``kop.lambang``, a picture naskah puts in at rendering) sits in the left column, the kop
    lines are centred in the rest of the width.
    """
    words = words or template_set().contact_words
    widths = [KOP_SIDE, Emu(TEXT_WIDTH - KOP_SIDE)]
    table = fixed_table(doc, widths, borders=False, cell_margins=False)
    emblem, text = table.rows[0].cells
    first_paragraph(emblem, EMBLEM_TAG, align=ALIGN.LEFT, space_after=Pt(0))
    emblem.vertical_alignment = text.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    first_paragraph(text, "{{ kop.pemerintah }}", size=Pt(14), align=ALIGN.CENTER, space_after=Pt(0))
    paragraph(text, "{{ kop.nama }}", bold=True, size=Pt(16), align=ALIGN.CENTER, space_after=Pt(0))
    paragraph(text, "{{ kop.alamat }}", size=Pt(10), align=ALIGN.CENTER, space_after=Pt(0))
    paragraph(text, contact_line(words), size=Pt(10), align=ALIGN.CENTER, space_after=Pt(0))
    rule = paragraph(doc, "", space_after=Pt(12))
    rule.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    rule.paragraph_format.line_spacing = Pt(3)
    bottom_rule(rule)


def add_signature(doc: Document, *, ditetapkan: bool, stamp_bookmark: bool, pangkat: bool = True) -> None:
    """The signature block on the right half, kept on one page: every line is kept with the next.

    ``ditetapkan`` adds "Ditetapkan di / pada tanggal" above it (Surat Tugas; a surat dinas has none).
    With ``stamp_bookmark`` the first blank line carries the ``ttd`` bookmark: the top left corner of the
    electronic signature stamp, which fills the blank lines below it (about 7 x 3 cm). ``pangkat=False``
    leaves out the rank line (an applicant's own letter prints the name and NIP only).
    """
    def line(text: str = "", **kwargs):
        kwargs = {"space_after": Pt(0), "keep_with_next": True} | kwargs
        return paragraph(doc, text, left_indent=RIGHT_BLOCK_INDENT, **kwargs)

    if ditetapkan:
        line("Ditetapkan di {{ ditetapkan.tempat }}")
        line("pada tanggal {{ ditetapkan.tanggal|tanggal }}", space_after=Pt(6))
    tag(doc, "{%p for baris in penandatangan.baris_jabatan %}")
    line("{{ baris }}")
    tag(doc, "{%p endfor %}")
    space = line(space_before=Pt(4))  # air between the title and the stamp's top edge
    if stamp_bookmark:
        bookmark(space, "ttd")
    for _ in range(SIGNATURE_BLANK_LINES - 1):
        line()
    line("{{ penandatangan.nama }}", bold=True, underline=True)
    if pangkat:
        tag(doc, "{%p if penandatangan.baris_pangkat %}")
        line("{{ penandatangan.baris_pangkat }}")
        tag(doc, "{%p endif %}")
    # always there, empty for a signer without NIP: the block ends on a line kept with nothing, so LibreOffice
    # never chains it to the tembusan (a chain it cannot fit, it splits, leaving the name on the next page)
    paragraph(doc, "{{ penandatangan.baris_nip }}", left_indent=RIGHT_BLOCK_INDENT, space_after=Pt(0))


def add_tembusan(doc: Document, heading: str = "Tembusan:") -> None:
    """ "Tembusan:" and the numbered job titles, kept together (a list too long for what is left of the page
    goes whole to the next one); nothing at all when there is none."""
    tag(doc, "{%p if tembusan %}")
    paragraph(doc, heading, space_before=Pt(12), space_after=Pt(0), keep_with_next=True)
    tag(doc, "{%p for t in tembusan %}")
    paragraph(doc, "{{ loop.index }}.\t{{ t }}", left_indent=NUMBER_INDENT, first_line_indent=Emu(-NUMBER_INDENT),
              tabs=[NUMBER_INDENT], space_after=Pt(0), keep_with_next=True)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")
