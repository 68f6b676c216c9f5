"""A TEST DOUBLE of the BSrE Esign Client Service, v1 and v2 (the remote signing service of Indonesian
governments), for the tests only: it is not BSrE, and what it signs is signed by the test PKI, not by a real
certificate.

It follows the contracts naskah's clients speak (plugin/naskah/sign/backends/bsre_v1.py and bsre_v2.py), over
real HTTP on 127.0.0.1, with HTTP basic auth:

* v1: ``GET /api/user/status/{nik}``; ``POST /api/sign/pdf`` with the multipart fields ``file``, ``nik``,
  ``passphrase``, ``tampilan``, ``image``/``linkQR``, ``page``, ``xAxis``, ``yAxis``, ``width``, ``height``,
  ``reason``, ``location``; the signed PDF as the answer;
* v2: ``POST /api/v2/sign/pdf`` JSON ``{"nik", "passphrase" | "totp", "signatureProperties", "file"}`` and
  ``POST /api/v2/seal/pdf`` JSON ``{"idSubscriber", "totp", "signatureProperties", "file"}``; the answer
  ``{"file": [base64]}``;
* errors as JSON ``{"error", "status_code"}`` with HTTP 4xx (2011 signer not registered, 2021 certificate not
  active, 2031 wrong passphrase, 2041 wrong or expired TOTP). A request without the credential is refused
  (v1: 2031; v2: 2030, neither passphrase nor TOTP).

Like the real service it signs PAdES with a signature timestamp (B-T) from a TSA: here the test PKI's, served by
certomancer. One-time codes are checked with pyotp against each user's seed (one step of clock drift allowed).

The double never logs request bodies (werkzeug logs the request line only) and keeps no passphrase.
"""
from __future__ import annotations

import base64
import binascii
import io
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

from werkzeug.routing import Map, Rule
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

NOTO_SANS = "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"
#: The variable a signing profile names for the connector's password (set it to the double's ``password``).
PASSWORD_ENV = "NASKAH_TEST_BSRE_PASSWORD"


@dataclass
class DoubleUser:
    """One official (or, in ``seals``, an agency's seal) registered with the double: a test PKI PKCS#12, the
    passphrase that unlocks it and the seed of its one-time codes (None: no TOTP)."""

    passphrase: str
    p12: Path
    p12_password: str
    status: str = "ISSUE"
    totp_seed: str | None = None


