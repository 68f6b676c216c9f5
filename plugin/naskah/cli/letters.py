"""``naskah issue``, ``render``, ``check`` and ``list``: letters issued, previewed, linted and listed."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from ..config import settings_from_args
from ..errors import NaskahError, PayloadError
from ..i18n import _
from ..payload import read_payload


def cmd_issue(args) -> int:
    from ..pipeline import Naskah

    settings = settings_from_args(args)
    naskah = Naskah(settings)
    sources: list[str] = list(args.payloads)
    if args.examples:
        sources += [str(example) for m in naskah.mappings.values() for example in m.examples]
    if not sources and not args.batch:
        print(_("naskah issue: give one or more payload files, --batch DIR_OR_JSONL, or --examples"), file=sys.stderr)
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
            print(_("refused {source}: {error}").format(source=source, error=exc)
                  if not isinstance(exc, PayloadError) else str(exc), file=sys.stderr)
            continue
        print_issued(issued)
        failures += issued.delivery_state == "failed"
    print(_("store: {folder}").format(folder=naskah.store.directory), file=sys.stderr)
    return 1 if failures else 0


def print_issued(issued) -> None:
    """One line for an issued letter (its number and PDF), and a word on its delivery to the DMS."""
    # a stable format for scripts (the README's first command prints it), so not translated
    number = issued.metadata.get("nomor") or "(no number)"  # an applicant's own letter has none
    state = "already issued" if issued.reused else "issued"
    print(f"{state} {issued.letter_kind} {number} -> {issued.pdf_path}")
    _print_delivery(issued)


def _print_delivery(issued) -> None:
    if issued.delivery_state == "delivered":
        print(_("  delivered to the DMS: document {document} {url}").format(
            document=issued.dms_document_id, url=issued.dms_url or "").rstrip())
    elif issued.delivery_state:
        print(_("naskah: letter {letter_id} not delivered ({state}), kept in the outbox: {error}").format(
            letter_id=issued.letter_id, state=issued.delivery_state,
            error=issued.delivery_error or _("another process is delivering it"))
              + (_("; `naskah outbox retry` tries again") if issued.delivery_state != "delivering" else ""),
              file=sys.stderr)


def _issue_batch(naskah, args, sources: list[str]) -> int:
    """Many letters on warm LibreOffice processes, with a progress bar; every failure listed at the end."""
    from tqdm import tqdm

    from ..batch import issue_batch, payload_or_error, read_batch
    from ..convert import pool_from_settings

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
        print_issued(issued)
    for failure in result.failures:
        print(str(failure), file=sys.stderr)
    rate = len(items) / result.seconds if result.seconds else 0.0
    print(_("{issued} issued, {refused} refused, in {seconds} s ({rate} letters/s); store: {folder}").format(
        issued=len(result.issued), refused=len(result.failures), seconds=f"{result.seconds:.1f}", rate=f"{rate:.1f}",
        folder=naskah.store.directory), file=sys.stderr)
    return 0 if result.ok else 1


def cmd_render(args) -> int:
    from ..pipeline import Naskah

    naskah = Naskah(settings_from_args(args))
    try:
        payload = read_payload(args.payload)
        data = naskah.render(payload, args.mapping, pdf=args.format == "pdf", source=args.payload)
    except NaskahError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    output = Path(args.output or Path(args.payload).with_suffix(f".draft.{args.format}").name)
    output.write_bytes(data)
    print(_("draft {output}").format(output=output))
    return 0


def cmd_check(args) -> int:
    from ..check import check

    report = check(settings_from_args(args))
    print(report.to_text())
    return 0 if report.ok else 1


def cmd_list(args) -> int:
    from ..store import LocalStore

    settings = settings_from_args(args)
    store = LocalStore(settings.store_path, settings.store)
    for letter in store.all():
        print(f"{letter.letter_id}  {letter.issued_at}  {letter.letter_kind:22} {letter.nomor}  {letter.pdf_path}")
    return 0


def add_issue(commands) -> None:
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


def add_render(commands) -> None:
    render = commands.add_parser("render", help="unsigned preview marked DRAFT",
                                 description="Render a payload to an unsigned DOCX or PDF marked as a draft.")
    render.add_argument("payload", metavar="PAYLOAD")
    render.add_argument("--mapping")
    render.add_argument("--format", choices=("pdf", "docx"), default="pdf")
    render.add_argument("-o", "--output", help="output file (default: PAYLOAD.draft.pdf in this folder)")
    render.set_defaults(run=cmd_render)


def add_check(commands) -> None:
    checking = commands.add_parser("check", help="lint every mapping and template",
                                   description="Check every mapping, its template and its example payloads; "
                                               "exit non-zero on an error.")
    checking.set_defaults(run=cmd_check)


def add_list(commands) -> None:
    listing = commands.add_parser("list", help="letters in the store")
    listing.add_argument("--store")
    listing.set_defaults(run=cmd_list)
