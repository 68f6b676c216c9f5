"""``naskah serve``: the HTTP API for the host e-office and the verification page."""
from __future__ import annotations

from ..config import settings_from_args
from ..errors import ConfigError


def cmd_serve(args) -> int:
    try:
        from ..service.server import serve
    except ModuleNotFoundError as exc:
        raise ConfigError(f"naskah serve needs {exc.name}, which is not installed: "
                          f".venv/bin/pip install -e '.[service]' (the README's first command installs it)") from None

    return serve(settings_from_args(args), host=args.host, port=args.port, verbose=args.verbose)


def add_serve(commands) -> None:
    serving = commands.add_parser("serve", help="the HTTP API for the host e-office and the verification page",
                                  description="Serve the host's API (/api/v1, OpenAPI at /openapi.json) and the "
                                              "public verification page behind the QR code, with uvicorn.")
    serving.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serving.add_argument("--port", type=int, default=8080, help="port (default: 8080)")
    serving.add_argument("--store", help="store folder (default: ~/.local/share/naskah/store)")
    serving.set_defaults(run=cmd_serve)
