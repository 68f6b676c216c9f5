"""Crafted PDFs that cost a verifier work, built from a genuine signed letter the way the security review did:
extra signature fields that all point to the letter's one signature value, padding objects, extra revisions.

No tests here; the verification bounds' tests import it.
"""
from __future__ import annotations

import io

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter


def with_extra_signature_fields(pdf: bytes, fields: int, *, padding_objects: int = 0, revisions: int = 1) -> bytes:
    """``pdf`` (a signed letter) with ``fields`` more /Sig fields whose /V is its signature, and
    ``padding_objects`` small objects in each of ``revisions`` incremental updates."""
    for revision in range(revisions):
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        form = writer.root["/AcroForm"]
        field_list = form["/Fields"]
        signature_value = field_list[0].get_object().raw_get("/V")
        padding = generic.ArrayObject(
            writer.add_object(generic.DictionaryObject({generic.NameObject("/N"): generic.NumberObject(number)}))
            for number in range(padding_objects))
        for number in range(fields if revision == 0 else 0):
            field_list.append(writer.add_object(generic.DictionaryObject({
                generic.NameObject("/FT"): generic.NameObject("/Sig"),
                generic.NameObject("/T"): generic.TextStringObject(f"Extra{number}"),
                generic.NameObject("/V"): signature_value})))
        form[generic.NameObject(f"/Padding{revision}")] = writer.add_object(padding)
        writer.update_container(form)
        out = io.BytesIO()
        writer.write(out)
        pdf = out.getvalue()
    return pdf
