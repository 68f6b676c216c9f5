"""A DMS whose API takes one multipart upload and answers with the new document's id.

Everything about the API is configuration (``[dms]`` with ``kind = "generic_rest"``): the upload URL and
method, the authentication (a token in a header, bearer, basic; secrets from environment variables),
the multipart field names, how metadata is sent (one field per value, or one JSON field), where the id
and URL are in the answer, and optionally how to look for an existing copy (a GET by idempotency key or
checksum). Without ``find``, an upload whose outcome is unknown is not repeated: the entry is reported
for someone to check, since a blind retry could make a second copy.

Example::

    [dms]
    kind = "generic_rest"
    name = "arsip"
    url = "https://dms.example.go.id/api"
    upload_path = "/documents"
    auth = { kind = "bearer", token_env = "NASKAH_DMS_TOKEN" }
    fields = { title = "{label}", type = "{document_type}", external_id = "{idempotency_key}" }
    metadata_json_field = "metadata"
    id_path = "data.id"
    url_path = "data.links.self"
    check_path = "/me"
    find = { url = "/documents?external_id={idempotency_key}", results_path = "items", id_path = "id" }
"""
from __future__ import annotations

import base64
import json
import re
from urllib.parse import quote

from ..payload import json_path
from ..secrets import secret_values
from .api import DmsDocument, Receipt
from .errors import PermanentDeliveryError
from .http import HttpConnector
from .options import GenericRestOptions

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w.]*)\}")


class GenericRestConnector(HttpConnector):
    kind = "generic_rest"
    product = "DMS"

    options: GenericRestOptions

    def __init__(self, options: GenericRestOptions):
        super().__init__(options)

    @property
    def can_find(self) -> bool:  # type: ignore[override]
        return self.options.find is not None

    # -- authentication
    def _auth_headers(self) -> dict[str, str]:
        auth = self.options.auth
        if auth.kind == "none":
            return {}
        if auth.kind == "basic":
            if not auth.username:
                raise PermanentDeliveryError(f"{self.describe()}: basic authentication needs auth.username")
            password = self._secret(auth.password_env, "password")
            token = base64.b64encode(f"{auth.username}:{password}".encode("utf-8")).decode("ascii")
            return {"Authorization": f"Basic {token}"}
        token = self._secret(auth.token_env, "token")
        if auth.kind == "bearer":
            return {"Authorization": f"Bearer {token}"}
        return {auth.header: f"{auth.prefix}{token}"}

    def _secrets(self) -> list[str]:
        auth = self.options.auth
        values = secret_values(auth.token_env)
        password = secret_values(auth.password_env)
        if auth.kind == "basic" and auth.username and password:
            values.append(base64.b64encode(f"{auth.username}:{password[0]}".encode("utf-8")).decode("ascii"))
        return values + password

    # -- the interface
    def check(self) -> str:
        path = self.options.check_path or self.options.upload_path
        method = "GET" if self.options.check_path else "OPTIONS"
        self.request(method, self._url(path), expect=(200, 204), what="checking the credentials")
        return self.options.auth.username or "(token)"

    def find_existing(self, document: DmsDocument) -> Receipt | None:
        find = self.options.find
        if find is None:
            return None
        url = _fill(find.url, _variables(document), quote_values=True)
        body = self.json(self.request("GET", self._url(url), expect=(200,), what="searching for a copy"), "find")
        matches = json_path(body, find.results_path)
        if isinstance(matches, dict):
            matches = [matches]
        for match in matches or []:
            ident = json_path(match, find.id_path)
            if ident not in (None, ""):
                link = json_path(match, find.url_path) if find.url_path else None
                return Receipt(document_id=str(ident), url=self._document_url(ident, link))
        return None

    def submit(self, document: DmsDocument, pdf: bytes) -> Receipt:
        options = self.options
        variables = _variables(document)
        data: list[tuple[str, str]] = [(name, _fill(template, variables)) for name, template in options.fields.items()]
        if options.metadata_field:
            data += [(_fill(options.metadata_field, {"name": name}), value)
                     for name, value in document.metadata.items()]
        if options.metadata_json_field:
            data.append((options.metadata_json_field, json.dumps(document.metadata, ensure_ascii=False)))
        headers = {options.idempotency_header: document.idempotency_key} if options.idempotency_header else {}
        response = self.request(
            options.method, self._url(options.upload_path), expect=(200, 201, 202), headers=headers, data=data,
            files={options.file_field: (document.filename, pdf, "application/pdf")},
            what=f"uploading letter {document.letter_id}")
        body = self.json(response, "the upload")
        ident = json_path(body, options.id_path)
        if ident in (None, ""):
            raise PermanentDeliveryError(
                f"{self.describe()}: the upload answer has no document id at {options.id_path!r}")
        link = json_path(body, options.url_path) if options.url_path else None
        return Receipt(document_id=str(ident), url=self._document_url(ident, link))

    # -- helpers
    def _url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.options.url + ("/" + path.lstrip("/") if path else "")

    def _document_url(self, ident, link) -> str | None:
        if link:
            return str(link)
        if self.options.document_url:
            return _fill(self.options.document_url, {"id": str(ident)}, quote_values=True)
        return None


def _variables(document: DmsDocument) -> dict[str, str]:
    values = {
        "label": document.label, "document_type": document.document_type or "", "description": document.description,
        "idempotency_key": document.idempotency_key, "sha256": document.sha256, "letter_id": document.letter_id,
        "workflow_id": document.workflow_id or "", "filename": document.filename,
    }
    values |= {f"metadata.{name}": value for name, value in document.metadata.items()}
    return values


def _fill(template: str, variables: dict[str, str], quote_values: bool = False) -> str:
    """``{name}`` placeholders filled from ``variables`` (no attribute access, no format specs)."""
    def value(match: re.Match) -> str:
        name = match.group(1)
        if name not in variables:
            raise PermanentDeliveryError(f"template {template!r}: unknown placeholder {{{name}}}; known: "
                                         f"{', '.join(sorted(variables))}")
        text = variables[name]
        return quote(text, safe="") if quote_values else text
    return _PLACEHOLDER.sub(value, template)

