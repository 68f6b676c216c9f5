"""``naskah verify`` and ``naskah renew``: checking the signatures of a PDF, renewing the stored letters' timestamps."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from ..config import settings_from_args
from ..i18n import _


def cmd_verify(args) -> int:
    from ..mapping import load_mappings
    from ..sign import profile_trust_roots
    from ..validation import verify_pdf

    trust = [Path(root) for root in args.trust]
    if not trust:
        settings = settings_from_args(args)
        trust = profile_trust_roots(settings, load_mappings(settings.mappings_dir), strict=True).for_any()
    try:
        data = Path(args.pdf).read_bytes()
    except OSError as exc:
        print(_("cannot read {path}: {error}").format(path=args.pdf, error=exc.strerror), file=sys.stderr)
        return 2
    report = verify_pdf(data, trust_roots=trust)
    print(report.to_text())
    standing = _standing_in_store(args, data)
    if standing:
        print(_("Letter in the store: {standing}; the letter is no longer in force").format(standing=standing))
    return 0 if report.ok and not standing else 1


def _standing_in_store(args, data: bytes) -> str | None:
    """Revoked or superseded, for a PDF that is exactly a letter of this installation's store."""
    import hashlib

    from ..signature_flow import standing_of_letter
    from ..store import LocalStore

    settings = settings_from_args(args)
    if not settings.store_path.is_dir():
        return None
    letter_id = LocalStore(settings.store_path, settings.store).letter_id_with_sha256(hashlib.sha256(data).hexdigest())
    return standing_of_letter(settings, letter_id) if letter_id else None


def cmd_renew(args) -> int:
    from ..archive import renew_store
    from ..sign import load_profile
    from ..store import LocalStore

    settings = settings_from_args(args)
    profile = load_profile(args.profile, settings)
    store = LocalStore(settings.store_path, settings.store)
    results = renew_store(store, profile, older_than=dt.timedelta(days=args.older_than), dry_run=args.dry_run)
    for result in results:
        where = f" -> {result.pdf_path}" if result.pdf_path else ""
        print(f"{result.outcome} {result.letter_id}: {result.detail}{where}")
    counts = {outcome: sum(r.outcome == outcome for r in results) for outcome in ("renewed", "skipped", "failed")}
    print(", ".join(f"{count} {outcome}" for outcome, count in counts.items()), file=sys.stderr)
    return 1 if counts["failed"] else 0


def add_verify(commands) -> None:
    verify = commands.add_parser("verify", help="check the signatures of a PDF",
                                 description="Report every signature of a PDF; exit 0 only when all are intact, "
                                             "valid and trusted.")
    verify.add_argument("pdf", metavar="PDF")
    verify.add_argument("--trust", action="append", default=[], metavar="ROOT",
                        help="trusted root certificate (PEM/DER); default: the roots of the default signing "
                             "profile and of every signing profile a mapping names")
    verify.set_defaults(run=cmd_verify)


def add_renew(commands) -> None:
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
