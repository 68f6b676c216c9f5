"""The store, the embedded default delivery target: signed PDFs in a folder (or an S3 bucket, :mod:`.objects`)
and their index in SQLite (or PostgreSQL, for several machines: :mod:`.database`).

A letter has two keys. Its workflow key comes from what makes it the same letter (its kind, the host's workflow
identity and its number), so issuing the same payload twice gives back the stored letter instead of a second one.
Its public id, printed in the QR code and the verification URL, is random (128 bits): nobody can find a letter
by guessing workflow ids and numbers. Letters stored before ids were random keep theirs (the first 20 hex digits
of the workflow key), and their URLs keep working.
Each row records the host that issued the letter (NULL from the command line): the service shows a host only
its own letters and those configuration shares with it.
The PDF is written (atomically) before its index row, so an index row always has its file; files of the letter
that no row points to (a process killed between the two) go when the letter is stored.
Each row also keeps the letter's public facts (issuer, signer's title...), which the verification page shows,
whether the letter was issued from the command line or by the service.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path

from .database import SQLITE, Database
from .errors import StoreConflictError
from .files import private_folder
from .i18n import _
from .letters import PublicFacts
from .objects import FolderObjects, ObjectStore, StoreOptions, location_of, objects_for

_SCHEMA = """
CREATE TABLE IF NOT EXISTS letters (
    letter_id     TEXT PRIMARY KEY,
    mapping       TEXT NOT NULL,
    letter_kind   TEXT NOT NULL,
    workflow_id   TEXT,
    nomor         TEXT,
    tanggal       TEXT,
    hal           TEXT,
    penandatangan TEXT,
    sha256        TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    pdf_path      TEXT NOT NULL,
    metadata      TEXT NOT NULL,
    issued_at     TEXT NOT NULL,
    public_facts  TEXT,
    host          TEXT,
    workflow_key  TEXT
)
"""
_WORKFLOW_KEY_INDEX = "CREATE UNIQUE INDEX IF NOT EXISTS letters_by_workflow_key ON letters (workflow_key)"

#: columns added since the first index; an older index gets them at open (its rows hold NULL)
_ADDED_COLUMNS = {"public_facts": "TEXT", "host": "TEXT", "workflow_key": "TEXT"}

#: a public id: 32 hex digits (random), or 20 (a letter stored before ids were random)
LETTER_ID = re.compile(r"^(?:[0-9a-f]{32}|[0-9a-f]{20})$")


def workflow_key(letter_kind: str, identity: str, nomor: str) -> str:
    """What makes a letter the same letter, for idempotency; never shown (it can be computed by anyone who
    knows the workflow id and number). Letters stored before ids were random have it as their id."""
    digest = hashlib.sha256("\x1f".join((letter_kind, identity, nomor)).encode("utf-8")).hexdigest()
    return digest[:20]


#: the old name of :func:`workflow_key` (it was the public id until ids became random)
letter_id_for = workflow_key


def new_letter_id() -> str:
    """A public id that cannot be derived from the letter: 128 random bits."""
    return secrets.token_hex(16)


@dataclass(frozen=True)
class StoredLetter:
    letter_id: str
    mapping: str
    letter_kind: str
    workflow_id: str | None
    nomor: str | None
    tanggal: str | None
    hal: str | None
    penandatangan: str | None
    sha256: str
    content_hash: str
    pdf_path: Path  # or an ObjectLocation (s3://...): read it with read_bytes()
    metadata: dict
    issued_at: str
    public_facts: PublicFacts | None = None  # None for a letter stored before the index kept them
    host: str | None = None  # the service host that issued it; None: the command line, or before hosts were kept
    workflow_key: str | None = None


class LocalStore:
    """The letters of one installation: ``directory`` (STORE_DIR) holds the folder of PDFs and the SQLite index
    unless ``options`` (``[store]``) puts them in a bucket and in PostgreSQL."""

    def __init__(self, directory: Path, options: StoreOptions | None = None):
        options = options or StoreOptions()
        self.directory = Path(directory)
        self.letters_dir = self.directory / "letters"
        if options.kind == "folder":
            private_folder(self.letters_dir)  # 0700, and the index 0600: letters are private (files.py)
        self.objects: ObjectStore = objects_for(options, self.letters_dir)
        self.index_path = self.directory / "index.sqlite"
        self.index = Database(options.index or self.index_path, "the store's index")
        self.index.create(_SCHEMA)
        if self.index.kind == SQLITE:
            self._add_columns()
        self.index.create(_WORKFLOW_KEY_INDEX)

    def _add_columns(self) -> None:
        """An index made by an earlier version gets the columns added since (its rows hold NULL)."""
        with self.index.transaction(write=False) as db:  # a current index is only read
            if _ADDED_COLUMNS.keys() <= {row["name"] for row in db.records("PRAGMA table_info(letters)")}:
                return
        with self.index.transaction() as db:
            present = {row["name"] for row in db.records("PRAGMA table_info(letters)")}
            for column, kind in _ADDED_COLUMNS.items():
                if column not in present:
                    try:
                        db.execute(f"ALTER TABLE letters ADD COLUMN {column} {kind}")
                    except sqlite3.OperationalError as exc:  # another process added it meanwhile
                        if "duplicate column" not in str(exc):
                            raise
            if "workflow_key" not in present:  # a letter stored before ids were random: its id is its key
                db.execute("UPDATE letters SET workflow_key = letter_id WHERE workflow_key IS NULL")

    def _one(self, sql: str, parameters: tuple) -> dict | None:
        with self.index.transaction(write=False) as db:
            rows = db.records(sql, parameters)
        return rows[0] if rows else None

    def writable(self) -> bool:
        """Whether letters can be stored (the folder is writable, the bucket answers)."""
        return self.objects.writable()

    def get(self, letter_id: str) -> StoredLetter | None:
        row = self._one("SELECT * FROM letters WHERE letter_id = ?", (letter_id,))
        return _stored(row) if row else None

    def all(self) -> list[StoredLetter]:
        with self.index.transaction(write=False) as db:
            rows = db.records("SELECT * FROM letters ORDER BY issued_at")
        return [_stored(row) for row in rows]

    def letter_id_with_sha256(self, sha256: str) -> str | None:
        """The stored letter whose signed file has this SHA-256."""
        row = self._one("SELECT letter_id FROM letters WHERE sha256 = ?", (sha256,))
        return row["letter_id"] if row else None

    def by_workflow_key(self, key: str) -> StoredLetter | None:
        row = self._one("SELECT * FROM letters WHERE workflow_key = ?", (key,))
        return _stored(row) if row else None

    def letter_id_for_key(self, key: str) -> str:
        """The public id of the letter with this workflow key: the stored one's, else a new random one."""
        stored = self.by_workflow_key(key)
        return stored.letter_id if stored else new_letter_id()

    def check_same(self, key: str, content_hash: str, host: str | None = None) -> StoredLetter | None:
        """The stored letter with this workflow key; a conflict if it was issued with other content.

        ``host``: the service host asking (None: the command line). A letter another host issued is a conflict
        whose message says nothing about it (not its id, number, workflow id or date). A letter that records no
        host (issued from the command line, or before hosts were recorded) becomes the asking host's when it
        sends the very same content: it holds the whole letter, and issued it, or one just like it."""
        stored = self.by_workflow_key(key)
        if stored is None:
            return None
        if host is not None and stored.host is None and stored.content_hash == content_hash:
            with self.index.transaction() as db:
                db.execute("UPDATE letters SET host = ? WHERE workflow_key = ? AND host IS NULL", (host, key))
            stored = self.by_workflow_key(key)  # ours, or the host's that claimed it first
        if host is not None and stored.host not in (None, host):
            raise StoreConflictError(_("another host already issued a letter with this kind, workflow id and "
                                       "number; a letter of this host needs a workflow id or number of its own"))
        if stored.content_hash != content_hash:
            if host is not None and stored.host != host:
                raise StoreConflictError(_("a letter with this kind, workflow id and number was already issued "
                                           "with different content; a corrected letter needs a new number"))
            raise StoreConflictError(_(
                "letter {letter_id} (number {nomor}, workflow {workflow_id}) was already issued on {issued_at} with "
                "different content; a corrected letter needs a new number"
            ).format(letter_id=stored.letter_id, nomor=stored.nomor, workflow_id=stored.workflow_id,
                     issued_at=stored.issued_at))
        return stored

    def put(self, *, letter_id: str, mapping: str, letter_kind: str, workflow_id: str | None,
            content_hash: str, pdf: bytes, metadata: dict, public_facts: PublicFacts | None = None,
            workflow_key: str | None = None, host: str | None = None) -> StoredLetter:
        """Store a signed letter; with no ``workflow_key`` its id is its key (as before ids were random).
        ``host``: the service host that issued it (None: the command line)."""
        key = workflow_key or letter_id
        existing = self.check_same(key, content_hash, host)
        if existing:
            return existing
        sha256 = hashlib.sha256(pdf).hexdigest()
        # One file per signed content: two processes storing the same letter at once never overwrite
        # the file that the winning index row points to.
        path = self.objects.put(f"{letter_id}-{sha256[:12]}.pdf", pdf)
        issued_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        row = dict(
            letter_id=letter_id, mapping=mapping, letter_kind=letter_kind, workflow_id=workflow_id,
            nomor=_text(metadata.get("nomor")), tanggal=_text(metadata.get("tanggal")),
            hal=_text(metadata.get("hal")), penandatangan=_text(metadata.get("penandatangan")),
            sha256=sha256, content_hash=content_hash, pdf_path=str(path),
            metadata=json.dumps(metadata, ensure_ascii=False, default=str), issued_at=issued_at,
            public_facts=_facts_json(public_facts) if public_facts else None, host=host, workflow_key=key,
        )
        with self.index.transaction() as db:
            db.execute(
                f"INSERT INTO letters ({', '.join(row)}) VALUES ({', '.join('?' * len(row))}) ON CONFLICT DO NOTHING",
                tuple(row.values()),
            )
        # Another process may have stored the same letter meanwhile: the first row wins.
        try:
            stored = self.check_same(key, content_hash, host)
        finally:
            winner = self._path_of(key)
            if winner != str(path):  # the winner's file stays, ours goes
                self.objects.delete(path)
            if winner is not None and not isinstance(self.objects, FolderObjects):  # a folder is not listed
                self._drop_strays(letter_id, winner)
        return stored

    def _path_of(self, key: str) -> str | None:
        row = self._one("SELECT pdf_path FROM letters WHERE workflow_key = ?", (key,))
        return str(row["pdf_path"]) if row else None

    def _drop_strays(self, letter_id: str, kept: str) -> None:
        """Delete the files of ``letter_id`` that no index row points to: left by a process killed between
        writing a file and its row (a worker that stopped mid-letter, whose job then ran again)."""
        kept_name = location_of(kept).name
        for name in self.objects.names(f"{letter_id}-"):
            if name != kept_name and name.endswith(".pdf"):
                self.objects.delete(self.objects.location(name))

    def replace_pdf(self, letter: StoredLetter, pdf: bytes) -> Path:
        """Store a new version of a letter's PDF (a renewed archival timestamp): the index moves to it only if
        nobody changed the letter meanwhile, and the old file goes."""
        sha256 = hashlib.sha256(pdf).hexdigest()
        path = self.objects.put(f"{letter.letter_id}-{sha256[:12]}.pdf", pdf)
        with self.index.transaction() as db:
            changed = db.execute("UPDATE letters SET sha256 = ?, pdf_path = ? WHERE letter_id = ? AND sha256 = ?",
                                 (sha256, str(path), letter.letter_id, letter.sha256))
        if changed != 1:
            self.objects.delete(path)
            raise StoreConflictError(_("letter {letter_id} changed in the store meanwhile; try again").format(
                letter_id=letter.letter_id))
        if str(letter.pdf_path) != str(path):
            self.objects.delete(letter.pdf_path)
        return path

    def adopt_public_records(self, path: Path) -> int:
        """Take the public facts that earlier versions of ``naskah serve`` kept in a table of their own
        (``public_records`` in ``path``) for the letters whose row has none; returns how many were taken."""
        if not Path(path).is_file():
            return 0
        old = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            if not old.execute("SELECT 1 FROM sqlite_master WHERE name = 'public_records'").fetchone():
                return 0
            records = old.execute("SELECT letter_id, record FROM public_records").fetchall()
        finally:
            old.close()
        taken = 0
        with self.index.transaction() as db:
            for letter_id, text in records:
                record = json.loads(text)
                facts = PublicFacts(issuer=tuple(record.get("agency") or ()), nomor=record.get("nomor"),
                                    tanggal=record.get("tanggal"), hal=record.get("hal"),
                                    signer_name=record.get("signer_name"),
                                    signer_title_lines=tuple(record.get("signer_title_lines") or ()))
                taken += db.execute("UPDATE letters SET public_facts = ? WHERE letter_id = ? AND public_facts IS NULL",
                                    (_facts_json(facts), letter_id))
        return taken


def _text(value) -> str | None:
    return None if value is None else str(value)


def _stored(row: dict) -> StoredLetter:
    values = dict(row)
    values["pdf_path"] = location_of(values["pdf_path"])
    values["metadata"] = json.loads(values["metadata"])
    if values["public_facts"]:
        facts = json.loads(values["public_facts"])
        values["public_facts"] = PublicFacts(**facts | {"issuer": tuple(facts["issuer"]),
                                                        "signer_title_lines": tuple(facts["signer_title_lines"])})
    return StoredLetter(**values)


def _facts_json(facts: PublicFacts) -> str:
    return json.dumps(asdict(facts), ensure_ascii=False)
