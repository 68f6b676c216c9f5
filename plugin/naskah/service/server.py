"""``naskah serve``: the app under uvicorn, one process (the replay memory and the job runner live in it)."""
from __future__ import annotations

import logging

from ..config import Settings


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 8080, verbose: bool = False) -> int:
    import uvicorn

    from .app import create_app

    app = create_app(settings)  # a configuration error shows here, before anything listens
    if verbose:
        logging.getLogger("naskah").setLevel(logging.INFO)
    config = uvicorn.Config(app, host=host, port=port, log_level="info", server_header=False, proxy_headers=False,
                            timeout_graceful_shutdown=60, lifespan="on")
    server = uvicorn.Server(config)
    server.run()
    return 0 if server.started else 1
