"""The local store on real files: a folder of signed PDFs and a SQLite index. The same letter stored twice is
the stored letter, the same id with other content is a conflict, each row keeps the letter's public facts, and
an index made by an earlier version is brought up to date (its column added, the service's old public records
adopted). Public ids are random, the workflow key keeps issuing idempotent, and each row records its host: a
conflict with another host's letter tells nothing about it."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from naskah.errors import StoreConflictError
from naskah.letters import PublicFacts
from naskah.store import LETTER_ID, LocalStore, letter_id_for, new_letter_id, workflow_key

FACTS = PublicFacts(issuer=("PEMERINTAH KOTA MALANG", "DINAS KOMUNIKASI DAN INFORMATIKA"),
                    nomor="800.1.11.1/0123/35.73.401/2023", tanggal="2023-06-27", hal="Surat Tugas",
                    signer_name="Drs. Hendra Wijaya, M.Si.",
                    signer_title_lines=("a.n. Kepala Dinas Komunikasi dan Informatika",
                                        "Kepala Bidang Aplikasi Informatika"))
METADATA = {"jenis": "surat_tugas_tim", "workflow_id": "WF-1", "nomor": "800.1.11.1/0123/35.73.401/2023",
            "tanggal": dt.date(2023, 6, 27), "hal": "Surat Tugas", "penandatangan": "Drs. Hendra Wijaya, M.Si."}
#: the letters table as the first versions of naskah made it: no public_facts column
OLD_SCHEMA = """
CREATE TABLE letters (
    letter_id TEXT PRIMARY KEY, mapping TEXT NOT NULL, letter_kind TEXT NOT NULL, workflow_id TEXT, nomor TEXT,
    tanggal TEXT, hal TEXT, penandatangan TEXT, sha256 TEXT NOT NULL, content_hash TEXT NOT NULL,
    pdf_path TEXT NOT NULL, metadata TEXT NOT NULL, issued_at TEXT NOT NULL
)
"""


def _put(store: LocalStore, letter_id: str = "L-1", content_hash: str = "content-1", pdf: bytes = b"%PDF-1.7 one",
         **fields):
    values = dict(letter_id=letter_id, mapping="surat_tugas_tim", letter_kind="surat_tugas_tim",
                  workflow_id="WF-1", content_hash=content_hash, pdf=pdf, metadata=METADATA, public_facts=FACTS)
    return store.put(**values | fields)


def _pdfs(store: LocalStore) -> list[Path]:
    return sorted(store.letters_dir.iterdir())


def test_a_letter_put_is_read_back_with_its_file_and_index_row(tmp_path):
    store = LocalStore(tmp_path / "store")
    pdf = b"%PDF-1.7 the signed letter"
    stored = _put(store, pdf=pdf)

    assert stored.pdf_path.read_bytes() == pdf
    assert stored.sha256 == hashlib.sha256(pdf).hexdigest()
    assert stored.pdf_path == store.letters_dir / f"L-1-{stored.sha256[:12]}.pdf"
    assert (stored.letter_id, stored.mapping, stored.letter_kind, stored.workflow_id, stored.content_hash) == (
        "L-1", "surat_tugas_tim", "surat_tugas_tim", "WF-1", "content-1")
    # the columns a person searches by, taken from the metadata (a date as its ISO text)
    assert (stored.nomor, stored.tanggal, stored.hal, stored.penandatangan) == (
        "800.1.11.1/0123/35.73.401/2023", "2023-06-27", "Surat Tugas", "Drs. Hendra Wijaya, M.Si.")
    assert stored.metadata == METADATA | {"tanggal": "2023-06-27"}
    assert stored.public_facts == FACTS
    assert dt.datetime.fromisoformat(stored.issued_at).tzinfo is not None

    again = LocalStore(tmp_path / "store")  # another process opening the same folder
    assert again.get("L-1") == stored and again.all() == [stored]
    assert again.get("L-2") is None


def test_the_same_letter_stored_again_is_the_stored_letter(tmp_path):
    store = LocalStore(tmp_path / "store")
    first = _put(store, pdf=b"%PDF-1.7 signed at 10:00")
    # the same payload issued again is signed again (other bytes: another signing time): the first one stays
    second = _put(store, pdf=b"%PDF-1.7 signed at 10:05")
    assert second == first
    assert _pdfs(store) == [first.pdf_path] and first.pdf_path.read_bytes() == b"%PDF-1.7 signed at 10:00"
    assert store.check_same("L-1", "content-1") == first
    assert store.check_same("L-2", "content-1") is None


def test_the_same_id_with_other_content_is_a_conflict_and_writes_nothing(tmp_path):
    store = LocalStore(tmp_path / "store")
    first = _put(store)
    with pytest.raises(StoreConflictError) as conflict:
        _put(store, content_hash="content-2", pdf=b"%PDF-1.7 corrected")
    assert str(conflict.value) == (
        f"letter L-1 (number 800.1.11.1/0123/35.73.401/2023, workflow WF-1) was already issued on "
        f"{first.issued_at} with different content; a corrected letter needs a new number")
    assert store.all() == [first] and _pdfs(store) == [first.pdf_path]


def test_callers_storing_the_same_letter_at_once_keep_one_row_and_one_file(tmp_path):
    LocalStore(tmp_path / "store")
    results, errors = [], []

    def put(number: int):
        try:
            results.append(_put(LocalStore(tmp_path / "store"), pdf=b"%%PDF-1.7 signing %d" % number))
        except Exception as exc:  # noqa: BLE001  reported below
            errors.append(exc)

    threads = [threading.Thread(target=put, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({result.pdf_path for result in results}) == 1, "every caller gets the row that won"
    assert _pdfs(LocalStore(tmp_path / "store")) == [results[0].pdf_path], "the losers' files are gone"


def test_a_letter_is_found_by_the_sha256_of_its_signed_file(tmp_path):
    store = LocalStore(tmp_path / "store")
    one = _put(store, pdf=b"%PDF-1.7 one")
    two = _put(store, letter_id="L-2", content_hash="content-2", pdf=b"%PDF-1.7 two")
    assert store.letter_id_with_sha256(hashlib.sha256(b"%PDF-1.7 one").hexdigest()) == one.letter_id
    assert store.letter_id_with_sha256(two.sha256) == "L-2"
    assert store.letter_id_with_sha256(hashlib.sha256(b"%PDF-1.7 a copy with one byte changed").hexdigest()) is None


def test_the_letter_id_comes_from_kind_identity_and_number():
    letter_id = letter_id_for("surat_tugas_tim", "WF-1", "800.1.11.1/0123/35.73.401/2023")
    assert letter_id == letter_id_for("surat_tugas_tim", "WF-1", "800.1.11.1/0123/35.73.401/2023")
    assert len(letter_id) == 20 and all(char in "0123456789abcdef" for char in letter_id)
    others = {letter_id_for("surat_tugas_individu", "WF-1", "800.1.11.1/0123/35.73.401/2023"),
              letter_id_for("surat_tugas_tim", "WF-2", "800.1.11.1/0123/35.73.401/2023"),
              letter_id_for("surat_tugas_tim", "WF-1", "800.1.11.1/0124/35.73.401/2023")}
    assert letter_id not in others and len(others) == 3
    assert letter_id_for("ab", "c", "d") != letter_id_for("a", "bc", "d"), "the parts are kept apart"


def test_a_renewed_pdf_replaces_the_file_only_if_nobody_changed_the_letter_meanwhile(tmp_path):
    store = LocalStore(tmp_path / "store")
    stored = _put(store, pdf=b"%PDF-1.7 signed")
    path = store.replace_pdf(stored, b"%PDF-1.7 signed + archival timestamp")
    renewed = store.get("L-1")
    assert renewed.pdf_path == path and path.read_bytes() == b"%PDF-1.7 signed + archival timestamp"
    assert renewed.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert _pdfs(store) == [path], "the old file went"

    with pytest.raises(StoreConflictError, match="changed in the store meanwhile"):
        store.replace_pdf(stored, b"%PDF-1.7 renewed from a stale copy")  # ``stored`` is the old version
    assert store.get("L-1") == renewed and _pdfs(store) == [path]


def test_signed_files_are_private_and_no_temporary_file_is_left(tmp_path):
    store = LocalStore(tmp_path / "store")
    stored = _put(store)
    assert stat.S_IMODE(stored.pdf_path.stat().st_mode) == 0o600
    assert _pdfs(store) == [stored.pdf_path]  # written beside it under a temporary name, then renamed


def test_a_letter_stored_without_public_facts_reads_none(tmp_path):
    store = LocalStore(tmp_path / "store")
    _put(store, public_facts=None)
    assert store.get("L-1").public_facts is None
    with sqlite3.connect(store.index_path) as db:
        assert db.execute("SELECT public_facts FROM letters").fetchone() == (None,)


def _old_index(folder: Path) -> Path:
    """A store folder as an earlier naskah left it: one letter, indexed without public facts."""
    (folder / "letters").mkdir(parents=True)
    pdf = folder / "letters" / "L-OLD-aaaaaaaaaaaa.pdf"
    pdf.write_bytes(b"%PDF-1.7 an old letter")
    with sqlite3.connect(folder / "index.sqlite") as db:
        db.execute(OLD_SCHEMA)
        db.execute("INSERT INTO letters VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   ("L-OLD", "surat_tugas_tim", "surat_tugas_tim", "WF-OLD", "1/2/3", "2023-01-02", "Lama",
                    "Dr. Ahmad", hashlib.sha256(pdf.read_bytes()).hexdigest(), "old-content", str(pdf),
                    json.dumps({"nomor": "1/2/3"}), "2023-01-02T03:04:05+00:00"))
    return pdf


def test_an_older_index_gets_the_public_facts_column_and_keeps_its_letters(tmp_path):
    pdf = _old_index(tmp_path / "store")
    store = LocalStore(tmp_path / "store")
    with sqlite3.connect(store.index_path) as db:
        assert "public_facts" in {row[1] for row in db.execute("PRAGMA table_info(letters)")}
    [old] = store.all()
    assert (old.letter_id, old.nomor, old.pdf_path, old.public_facts) == ("L-OLD", "1/2/3", pdf, None)
    assert old.metadata == {"nomor": "1/2/3"} and old.issued_at == "2023-01-02T03:04:05+00:00"
    new = _put(store)  # and new letters go in beside it, with their facts
    assert store.get("L-1") == new and new.public_facts == FACTS
    assert LocalStore(tmp_path / "store").get("L-OLD") == old, "opening again changes nothing"


def test_the_public_records_of_earlier_service_versions_are_adopted_once(tmp_path):
    _old_index(tmp_path / "store")
    store = LocalStore(tmp_path / "store")
    stored = _put(store)  # has its facts already: an old record for it must not replace them
    service_db = tmp_path / "service.sqlite"
    record = {"agency": ["PEMERINTAH KOTA MALANG", "DINAS PENDIDIKAN"], "letter_kind": "surat_tugas_tim",
              "nomor": "1/2/3", "tanggal": "2023-01-02", "hal": "Lama", "signer_name": "Dr. Ahmad",
              "signer_title_lines": ["Kepala Dinas Pendidikan"]}
    with sqlite3.connect(service_db) as db:
        db.execute("CREATE TABLE public_records (letter_id TEXT PRIMARY KEY, record TEXT NOT NULL, "
                   "created_at TEXT NOT NULL)")
        for letter_id, value in (("L-OLD", record), ("L-1", record | {"hal": "Other"}),
                                 ("L-GONE", record)):  # a record whose letter is not in this store
            db.execute("INSERT INTO public_records VALUES (?, ?, ?)",
                       (letter_id, json.dumps(value), "2023-01-02T03:04:05+00:00"))

    assert store.adopt_public_records(service_db) == 1
    assert store.get("L-OLD").public_facts == PublicFacts(
        issuer=("PEMERINTAH KOTA MALANG", "DINAS PENDIDIKAN"), nomor="1/2/3", tanggal="2023-01-02", hal="Lama",
        signer_name="Dr. Ahmad", signer_title_lines=("Kepala Dinas Pendidikan",))
    assert store.get("L-1") == stored
    assert store.adopt_public_records(service_db) == 0, "taken once"
    assert store.adopt_public_records(tmp_path / "no-such.sqlite") == 0
    with sqlite3.connect(tmp_path / "other.sqlite") as db:
        db.execute("CREATE TABLE jobs (id TEXT)")
    assert store.adopt_public_records(tmp_path / "other.sqlite") == 0, "a state file without the old table"


# ------------------------------------------------------------------------------------------------ ids and hosts

def test_public_ids_are_random_and_the_workflow_key_keeps_issuing_idempotent(tmp_path):
    store = LocalStore(tmp_path / "store")
    ids = {new_letter_id() for _ in range(100)}
    assert len(ids) == 100 and all(LETTER_ID.match(letter_id) and len(letter_id) == 32 for letter_id in ids)
    key = workflow_key("surat_tugas_tim", "WF-1", "800.1.11.1/0123/35.73.401/2023")
    assert letter_id_for is workflow_key, "the old name still imports"
    fresh = store.letter_id_for_key(key)
    assert fresh != key and fresh != store.letter_id_for_key(key), "nothing stored yet: a new random id each time"

    stored = _put(store, letter_id=fresh, workflow_key=key, host="eoffice")
    assert (stored.letter_id, stored.workflow_key, stored.host) == (fresh, key, "eoffice")
    assert store.letter_id_for_key(key) == fresh, "stored: the same payload gets the stored letter's id"
    assert store.check_same(key, "content-1", "eoffice") == stored
    again = _put(store, letter_id=new_letter_id(), workflow_key=key, host="eoffice", pdf=b"%PDF-1.7 signed again")
    assert again == stored and _pdfs(store) == [stored.pdf_path]
    assert store.get(key) is None, "the workflow key is not an id: it can be computed from the letter"


def test_a_conflict_with_another_hosts_letter_tells_nothing_about_it(tmp_path):
    store = LocalStore(tmp_path / "store")
    key = workflow_key("surat_tugas_tim", "WF-1", "800.1.11.1/0123/35.73.401/2023")
    stored = _put(store, letter_id=new_letter_id(), workflow_key=key, host="eoffice")
    for content in ("content-1", "content-2"):  # the very same letter, or another with its identity
        with pytest.raises(StoreConflictError) as conflict:
            store.check_same(key, content, "other")
        message = str(conflict.value)
        assert stored.letter_id not in message and "WF-1" not in message and stored.issued_at not in message
        assert "800.1.11.1" not in message and "another host" in message
    with pytest.raises(StoreConflictError) as conflict:  # nothing is stored for the other host either
        _put(store, letter_id=new_letter_id(), workflow_key=key, host="other", pdf=b"%PDF-1.7 other's")
    assert stored.letter_id not in str(conflict.value)
    assert store.all() == [stored] and _pdfs(store) == [stored.pdf_path]
    # its own host, and the command line, are told which letter it is
    for host in ("eoffice", None):
        with pytest.raises(StoreConflictError, match=f"letter {stored.letter_id} .*workflow WF-1.* already issued"):
            store.check_same(key, "content-2", host)


def test_a_letter_with_no_host_becomes_the_host_s_that_sends_the_same_content(tmp_path):
    store = LocalStore(tmp_path / "store")
    key = workflow_key("surat_tugas_tim", "WF-1", "800.1.11.1/0123/35.73.401/2023")
    stored = _put(store, letter_id=new_letter_id(), workflow_key=key)  # from the command line
    assert stored.host is None
    with pytest.raises(StoreConflictError) as conflict:  # other content: nothing changes, nothing is told
        store.check_same(key, "content-2", "eoffice")
    assert stored.letter_id not in str(conflict.value) and store.get(stored.letter_id).host is None
    assert store.check_same(key, "content-1", "eoffice").host == "eoffice"
    with pytest.raises(StoreConflictError, match="another host"):
        store.check_same(key, "content-1", "other")
    assert store.check_same(key, "content-1") == store.get(stored.letter_id), "the command line still reuses it"


def test_letters_stored_before_ids_were_random_keep_their_ids_and_are_found_by_their_key(tmp_path):
    old_id = workflow_key("surat_tugas_tim", "WF-OLD", "1/2/3")
    _old_index(tmp_path / "store")
    with sqlite3.connect(tmp_path / "store" / "index.sqlite") as db:
        db.execute("UPDATE letters SET letter_id = ?", (old_id,))
    store = LocalStore(tmp_path / "store")
    [old] = store.all()
    assert (old.letter_id, old.workflow_key, old.host) == (old_id, old_id, None)
    assert LETTER_ID.match(old_id) and store.letter_id_for_key(old_id) == old_id
    assert store.check_same(old_id, "old-content") == old
    with sqlite3.connect(store.index_path) as db:
        indexes = {row[1]: row[2] for row in db.execute("PRAGMA index_list(letters)")}
    assert indexes["letters_by_workflow_key"] == 1, "one letter per workflow key"
