"""Functional officials who carry out oversight (fungsi pengawasan) stay out of the involvement mechanism in Tangerang:
Perwal Kota Tangerang 12/2023 Pasal 29 excludes them from Pasal 24-28 (the penunjukan and the pengajuan sukarela,
the management and the reporting of the work), as Pasal 12 ayat (8) excludes them from the delegated performance
management of ayat (4) and (6); "sesuai ketentuan peraturan perundang-undangan": the posts of the government's
internal oversight, whose independence their own rules protect. Malang and Cilegon state no such exclusion.

How a letter knows: by the post's name (``jabatan``), which every payload gives for every official, against the short
list below. A flag on the official (``fungsi_pengawasan: true``) would let a payload that forgets it through; the
oversight posts are few and named by law, so naskah can know them. The list: Auditor (also Auditor Kepegawaian) and
Pengawas Penyelenggaraan Urusan Pemerintahan di Daerah (P2UPD), the functional posts of an Inspektorat.
"""
from __future__ import annotations

import re

from ..i18n import _
from .citations import PENGAWASAN_DIKECUALIKAN, cite

#: the functional posts that carry out oversight, by name
JABATAN_PENGAWASAN = re.compile(r"\bauditor\b|\bpengawas\s+penyelenggaraan\s+urusan\s+pemerintahan\b|\bp2upd\b",
                                re.IGNORECASE)


def is_pengawasan(text: str) -> bool:
    """Whether ``text`` (a post, a competence asked for) names a functional post that carries out oversight."""
    return bool(JABATAN_PENGAWASAN.search(text))


def pengawasan_problems(people) -> list[tuple[tuple, str]]:
    """Where the regulation keeps functional officials in oversight out of assignments (Tangerang Pasal 29), each
    one a letter assigns or names (``people``: (where in the letter, the official: nama and jabatan))."""
    if not PENGAWASAN_DIKECUALIKAN.applies():
        return []
    return [((*loc, "jabatan"), cite(_("{nama} is {jabatan}: a functional official carrying out oversight "
                                       "(fungsi pengawasan) is not assigned through this mechanism").format(
        nama=person.nama, jabatan=person.jabatan), PENGAWASAN_DIKECUALIKAN))
        for loc, person in people if is_pengawasan(person.jabatan)]


def asked_pengawasan_problems(field: str, texts: list[str]) -> list[tuple[tuple, str]]:
    """A request asking for an oversight post (its ``field``: the competences asked for), where excluded."""
    if not PENGAWASAN_DIKECUALIKAN.applies():
        return []
    return [((field, index), cite(_("asks for {text}: a functional official carrying out oversight (fungsi "
                                    "pengawasan) is not involved through a request").format(text=text),
                                  PENGAWASAN_DIKECUALIKAN))
            for index, text in enumerate(texts) if is_pengawasan(text)]
