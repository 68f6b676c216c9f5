"""The ``naskah`` parser, assembled from the command groups, and ``main``: run a command, exit with its code."""
from __future__ import annotations

import argparse
import contextvars
import logging
import os
import sys

from .. import __version__
from ..config import settings_from_args
from ..errors import NaskahError
from ..files import PRIVATE_UMASK
from ..i18n import DEFAULT_LANGUAGE, set_language
from .cluster import add_cluster
from .deliver import add_dms, add_outbox
from .flow import add_flow
from .letters import add_check, add_issue, add_list, add_render
from .serve import add_serve
from .signatures import add_renew, add_verify

#: Every command, in the order ``naskah --help`` lists them.
_COMMANDS = (add_issue, add_render, add_verify, add_renew, add_check, add_list, add_flow, add_serve, add_outbox,
             add_dms, add_cluster)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="naskah", description="Issue signed official letters (naskah dinas) "
                                     "from e-office workflow payloads.")
    parser.add_argument("--version", action="version", version=f"naskah {__version__}")
    parser.add_argument("--config", help="TOML configuration file (default: $NASKAH_CONFIG, else built-in defaults)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every stage")
    commands = parser.add_subparsers(dest="command", required=True)
    for add in _COMMANDS:
        add(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.umask(os.umask(PRIVATE_UMASK) | PRIVATE_UMASK)  # letters, keys, payloads: what naskah writes is private
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="naskah: %(levelname)s: %(message)s")
    if not args.verbose:
        # pyHanko logs a full traceback when a certificate is not trusted; the report already says so.
        logging.getLogger("pyhanko").setLevel(logging.ERROR)
        logging.getLogger("pyhanko_certvalidator").setLevel(logging.ERROR)
    return contextvars.copy_context().run(_run, args)


def _run(args) -> int:
    """The command, speaking the installation's language (its ``language`` setting)."""
    set_language(_language(args))
    try:
        return args.run(args)
    except NaskahError as exc:
        print(f"naskah: {exc}", file=sys.stderr)
        return 2


def _language(args) -> str:
    """A configuration that does not load leaves Indonesian: the command itself then says what is wrong."""
    try:
        return settings_from_args(args).language
    except NaskahError:
        return DEFAULT_LANGUAGE


if __name__ == "__main__":
    sys.exit(main())
