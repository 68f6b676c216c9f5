"""Service mode: the HTTP API a host e-office calls, and the public verification page behind the QR code.

``naskah serve`` runs :func:`naskah.service.app.create_app` under uvicorn. The pieces:

- ``app``                wiring only: the FastAPI app, its middleware, error handlers and routers
- ``runtime``            the ``Service`` the app holds for its lifetime: pipeline, pools, threads
- ``readiness``          what ``/ready`` checks (in cluster mode the broker and the database of jobs too)
- ``converter``          cluster mode's LibreOffice of an API instance: started at the first draft or signature
- ``throttle``           the verification page's per-client limits (shared in PostgreSQL by every instance)
- ``routes``             ``api`` (``/api/v1``, the health probes), ``drafts`` (the signature flow under
                         ``/api/v1/drafts``) and ``page`` (the verification page)
- ``auth``               a host's API token, or an HMAC signature of timestamp, method, path and body
- ``inputs``             what a request brings: its host, its payload, an uploaded PDF
- ``jobs``               every issue request is a job (run in worker threads, or by Celery workers in cluster
                         mode), kept in the service's database until done; re-queued when the broker lost it
- ``callback``           the result posted to the host's callback URL, HMAC-signed, with bounded retries
- ``events``             the signature flow's state changes, kept until posted to the draft's callback URL
- ``views``              the API's JSON answers; ``schemas`` documents them
- ``pages``              HTML answers: the page's templates and its error pages
- ``verification_page``  what the page says, in Indonesian, and the check of an uploaded PDF
- ``middleware``         the size limit of request bodies
- ``errors``             one JSON shape for every error
- ``openapi``            the schema hosts generate their clients from

Its settings (the ``[service]`` table) are :class:`naskah.config.ServiceOptions`. This module imports nothing.
"""
