"""The OpenAPI schema hosts generate their clients from: FastAPI's, with the security schemes, one error shape
(FastAPI's own 422 schema replaced by ``ErrorResponse``) and the request bodies the routes read themselves."""
from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from . import schemas
from .auth import HOST_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER
from .views import API

TAGS = [
    {"name": "letters", "description": "issue letters, follow jobs, fetch signed PDFs, preview drafts"},
    {"name": "drafts", "description": "the signature flow: draft, paraf in order, return and revise, withdraw, "
                                      "sign with the official's own credential, revoke"},
    {"name": "verification", "description": "check the signatures of a PDF"},
    {"name": "health", "description": "liveness and readiness probes (no authentication)"},
    {"name": "public verification page", "description": "HTML in Indonesian for citizens (no authentication)"},
]

DESCRIPTION = """\
The host e-office's API to naskah, and the public page behind the QR code on every letter.

Every `/api/v1` call authenticates with `Authorization: Bearer TOKEN`, or with an HMAC signature:
`X-Naskah-Host: NAME`, `X-Naskah-Timestamp: UNIX SECONDS`, `X-Naskah-Signature: sha256=HEX` where HEX is
HMAC-SHA256 with the host's secret of `TIMESTAMP \\n METHOD \\n PATH?QUERY \\n BODY`. Old timestamps and reused
signatures are refused.

Every error has one shape: `{"error": {"status", "code", "message", "problems": [{"field", "message",
"citation"}]}}`, where `field` is the path of the payload field the problem concerns (e.g. `data.pegawai.nip`) and
`citation` the regulation and article the rule enforces (null where none applies). Messages are in Indonesian, or
in English with `Accept-Language: en`.

A letter its official signs in person goes through the signature flow (`/api/v1/drafts`): a draft, paraf in the
mapping's order (a step out of order: 409 `illegal_transition`), then `sign` with the official's own credential in
that request's body, used for that one call and never stored, logged or called back (a refused credential: 403
`credential_refused` with the signing service's `bsre_code`; after repeated refusals 429 `signer_locked` with
`locked_until`). The number and the date are fixed at signing. Every state change is posted to the draft's
callback URL as `letter.drafted`, `letter.paraf`, `letter.returned`, `letter.revised`, `letter.withdrawn`,
`letter.signed`, `letter.revoked`, `letter.superseded`.
"""

#: the body of the routes that take a payload (they read it themselves, to answer in the API's error shape)
PAYLOAD_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {
        "type": "object", "additionalProperties": True,
        "description": "the host's workflow payload, exactly as for `naskah issue PAYLOAD.json`"}}},
}


def upload_body(field: str) -> dict:
    """The body of a route that takes a PDF in the form field ``field``."""
    return {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": [field],
        "properties": {field: {"type": "string", "format": "binary", "description": "the PDF to check"}}}}}}


def model_body(model) -> dict:
    """The JSON body of a route that reads ``model`` itself (one of ``schemas.REQUESTS``)."""
    return {"required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}


def error_responses(*statuses: int) -> dict:
    return {status: {"model": schemas.ErrorResponse} for status in statuses}


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` build (once) the schema described above."""
    def openapi():
        if app.openapi_schema is None:
            app.openapi_schema = _schema(app)
        return app.openapi_schema

    app.openapi = openapi


def _schema(app: FastAPI) -> dict:
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes,
                         tags=TAGS)
    components = schema.setdefault("components", {})
    for model in (schemas.PreviewPages, *schemas.REQUESTS):
        extra = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.setdefault("schemas", {}).update(extra.pop("$defs", {}), **{model.__name__: extra})
    components["securitySchemes"] = {
        "token": {"type": "http", "scheme": "bearer", "description": "the host's API token"},
        "hmac": {"type": "apiKey", "in": "header", "name": SIGNATURE_HEADER,
                 "description": f"sha256=HMAC-SHA256(secret, TIMESTAMP\\nMETHOD\\nPATH\\nBODY) with "
                                f"{HOST_HEADER} and {TIMESTAMP_HEADER} (see the README)"}}
    # errors have one shape (ErrorResponse), FastAPI's own 422 schema included
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            if path.startswith(API):
                operation["security"] = [{"token": []}, {"hmac": []}]
            responses = operation.get("responses", {})
            if "422" in responses and "HTTPValidationError" in str(responses["422"]):
                if path.startswith(API):
                    responses["422"] = {"description": "invalid parameters, or the payload refused",
                                        "content": {"application/json": {"schema": {
                                            "$ref": "#/components/schemas/ErrorResponse"}}}}
                else:
                    del responses["422"]
    for name in ("HTTPValidationError", "ValidationError"):
        components["schemas"].pop(name, None)
    return schema
