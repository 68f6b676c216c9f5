"""The ``naskah`` command: a thin shell over the library (``naskah.pipeline``, ``naskah.validation``)."""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from . import __version__
from .config import settings_from_args
from .errors import NaskahError, PayloadError
from .payload import read_payload

log = logging.getLogger("naskah")


def _settings(args):
    return settings_from_args(args)


def cmd_issue(args) -> int:
    from .pipeline import Naskah

    settings = _settings(args)
    naskah = Naskah(settings)
    sources: list[str] = list(args.payloads)
    if args.examples:
        sources += [str(example) for m in naskah.mappings.values() for example in m.examples]
    if not sources and not args.batch:
        print("naskah issue: give one or more payload files, --batch DIR_OR_JSONL, or --examples", file=sys.stderr)
        return 2
    if args.batch:
        return _issue_batch(naskah, args, sources)
    failures = 0
    for source in sources:
        try:
            payload = read_payload(source)
            issued = naskah.issue(payload, args.mapping, source=source)
        except NaskahError as exc:
            failures += 1
            print(f"refused {source}: {exc}" if not isinstance(exc, PayloadError) else str(exc), file=sys.stderr)
            continue
        _print_issued(issued)
        failures += issued.delivery_state == "failed"
    print(f"store: {naskah.store.directory}", file=sys.stderr)
    return 1 if failures else 0


def _print_issued(issued) -> None:
    state = "already issued" if issued.reused else "issued"
    number = issued.metadata.get("nomor") or "(no number)"  # an applicant's own letter has none
    print(f"{state} {issued.letter_kind} {number} -> {issued.pdf_path}")
    _print_delivery(issued)


def _print_delivery(issued) -> None:
    if issued.delivery_state == "delivered":
        print(f"  delivered to the DMS: document {issued.dms_document_id} {issued.dms_url or ''}".rstrip())
    elif issued.delivery_state:
        print(f"naskah: letter {issued.letter_id} not delivered ({issued.delivery_state}), kept in the outbox: "
              f"{issued.delivery_error or 'another process is delivering it'}"
              + ("; `naskah outbox retry` tries again" if issued.delivery_state != "delivering" else ""),
              file=sys.stderr)


def _issue_batch(naskah, args, sources: list[str]) -> int:
    """Many letters on warm LibreOffice processes, with a progress bar; every failure listed at the end."""
    from tqdm import tqdm

    from .batch import issue_batch, payload_or_error, read_batch
    from .convert import pool_from_settings

    items = [(source, payload_or_error(source)) for source in sources]
    for batch in args.batch:
        items += read_batch(batch)
    settings = naskah.settings
    size = settings.pool_size or os.cpu_count() or 1
    bar = tqdm(total=len(items), unit="letter", file=sys.stderr, dynamic_ncols=True,
               bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}]")
    with pool_from_settings(settings, size) as pool:
        naskah.pool = pool
        result = issue_batch(naskah, items, workers=args.workers or size + 1, progress=lambda _: bar.update())
    bar.close()
    for issued in result.issued:
        _print_issued(issued)
    for failure in result.failures:
        print(str(failure), file=sys.stderr)
    rate = len(items) / result.seconds if result.seconds else 0.0
    print(f"{len(result.issued)} issued, {len(result.failures)} refused, in {result.seconds:.1f} s "
          f"({rate:.1f} letters/s); store: {naskah.store.directory}", file=sys.stderr)
    return 0 if result.ok else 1


def cmd_render(args) -> int:
    from .pipeline import Naskah

    naskah = Naskah(_settings(args))
    try:
        payload = read_payload(args.payload)
        data = naskah.render(payload, args.mapping, pdf=args.format == "pdf", source=args.payload)
    except NaskahError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    output = Path(args.output or Path(args.payload).with_suffix(f".draft.{args.format}").name)
    output.write_bytes(data)
    print(f"draft {output}")
    return 0


def cmd_verify(args) -> int:
    from .sign import load_profile
    from .validation import verify_pdf

    trust = [Path(root) for root in args.trust]
    if not trust:
        trust = list(load_profile("default", _settings(args)).trust_roots)
    try:
        data = Path(args.pdf).read_bytes()
    except OSError as exc:
        print(f"cannot read {args.pdf}: {exc.strerror}", file=sys.stderr)
        return 2
    report = verify_pdf(data, trust_roots=trust)
    print(report.to_text())
    return 0 if report.ok else 1


def cmd_renew(args) -> int:
    import datetime as dt

    from .sign import load_profile
    from .archive import renew_store
    from .store import LocalStore

    settings = _settings(args)
    profile = load_profile(args.profile, settings)
    results = renew_store(LocalStore(settings.store_path), profile, older_than=dt.timedelta(days=args.older_than),
                          dry_run=args.dry_run)
    for result in results:
        where = f" -> {result.pdf_path}" if result.pdf_path else ""
        print(f"{result.outcome} {result.letter_id}: {result.detail}{where}")
    counts = {outcome: sum(r.outcome == outcome for r in results) for outcome in ("renewed", "skipped", "failed")}
    print(", ".join(f"{count} {outcome}" for outcome, count in counts.items()), file=sys.stderr)
    return 1 if counts["failed"] else 0


