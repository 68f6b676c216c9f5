"""Service mode: the HTTP API a host e-office calls, and the public verification page behind the QR code.

``naskah serve`` runs :func:`naskah.service.app.create_app` under uvicorn. The pieces:

- ``options``            the ``[service]`` settings (hosts, limits); secrets only as variable names or file paths
- ``auth``               a host's API token, or an HMAC signature of timestamp, method, path and body
- ``jobs``               every issue request is a job (run in worker threads), kept in SQLite until done
- ``callback``           the result posted to the host's callback URL, HMAC-signed, with bounded retries
- ``verification_page``  ``GET /v/{letter id}`` in Indonesian, and the check of an uploaded PDF
- ``app``                the FastAPI application: routes, error shape, size limits, the warm LibreOffice pool

This module imports nothing heavy: ``naskah.config`` needs only ``options``.
"""
