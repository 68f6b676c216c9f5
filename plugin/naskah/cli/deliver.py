"""``naskah outbox list|retry`` and ``naskah dms check|setup``: the delivery commands."""
from __future__ import annotations

import sys

from ..config import settings_from_args


def cmd_outbox_list(args) -> int:
    from ..deliver.outbox import Outbox
    from ..store import LocalStore

    settings = settings_from_args(args)
    outbox = Outbox(settings.outbox_location)
    entries = outbox.entries(state=args.state)
    for entry in entries:
        where = f"document {entry.dms_id} {entry.dms_url or ''}".rstrip() if entry.dms_id else ""
        print(f"{entry.letter_id}  {entry.state:10} {entry.target:12} attempts={entry.attempts}  "
              f"{entry.document.label}  {where}".rstrip())
        if entry.last_error and entry.state != "delivered":
            print(f"    last error: {entry.last_error}")
    counts = {}
    for entry in entries:
        counts[entry.state] = counts.get(entry.state, 0) + 1
    summary = ", ".join(f"{count} {state}" for state, count in sorted(counts.items())) or "empty"
    print(f"outbox {outbox.location}: {summary}", file=sys.stderr)
    if settings.dms is not None and args.state is None:
        missing = outbox.unrecorded(LocalStore(settings.store_path, settings.store).all(), settings.dms.name)
        for letter in missing:
            print(f"{letter.letter_id}  {'not recorded':10} {settings.dms.name:12} {letter.letter_kind} "
                  f"{letter.nomor}")
        if missing:
            print(f"{len(missing)} letter(s) in the store are not in the outbox: issue their payloads again to "
                  f"deliver them", file=sys.stderr)
    return 0


def cmd_outbox_retry(args) -> int:
    from ..deliver.delivery import delivery_for
    from ..store import LocalStore

    settings = settings_from_args(args)
    delivery = delivery_for(settings, required=True)
    try:
        delivery.reconcile(LocalStore(settings.store_path, settings.store).get)  # stored letters whose process died unrecorded
        if args.letter:
            keys, unknown = delivery.outbox.keys_of(args.letter, delivery.target)
            if unknown:
                print(f"naskah: not in the outbox: {', '.join(unknown)}", file=sys.stderr)
                return 2
            results = [delivery.deliver(key, include_failed=True) for key in keys]
        else:
            results = delivery.deliver_all(include_failed=True)
    finally:
        delivery.connector.close()
    failures = 0
    for result in results:
        entry = result.entry
        if entry.state == "delivered":
            print(f"delivered {entry.letter_id} -> document {entry.dms_id} {entry.dms_url or ''}".rstrip())
        elif entry.state == "delivering":
            print(f"skipped {entry.letter_id}: another process is delivering it")
        else:
            failures += 1
            print(f"not delivered {entry.letter_id} ({entry.state}): {entry.last_error}", file=sys.stderr)
    left = [entry for entry in delivery.outbox.entries(target=delivery.target) if entry.state != "delivered"]
    print(f"outbox: {len(results)} tried, {len(left)} not delivered", file=sys.stderr)
    return 1 if failures else 0


def cmd_dms_check(args) -> int:
    from ..deliver.delivery import delivery_for

    delivery = delivery_for(settings_from_args(args), required=True)
    try:
        user = delivery.connector.check()
    finally:
        delivery.connector.close()
    print(f"{delivery.connector.describe()}: reachable, credentials accepted (user {user})")
    return 0


def cmd_dms_setup(args) -> int:
    """Create in the DMS the document types, metadata types, tags and cabinets the mappings name."""
    from ..deliver.delivery import delivery_for
    from ..deliver.setup import set_up

    settings = settings_from_args(args)
    connector = delivery_for(settings, required=True).connector
    try:
        created, needed = set_up(connector, settings.mappings_dir)
    finally:
        connector.close()
    for item in created:
        print(f"created {item}")
    print(f"{connector.describe()}: ready for {len(needed.document_types)} document type(s)", file=sys.stderr)
    return 0


def add_outbox(commands) -> None:
    outbox = commands.add_parser("outbox", help="letters waiting for, or done with, delivery to the DMS",
                                 description="The delivery outbox: every signed letter bound for the DMS.")
    outbox_commands = outbox.add_subparsers(dest="outbox_command", required=True)
    listing = outbox_commands.add_parser("list", help="every entry with its state, attempts and last error")
    listing.add_argument("--state", choices=("pending", "delivering", "delivered", "failed"))
    listing.add_argument("--store")
    listing.set_defaults(run=cmd_outbox_list)
    retry = outbox_commands.add_parser(
        "retry", help="deliver every entry not delivered yet (pending, failed, or abandoned by a dead process)",
        description="Deliver the outbox now; run it after fixing the DMS or credentials, or from cron.")
    retry.add_argument("letter", nargs="*", help="only these letter ids")
    retry.add_argument("--store")
    retry.set_defaults(run=cmd_outbox_retry)


def add_dms(commands) -> None:
    dms = commands.add_parser("dms", help="the configured DMS: check it, set it up")
    dms_commands = dms.add_subparsers(dest="dms_command", required=True)
    check = dms_commands.add_parser("check", help="reach the DMS and have it accept the credentials")
    check.set_defaults(run=cmd_dms_check)
    setup = dms_commands.add_parser("setup", help="create the document types, metadata types, tags and cabinets "
                                                  "that the mappings' dms sections name")
    setup.set_defaults(run=cmd_dms_setup)