@dataclass
class BsreTestDouble:
    """The test double's state; ``start()`` serves it on 127.0.0.1 (free port), ``stop()`` ends it."""

    username: str
    password: str
    users: dict[str, DoubleUser]
    tsa_url: str
    seals: dict[str, DoubleUser] = field(default_factory=dict)  # by subscriber id
    # method, path, field names (v1: the form's, v2: the JSON body's and its first signature property's)
    calls: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)
    _server: object = None
    _thread: threading.Thread | None = None

    def __post_init__(self):
        self._routes = Map([Rule("/api/user/status/<nik>", endpoint="status", methods=("GET",)),
                            Rule("/api/sign/pdf", endpoint="sign", methods=("POST",)),
                            Rule("/api/v2/sign/pdf", endpoint="sign_v2", methods=("POST",)),
                            Rule("/api/v2/seal/pdf", endpoint="seal_v2", methods=("POST",))])

    def posts(self, path: str | None = None) -> int:
        """How many signing requests reached the double (at ``path``, or at all)."""
        return sum(1 for method, at, _ in self.calls if method == "POST" and (path is None or at == path))

    # --- serving ---

    def start(self) -> str:
        self._server = make_server("127.0.0.1", 0, self, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="bsre-test-double", daemon=True)
        self._thread.start()
        return self.url

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> "BsreTestDouble":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def profile_key(self, **key) -> dict:
        """A signing profile's ``key`` that reaches this double (its password in ``$PASSWORD_ENV``)."""
        return {"source": "bsre", "url": self.url, "username": self.username, "password_env": PASSWORD_ENV,
                "timeout": 20, **key}

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)
            self._server = None

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            endpoint, args = self._routes.bind_to_environ(environ).match()
        except Exception as exc:  # werkzeug's NotFound / MethodNotAllowed
            return exc(environ, start_response)
        body = request.get_json(silent=True) if endpoint in ("sign_v2", "seal_v2") else None
        self.calls.append((request.method, request.path, _field_names(request, body)))
        auth = request.authorization
        if auth is None or auth.username != self.username or auth.password != self.password:
            response = _json({"error": "Unauthorized", "status_code": 401}, 401)
            response.headers["WWW-Authenticate"] = 'Basic realm="esign"'
        elif endpoint == "status":
            response = self._status(args["nik"])
        elif endpoint == "sign":
            response = self._sign(request)
        else:
            response = self._sign_v2(body, seal=endpoint == "seal_v2")
        return response(environ, start_response)

    # --- the contract ---

    def _status(self, nik: str) -> Response:
        user = self.users.get(nik)
        if user is None:
            return _json({"status_code": 1110, "message": "User tidak terdaftar", "status": None}, 200)
        return _json({"status_code": 1111, "message": "User terdaftar", "status": user.status}, 200)

    def _sign(self, request: Request) -> Response:
        form, upload = request.form, request.files.get("file")
        user = self.users.get(form.get("nik", ""))
        if upload is None:
            return _json({"error": "File PDF tidak ditemukan", "status_code": 2001}, 400)
        if user is None:
            return _json({"error": "User tidak terdaftar", "status_code": 2011}, 400)
        if user.status != "ISSUE":
            return _json({"error": "Sertifikat tidak aktif", "status_code": 2021}, 400)
        if not form.get("passphrase"):
            return _json({"error": "Passphrase tidak boleh kosong", "status_code": 2031}, 400)
        if form.get("passphrase") != user.passphrase:
            return _json({"error": "Passphrase anda salah", "status_code": 2031}, 400)
        try:
            signed = self._pyhanko_sign(upload.read(), user, form)
        except Exception as exc:
            return _json({"error": f"Gagal menandatangani: {type(exc).__name__}", "status_code": 5000}, 500)
        return Response(signed, status=200, mimetype="application/pdf")

    def _sign_v2(self, body, *, seal: bool) -> Response:
        if not isinstance(body, dict):
            return _json({"error": "Request harus JSON", "status_code": 2000}, 400)
        files, properties = body.get("file"), body.get("signatureProperties")
        if not (isinstance(files, list) and len(files) == 1 and isinstance(properties, list) and len(properties) == 1
                and isinstance(properties[0], dict)):
            return _json({"error": "File PDF atau signatureProperties tidak sesuai", "status_code": 2001}, 400)
        try:
            pdf = base64.b64decode(files[0], validate=True)
        except (binascii.Error, ValueError, TypeError):
            return _json({"error": "File bukan base64", "status_code": 2001}, 400)
        user = (self.seals.get(body.get("idSubscriber", "")) if seal else self.users.get(body.get("nik", "")))
        if user is None:
            return _json({"error": "User tidak terdaftar", "status_code": 2011}, 400)
        if user.status != "ISSUE":
            return _json({"error": "Sertifikat tidak aktif", "status_code": 2021}, 400)
        passphrase, totp = (None if seal else body.get("passphrase")), body.get("totp")
        if not passphrase and not totp:
            return _json({"error": "Passphrase atau TOTP harus diisi", "status_code": 2030}, 400)
        if passphrase and passphrase != user.passphrase:
            return _json({"error": "Passphrase anda salah", "status_code": 2031}, 400)
        if not passphrase and not _totp_ok(user.totp_seed, totp):
            return _json({"error": "TOTP salah atau kedaluwarsa", "status_code": 2041}, 400)
        spec = properties[0]
        form = {"tampilan": str(spec.get("tampilan", "")).lower(), "page": str(spec.get("page", 1)),
                "xAxis": str(spec.get("originX", 0)), "yAxis": str(spec.get("originY", 0)),
                "width": str(spec.get("width", 0)), "height": str(spec.get("height", 0)),
                "linkQR": spec.get("linkQR"), "reason": spec.get("reason") or None,
                "location": spec.get("location") or None}
        try:
            signed = self._pyhanko_sign(pdf, user, form)
        except Exception as exc:
            return _json({"error": f"Gagal menandatangani: {type(exc).__name__}", "status_code": 5000}, 500)
        return _json({"file": [base64.b64encode(signed).decode("ascii")]}, 200)

    def _pyhanko_sign(self, pdf: bytes, user: DoubleUser, form) -> bytes:
        from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.pdf_utils.text import TextBoxStyle
        from pyhanko.sign import fields, signers, timestamps
        from pyhanko.stamp import QRStampStyle, TextStampStyle

        signer = signers.SimpleSigner.load_pkcs12_data(user.p12.read_bytes(), other_certs=(),
                                                       passphrase=user.p12_password.encode())
        name = "Signature_BSrE"
        visible = form.get("tampilan", "invisible") == "visible"
        spec, style, params = None, None, None
        if visible:
            x, y = float(form["xAxis"]), float(form["yAxis"])
            box = (round(x), round(y), round(x + float(form["width"])), round(y + float(form["height"])))
            spec = fields.SigFieldSpec(sig_field_name=name, on_page=int(form.get("page", "1")) - 1, box=box)
            text = TextBoxStyle(font=GlyphAccumulatorFactory(NOTO_SANS, font_size=7), font_size=7, leading=9)
            stamp_text = "Ditandatangani secara elektronik oleh:\n%(signer)s\n%(ts)s\n(BSrE TEST DOUBLE)"
            if form.get("linkQR"):
                style = QRStampStyle(stamp_text=stamp_text, text_box_style=text, border_width=2, innsep=3)
                params = {"url": form["linkQR"]}
            else:
                style = TextStampStyle(stamp_text=stamp_text, text_box_style=text, border_width=2)
                params = {}
        else:
            spec = fields.SigFieldSpec(sig_field_name=name)
        meta = signers.PdfSignatureMetadata(field_name=name, subfilter=fields.SigSeedSubFilter.PADES,
                                            md_algorithm="sha256", reason=form.get("reason"),
                                            location=form.get("location"))
        pdf_signer = signers.PdfSigner(meta, signer, timestamper=timestamps.HTTPTimeStamper(self.tsa_url, timeout=10),
                                       stamp_style=style, new_field_spec=spec)
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        return pdf_signer.sign_pdf(writer, appearance_text_params=params).getvalue()


def _json(body: dict, status: int) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _field_names(request: Request, body) -> tuple[str, ...]:
    if isinstance(body, dict):
        properties = body.get("signatureProperties")
        inner = properties[0] if isinstance(properties, list) and properties and isinstance(properties[0], dict) \
            else {}
        return tuple(sorted([*body, *(f"signatureProperties.{name}" for name in inner)]))
    return tuple(sorted(request.form.keys()))


def _totp_ok(seed: str | None, code) -> bool:
    import pyotp

    return bool(seed) and isinstance(code, str) and pyotp.TOTP(seed).verify(code, valid_window=1)
