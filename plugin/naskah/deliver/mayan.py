"""Mayan EDMS 4.x over its REST API (``/api/v4/``), with token authentication.

A letter becomes a Mayan *document* of the mapping's document type, labelled by the mapping, whose
file is the signed PDF; Mayan's checksum of that file is the SHA-256 of the upload, which is how a copy
is recognised. Each metadata value is a Mayan *metadata type* (by its name) that must be attached to
the document type first; ``MayanConnector.prepare()`` (``naskah dms setup``) creates what is missing.
The idempotency key is written twice: in the description at upload (atomic with the document) and in
the ``key_metadata`` metadata type.

Looking for an existing copy uses Mayan's search (by checksum, by the key) and also reads the newest
documents of the type, since a search index may not have caught up with a document made seconds ago.
Every candidate is checked exactly (file checksum or key) before it counts.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Iterable

from ..secrets import secret_values
from .api import DmsDocument, Receipt
from .errors import PermanentDeliveryError, TransientDeliveryError
from .http import HttpConnector
from .options import MayanOptions

log = logging.getLogger("naskah.deliver")


def _age_seconds(created: str | None) -> float:
    """Seconds since an ISO time from Mayan (a missing or odd one counts as new)."""
    try:
        moment = dt.datetime.fromisoformat((created or "").replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return (dt.datetime.now(dt.timezone.utc) - moment).total_seconds()


_API = "/api/v4"
_KEY_LINE = "naskah-key: "
_PAGE_SIZE = 100
_MAX_PAGES = 50  # 5000 document types / metadata types / tags: far more than any installation has


class MayanConnector(HttpConnector):
    kind = "mayan"
    product = "Mayan EDMS"
    can_prepare = True

    options: MayanOptions

    def __init__(self, options: MayanOptions):
        super().__init__(options)
        self._document_types: dict[str, int] | None = None
        self._metadata_types: dict[str, int] | None = None
        self._attached: dict[int, set[int]] = {}

    # -- credentials
    def _token(self) -> str:
        return self._secret(self.options.token_env, "API token")

    def _secrets(self) -> list[str]:
        return secret_values(self.options.token_env)

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Token {self._token()}"}

    def api(self, path: str) -> str:
        return f"{self.options.url}{_API}/{path.lstrip('/')}"

    def check(self) -> str:
        # The list endpoints answer 200 to anonymous users too; only this one proves the token.
        response = self.request("GET", self.api("users/current/"), expect=(200,), what="checking the credentials")
        user = self.json(response, "users/current")
        return str(user.get("username") or user.get("id"))

    # -- lookups
    def _pages(self, path: str, what: str, params: dict | None = None, limit: int = _MAX_PAGES) -> Iterable[dict]:
        url = self.api(path)
        params = {"page_size": _PAGE_SIZE, **(params or {})}
        for _ in range(limit):
            body = self.json(self.request("GET", url, params=params, expect=(200,), what=what), what)
            yield from body.get("results", [])
            url, params = body.get("next"), None
            if not url:
                return

    def document_type_id(self, label: str) -> int:
        if self._document_types is None or label not in self._document_types:
            self._document_types = {item["label"]: item["id"]
                                    for item in self._pages("document_types/", "listing document types")}
        if label not in self._document_types:
            raise PermanentDeliveryError(
                f"{self.describe()} has no document type {label!r}; create it there, or run `naskah dms setup`")
        return self._document_types[label]

    def metadata_type_ids(self, names: Iterable[str]) -> dict[str, int]:
        names = list(names)
        if self._metadata_types is None or any(name not in self._metadata_types for name in names):
            self._metadata_types = {item["name"]: item["id"]
                                    for item in self._pages("metadata_types/", "listing metadata types")}
        missing = [name for name in names if name not in self._metadata_types]
        if missing:
            raise PermanentDeliveryError(
                f"{self.describe()} has no metadata type {', '.join(map(repr, missing))}; create it there, "
                f"or run `naskah dms setup`")
        return {name: self._metadata_types[name] for name in names}

    def _check_attached(self, type_id: int, label: str, wanted: dict[str, int]) -> None:
        if type_id not in self._attached or not set(wanted.values()) <= self._attached[type_id]:
            self._attached[type_id] = {
                item["metadata_type"]["id"]
                for item in self._pages(f"document_types/{type_id}/metadata_types/", "listing the metadata types "
                                        f"of document type {label!r}")}
        missing = [name for name, ident in wanted.items() if ident not in self._attached[type_id]]
        if missing:
            raise PermanentDeliveryError(
                f"{self.describe()}: the metadata type(s) {', '.join(map(repr, missing))} are not attached to "
                f"document type {label!r}, so their values cannot be set; attach them, or run `naskah dms setup`")

    def _document_type_of(self, document: DmsDocument) -> str:
        label = document.document_type or self.options.default_document_type
        if not label:
            raise PermanentDeliveryError(
                f"{self.describe()}: letter {document.letter_id} has no document type (no dms section in its "
                f"mapping and no default_document_type)")
        return label

    # -- finding a copy
    def find_existing(self, document: DmsDocument) -> Receipt | None:
        type_id = self.document_type_id(self._document_type_of(document))
        candidates: dict[int, dict | None] = {}
        searches = (
            {"files__checksum": document.sha256},
            {"description": document.idempotency_key},
            {"metadata__value": document.idempotency_key},
        )
        for query in searches:
            for item in self._pages("search/advanced/documents.DocumentSearchResult/", "searching for a copy",
                                    params=query, limit=2):
                candidates.setdefault(item["id"], item)
        if self.options.recent_scan:
            recent = self.request("GET", self.api(f"document_types/{type_id}/documents/"),
                                  params={"page_size": self.options.recent_scan, "_ordering": "-id"}, expect=(200,),
                                  what="reading the newest documents")
            for item in self.json(recent, "documents").get("results", []):
                candidates.setdefault(item["id"], item)
        for ident in sorted(candidates):  # the oldest copy wins, should there ever be two
            if self._is_copy(candidates[ident], document):
                return self._receipt(ident)
        return None

    def _is_copy(self, item: dict | None, document: DmsDocument) -> bool:
        latest = (item or {}).get("file_latest") or {}
        if latest.get("checksum") == document.sha256:
            return True
        # made by an earlier upload whose file Mayan has not processed yet (complete() checks it later)
        keyed = _KEY_LINE + document.idempotency_key in ((item or {}).get("description") or "")
        return keyed and not latest.get("checksum")

    def _receipt(self, document_id: Any) -> Receipt:
        return Receipt(document_id=str(document_id),
                       url=f"{self.options.url}/#/documents/documents/{document_id}/preview/")

    # -- upload
    def submit(self, document: DmsDocument, pdf: bytes) -> Receipt:
        label = self._document_type_of(document)
        type_id = self.document_type_id(label)
        wanted = self.metadata_type_ids(self._metadata_of(document))
        self._check_attached(type_id, label, wanted)
        if document.tags:
            self._tag_ids(document.tags)  # everything the document will need exists before it is made
        if document.cabinet:
            self._cabinet_id(document.cabinet)
        description = "\n".join(part for part in (document.description, _KEY_LINE + document.idempotency_key) if part)
        response = self.request(
            "POST", self.api("documents/upload/"), expect=(200, 201, 202),
            data={"document_type_id": str(type_id), "label": document.label, "description": description},
            files={"file": (document.filename, pdf, "application/pdf")},
            what=f"uploading letter {document.letter_id}",
        )
        created = self.json(response, "documents/upload")
        if "id" not in created:
            raise PermanentDeliveryError(f"{self.describe()}: the upload answer has no document id")
        log.info("letter %s uploaded to %s as document %s", document.letter_id, self.describe(), created["id"])
        return self._receipt(created["id"])

    def _metadata_of(self, document: DmsDocument) -> dict[str, str]:
        # the idempotency key first: once it is set, a search by key finds the document
        return {self.options.key_metadata: document.idempotency_key} | document.metadata

    def complete(self, receipt: Receipt, document: DmsDocument, pdf: bytes) -> Receipt:
        """Give the document its file if it is a stub, and every metadata value, tag and cabinet it lacks."""
        label = self._document_type_of(document)
        type_id = self.document_type_id(label)
        wanted = self._metadata_of(document)
        ids = self.metadata_type_ids(wanted)
        self._check_attached(type_id, label, ids)
        base = f"documents/{receipt.document_id}"
        have = {item["metadata_type"]["id"]: item
                for item in self._pages(f"{base}/metadata/", "reading the document's metadata")}
        for name, value in wanted.items():
            current = have.get(ids[name])
            if current is None:
                self.request("POST", self.api(f"{base}/metadata/"), expect=(200, 201),
                             data={"metadata_type_id": ids[name], "value": value}, what=f"setting metadata {name}")
            elif (current.get("value") or "") != value:
                self.request("PATCH", self.api(f"{base}/metadata/{current['id']}/"), expect=(200,),
                             data={"value": value}, what=f"setting metadata {name}")
        if document.tags:
            self._complete_tags(base, document.tags)
        if document.cabinet:
            self._complete_cabinet(receipt.document_id, base, document.cabinet)
        self._verify_checksum(base, document, pdf)
        return receipt

    def _tag_ids(self, tags: list[str]) -> dict[str, int]:
        known = {item["label"]: item["id"] for item in self._pages("tags/", "listing tags")}
        missing = [tag for tag in tags if tag not in known]
        if missing:
            raise PermanentDeliveryError(f"{self.describe()} has no tag {', '.join(map(repr, missing))}; "
                                         f"create it there, or run `naskah dms setup`")
        return known

    def _cabinet_id(self, cabinet: str) -> int:
        known = {item.get("full_path") or item["label"]: item["id"]
                 for item in self._pages("cabinets/", "listing cabinets")}
        if cabinet not in known:
            raise PermanentDeliveryError(f"{self.describe()} has no cabinet {cabinet!r}; create it there, "
                                         f"or run `naskah dms setup`")
        return known[cabinet]

    def _complete_tags(self, base: str, tags: list[str]) -> None:
        known = self._tag_ids(tags)
        attached = {item["id"] for item in self._pages(f"{base}/tags/", "reading the document's tags")}
        for tag in tags:
            if known[tag] not in attached:
                self.request("POST", self.api(f"{base}/tags/attach/"), expect=(200, 201, 202, 204),
                             data={"tag": known[tag]}, what=f"attaching tag {tag!r}")

    def _complete_cabinet(self, document_id: str, base: str, cabinet: str) -> None:
        cabinet_id = self._cabinet_id(cabinet)
        inside = {item["id"] for item in self._pages(f"{base}/cabinets/", "reading the document's cabinets")}
        if cabinet_id not in inside:
            self.request("POST", self.api(f"cabinets/{cabinet_id}/documents/add/"), expect=(200, 201, 202, 204),
                         data={"document": document_id}, what=f"adding the document to cabinet {cabinet!r}")

    def _verify_checksum(self, base: str, document: DmsDocument, pdf: bytes) -> None:
        """Mayan's checksum of the file is the SHA-256 of the upload: prove it holds exactly the signed bytes.

        Mayan may process an upload in a background task: a document without its file is not taken as
        delivered. Younger than ``stub_grace_seconds`` it may still be processing, and the entry stays in
        the outbox for the next attempt; older, it is a stub whose processing failed (Mayan answered the
        upload with an error after making the document), and the file is uploaded to that same document.
        """
        body = self.json(self.request("GET", self.api(f"{base}/"), expect=(200,), what="reading the document"),
                         "document")
        checksum = (body.get("file_latest") or {}).get("checksum")
        if not checksum and _age_seconds(body.get("datetime_created")) >= self.options.stub_grace_seconds:
            log.warning("%s: document %s has no file; uploading the letter's file to it", self.describe(),
                        body.get("id"))
            self.request("POST", self.api(f"{base}/files/"), expect=(200, 201, 202),
                          data={"action_name": "replace", "filename": document.filename, "comment": "naskah"},
                          files={"file_new": (document.filename, pdf, "application/pdf")},
                          what=f"uploading the file of letter {document.letter_id} to document {body.get('id')}")
            body = self.json(self.request("GET", self.api(f"{base}/"), expect=(200,), what="reading the document"),
                             "document")
            checksum = (body.get("file_latest") or {}).get("checksum")
        if not checksum:
            raise TransientDeliveryError(f"{self.describe()}: document {body.get('id')} has no processed file yet")
        if checksum != document.sha256:
            raise PermanentDeliveryError(
                f"{self.describe()}: document {body.get('id')} holds a file whose SHA-256 is {checksum}, not the "
                f"signed letter's {document.sha256}")

    # -- set-up
    def prepare(self, document_types: dict[str, set[str]], tags: Iterable[str] = (),
                cabinets: Iterable[str] = ()) -> list[str]:
        """Create the document types, metadata types (attached to their types), tags and cabinets the
        mappings use and the DMS lacks; returns what was created. Safe to run again."""
        created = []
        types = {item["label"]: item["id"] for item in self._pages("document_types/", "listing document types")}
        metadata = {item["name"]: item["id"] for item in self._pages("metadata_types/", "listing metadata types")}
        for label, names in sorted(document_types.items()):
            if label not in types:
                body = self.json(self.request("POST", self.api("document_types/"), expect=(201,),
                                              data={"label": label}, what=f"creating document type {label!r}"), "")
                types[label] = body["id"]
                created.append(f"document type {label!r}")
            attached = {item["metadata_type"]["id"] for item in
                        self._pages(f"document_types/{types[label]}/metadata_types/", "listing metadata types")}
            for name in sorted(set(names) | {self.options.key_metadata}):
                if name not in metadata:
                    body = self.json(self.request(
                        "POST", self.api("metadata_types/"), expect=(201,),
                        data={"name": name, "label": name.replace("_", " ").capitalize()},
                        what=f"creating metadata type {name!r}"), "")
                    metadata[name] = body["id"]
                    created.append(f"metadata type {name!r}")
                if metadata[name] not in attached:
                    self.request("POST", self.api(f"document_types/{types[label]}/metadata_types/"), expect=(201,),
                                 data={"metadata_type_id": metadata[name], "required": "false"},
                                 what=f"attaching metadata type {name!r} to {label!r}")
                    created.append(f"metadata type {name!r} on {label!r}")
        known_tags = {item["label"] for item in self._pages("tags/", "listing tags")}
        for tag in sorted(set(tags) - known_tags):
            self.request("POST", self.api("tags/"), expect=(201,), data={"label": tag, "color": "#1f6feb"},
                         what=f"creating tag {tag!r}")
            created.append(f"tag {tag!r}")
        known_cabinets = {item.get("full_path") or item["label"]
                          for item in self._pages("cabinets/", "listing cabinets")}
        for cabinet in sorted(set(cabinets) - known_cabinets):
            if " / " in cabinet:
                raise PermanentDeliveryError(f"cabinet {cabinet!r}: create nested cabinets in Mayan itself")
            self.request("POST", self.api("cabinets/"), expect=(201,), json={"label": cabinet, "parent": None},
                         what=f"creating cabinet {cabinet!r}")
            created.append(f"cabinet {cabinet!r}")
        self._document_types = self._metadata_types = None
        self._attached.clear()
        return created

