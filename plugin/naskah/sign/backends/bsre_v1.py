"""The BSrE Esign Client Service v1 contract, as this client speaks it:

* ``GET  {url}/api/user/status/{nik}`` -> JSON ``{"status_code", "message", "status"}``; only ``ISSUE`` may sign.
* ``POST {url}/api/sign/pdf``, multipart: ``file`` (the PDF), ``nik``, ``passphrase``, ``tampilan``
  (``visible``/``invisible``), ``image`` (``false``: no signature image) with ``linkQR`` (the QR code's
  content), ``page`` (1-based), ``xAxis``/``yAxis`` (the box's lower left corner, points from the page's
  lower left) and ``width``/``height`` (points), ``reason``, ``location``; the answer is the signed PDF, or
  JSON ``{"error", "status_code"}`` (2031 wrong passphrase, 2011 signer not registered, ...).
* HTTP basic auth to the connector.

v1 signs for a person with a passphrase only: no one-time code, no seal (see :mod:`.bsre_v2`).
"""
from __future__ import annotations

from ...errors import SigningError
from .bsre_http import BsreConnection, mask_nik, number


class BsreClient(BsreConnection):
    """The v1 API of one connector."""

    def user_status(self, nik: str) -> str:
        """The certificate status of ``nik`` (``ISSUE``, ``EXPIRED``, ``REVOKE``, ...)."""
        response = self.call("GET", f"/api/user/status/{nik}")
        body = self.json(response)
        status = body.get("status") if isinstance(body, dict) else None
        if response.status_code != 200 or not status:
            raise SigningError(f"BSrE has no certificate status for NIK {mask_nik(nik)}: "
                               f"{self.problem(response, body)}")
        return str(status)

    def sign_pdf(self, pdf: bytes, *, nik: str, passphrase: str, page: int, box: tuple[float, float, float, float],
                 link_qr: str | None, reason: str | None = None, location: str | None = None) -> bytes:
        """Send ``pdf`` to be signed with a visible QR stamp in ``box`` (x1, y1, x2, y2) on ``page`` (0-based)."""
        self.secrets.append(passphrase)
        x1, y1, x2, y2 = box
        form = {"nik": nik, "passphrase": passphrase, "tampilan": "visible", "image": "false",
                "page": str(page + 1), "xAxis": number(x1), "yAxis": number(y1),
                "width": number(x2 - x1), "height": number(y2 - y1)}
        if link_qr:
            form["linkQR"] = link_qr
        if reason:
            form["reason"] = reason
        if location:
            form["location"] = location
        response = self.call("POST", "/api/sign/pdf", data=form, files={"file": ("naskah.pdf", pdf, "application/pdf")})
        if response.status_code == 200 and response.content.startswith(b"%PDF-"):
            return response.content
        raise self.refuse(response, self.json(response), f"NIK {mask_nik(nik)}")