def cmd_check(args) -> int:
    from .check import check

    report = check(_settings(args))
    print(report.to_text())
    return 0 if report.ok else 1


def cmd_list(args) -> int:
    from .store import LocalStore

    store = LocalStore(_settings(args).store_path)
    for letter in store.all():
        print(f"{letter.letter_id}  {letter.issued_at}  {letter.letter_kind:22} {letter.nomor}  {letter.pdf_path}")
    return 0


def cmd_serve(args) -> int:
    from .service.server import serve

    return serve(_settings(args), host=args.host, port=args.port, verbose=args.verbose)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="naskah", description="Issue signed official letters (naskah dinas) "
                                     "from e-office workflow payloads.")
    parser.add_argument("--version", action="version", version=f"naskah {__version__}")
    parser.add_argument("--config", help="TOML configuration file (default: $NASKAH_CONFIG, else built-in defaults)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every stage")
    commands = parser.add_subparsers(dest="command", required=True)

    issue = commands.add_parser("issue", help="issue letters: render, convert, sign, store",
                                description="Issue each payload as a signed PDF letter in the store; "
                                            "prints one line per letter with the path of its PDF.")
    issue.add_argument("payloads", nargs="*", metavar="PAYLOAD", help="JSON payload file(s) from the host")
    issue.add_argument("--mapping", help="mapping name (default: the one whose match rule accepts the payload)")
    issue.add_argument("--store", help="store folder (default: ~/.local/share/naskah/store)")
    issue.add_argument("--examples", action="store_true", help="also issue every mapping's example payload")
    issue.add_argument("--batch", action="append", default=[], metavar="DIR_OR_JSONL",
                       help="issue a folder of *.json payloads or a JSON Lines file, in parallel on warm "
                            "LibreOffice processes, with a progress bar")
    issue.add_argument("--workers", type=int, help="parallel letters in a batch (default: pool size + 1)")
    issue.set_defaults(run=cmd_issue)

    render = commands.add_parser("render", help="unsigned preview marked DRAFT",
                                 description="Render a payload to an unsigned DOCX or PDF marked as a draft.")
    render.add_argument("payload", metavar="PAYLOAD")
    render.add_argument("--mapping")
    render.add_argument("--format", choices=("pdf", "docx"), default="pdf")
    render.add_argument("-o", "--output", help="output file (default: PAYLOAD.draft.pdf in this folder)")
    render.set_defaults(run=cmd_render)

    verify = commands.add_parser("verify", help="check the signatures of a PDF",
                                 description="Report every signature of a PDF; exit 0 only when all are intact, "
                                             "valid and trusted.")
    verify.add_argument("pdf", metavar="PDF")
    verify.add_argument("--trust", action="append", default=[], metavar="ROOT",
                        help="trusted root certificate (PEM/DER); default: the default signing profile's roots")
    verify.set_defaults(run=cmd_verify)

    renew = commands.add_parser("renew", help="add a fresh archival timestamp to stored B-LTA letters",
                                description="Extend the timestamp chain of every PAdES B-LTA letter in the store "
                                            "(validation data for the newest document timestamp, then a new "
                                            "one); exit non-zero when a letter could not be renewed.")
    renew.add_argument("--profile", default="default",
                       help="signing profile whose TSA and trust roots are used (default: default)")
    renew.add_argument("--older-than", type=float, default=0, metavar="DAYS",
                       help="only letters whose newest document timestamp is at least this old (default: 0)")
    renew.add_argument("--dry-run", action="store_true", help="say what would be renewed, change nothing")
    renew.add_argument("--store", help="store folder (default: ~/.local/share/naskah/store)")
    renew.set_defaults(run=cmd_renew)

    checking = commands.add_parser("check", help="lint every mapping and template",
                                   description="Check every mapping, its template and its example payloads; "
                                               "exit non-zero on an error.")
    checking.set_defaults(run=cmd_check)

    listing = commands.add_parser("list", help="letters in the store")
    listing.add_argument("--store")
    listing.set_defaults(run=cmd_list)

    serving = commands.add_parser("serve", help="the HTTP API for the host e-office and the verification page",
                                  description="Serve the host's API (/api/v1, OpenAPI at /openapi.json) and the "
                                              "public verification page behind the QR code, with uvicorn.")
    serving.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serving.add_argument("--port", type=int, default=8080, help="port (default: 8080)")
    serving.add_argument("--store", help="store folder (default: ~/.local/share/naskah/store)")
    serving.set_defaults(run=cmd_serve)

    from .deliver.cli import add_commands as add_delivery_commands

    add_delivery_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="naskah: %(levelname)s: %(message)s")
    if not args.verbose:
        # pyHanko logs a full traceback when a certificate is not trusted; the report already says so.
        logging.getLogger("pyhanko").setLevel(logging.ERROR)
        logging.getLogger("pyhanko_certvalidator").setLevel(logging.ERROR)
    try:
        return args.run(args)
    except NaskahError as exc:
        print(f"naskah: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
