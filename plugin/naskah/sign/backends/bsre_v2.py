"""The BSrE Esign Client Service v2 contract (JSON, files in base64), as this client speaks it:

* ``POST {url}/api/v2/sign/pdf`` ``{"nik", "passphrase" | "totp", "signatureProperties": [...], "file": [pdf]}``
  signs for a person, with their passphrase or a one-time code (TOTP);
* ``POST {url}/api/v2/seal/pdf`` ``{"idSubscriber", "totp", "signatureProperties": [...], "file": [pdf]}``
  seals for the agency (its electronic seal, segel elektronik);
* each ``signatureProperties`` entry: ``{"tampilan": "VISIBLE", "page" (1-based), "originX", "originY" (the
  box's lower left corner, points from the page's lower left), "width", "height", "linkQR"?, "location",
  "reason"}``; the answer ``{"file": [signed pdf]}``, or HTTP 4xx with ``{"status_code", "error"}`` (2031 wrong
  passphrase, 2041 wrong or expired TOTP, 2011 not registered, 2021 certificate not active);
* HTTP basic auth to the connector, as v1.
"""
from __future__ import annotations

import base64
import binascii

from ...errors import SigningError
from .bsre_http import BsreConnection, mask_nik


class BsreV2Client(BsreConnection):
    """The v2 API of one connector."""

    def sign_pdf(self, pdf: bytes, *, nik: str, passphrase: str | None = None, totp: str | None = None, page: int,
                 box: tuple[float, float, float, float], link_qr: str | None, reason: str | None = None,
                 location: str | None = None) -> bytes:
        """Sign for the person ``nik`` with their passphrase, or else their one-time code."""
        secret = {"passphrase": passphrase} if passphrase is not None else {"totp": totp}
        return self._post("/api/v2/sign/pdf", {"nik": nik, **secret}, pdf, page, box, link_qr, reason, location,
                          f"NIK {mask_nik(nik)}")

    def seal_pdf(self, pdf: bytes, *, subscriber_id: str, totp: str, page: int,
                 box: tuple[float, float, float, float], link_qr: str | None, reason: str | None = None,
                 location: str | None = None) -> bytes:
        """Seal with the agency's seal ``subscriber_id`` and its one-time code."""
        return self._post("/api/v2/seal/pdf", {"idSubscriber": subscriber_id, "totp": totp}, pdf, page, box, link_qr,
                          reason, location, f"seal {subscriber_id}")

    def _post(self, path: str, who: dict, pdf: bytes, page: int, box: tuple[float, float, float, float],
              link_qr: str | None, reason: str | None, location: str | None, what: str) -> bytes:
        self.secrets.extend(value for name, value in who.items() if name in ("passphrase", "totp"))
        x1, y1, x2, y2 = box
        properties = {"tampilan": "VISIBLE", "page": page + 1, "originX": _point(x1), "originY": _point(y1),
                      "width": _point(x2 - x1), "height": _point(y2 - y1), "location": location or "",
                      "reason": reason or ""}
        if link_qr:
            properties["linkQR"] = link_qr
        body = {**who, "signatureProperties": [properties], "file": [base64.b64encode(pdf).decode("ascii")]}
        response = self.call("POST", path, json=body)
        del body, who
        answer = self.json(response)
        if response.status_code != 200:
            raise self.refuse(response, answer, what)
        files = answer.get("file") if isinstance(answer, dict) else None
        if isinstance(files, list) and len(files) == 1 and isinstance(files[0], str):
            try:
                signed = base64.b64decode(files[0], validate=True)
            except (binascii.Error, ValueError):
                signed = b""
            if signed.startswith(b"%PDF-"):
                return signed
        raise SigningError(f"the BSrE service answered for {what} without one signed PDF in `file`: refused")


def _point(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(float(value), 2)
