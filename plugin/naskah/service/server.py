"""``naskah serve``: the app under uvicorn, one process, with bounds on what a client may hold open.

A connection must send a request's headers within ``read_timeout`` seconds (after it opened, or after the
previous answer), else it is closed; the body has its own bounds (:mod:`.middleware`). At most
``max_connections`` connections are served at once (more get 503), and headers are at most 16 KB. Every log
line has its control characters escaped: a path with ``%1b[31m`` cannot colour, move or forge lines.
"""
from __future__ import annotations

import logging
import os

from ..config import Settings
from ..files import PRIVATE_UMASK

MAX_HEADER_BYTES = 16 * 1024


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 8080, verbose: bool = False) -> int:
    import uvicorn

    from .app import create_app

    os.umask(os.umask(PRIVATE_UMASK) | PRIVATE_UMASK)  # whatever the service writes is its user's alone
    app = create_app(settings)  # a configuration error shows here, before anything listens
    if verbose:
        logging.getLogger("naskah").setLevel(logging.INFO)
    options = settings.service
    config = uvicorn.Config(app, host=host, port=port, log_level="info", server_header=False, proxy_headers=False,
                            timeout_graceful_shutdown=60, lifespan="on", http=_protocol(options.read_timeout),
                            timeout_keep_alive=min(5, int(options.read_timeout) or 1),
                            limit_concurrency=options.max_connections,
                            h11_max_incomplete_event_size=MAX_HEADER_BYTES)
    escape_log_lines()
    server = uvicorn.Server(config)
    server.run()
    return 0 if server.started else 1


def _protocol(read_timeout: float):
    """uvicorn's h11 protocol, closing a connection that takes longer than ``read_timeout`` to send the headers
    of its next request (uvicorn itself waits for them as long as the client likes)."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class Protocol(H11Protocol):
        _header_timer = None

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc) -> None:
            self._disarm()
            super().connection_lost(exc)

        def handle_events(self) -> None:
            super().handle_events()
            if self._serving():
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and not self._serving():
                self._arm()

        def _serving(self) -> bool:
            return self.cycle is not None and not self.cycle.response_complete

        def _arm(self) -> None:
            self._disarm()
            self._header_timer = self.loop.call_later(read_timeout, self._too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _too_slow(self) -> None:
            self._header_timer = None
            if not self._serving() and not self.transport.is_closing():
                if self.conn.their_state is not h11.IDLE or self.conn.trailing_data[0]:
                    self.logger.info("closed a connection that did not send its request within %g s", read_timeout)
                self.transport.close()

    return Protocol


class EscapeControls(logging.Filter):
    """Escapes control and other invisible characters (ESC, CR, LF, bidi overrides) in a record's message and
    text arguments, as ``\\x1b``; a traceback stays as it is."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = escaped(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_escaped_arg(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _escaped_arg(value) for key, value in record.args.items()}
        return True


def escaped(text: str) -> str:
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _escaped_arg(value):
    if value is None or isinstance(value, (int, float)):
        return value
    text = value if isinstance(value, str) else str(value)
    return value if text.isprintable() else escaped(text)


def escape_log_lines() -> None:
    """Escape control characters in every line the service's log handlers write (uvicorn's and naskah's)."""
    names = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "naskah")
    for handler in {handler for name in names for handler in logging.getLogger(name).handlers}:
        if not any(isinstance(existing, EscapeControls) for existing in handler.filters):
            handler.addFilter(EscapeControls())
