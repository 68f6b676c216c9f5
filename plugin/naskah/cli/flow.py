"""``naskah draft``, ``paraf``, ``return``, ``revise``, ``withdraw``, ``sign``, ``revoke`` and ``show``: the
signature flow from the command line (a thin shell over ``naskah.signature_flow``).

The signer's credential is read from standard input (``--passphrase-stdin``, ``--totp-stdin``, ``--pin-stdin``),
never from an argument or the environment, and is dropped when the command ends.
"""
from __future__ import annotations

import getpass
import sys

from ..config import settings_from_args
from ..i18n import _
from ..lifecycle.states import state_label
from ..payload import read_payload
from .letters import print_issued


def _flow(args):
    from ..pipeline import Naskah
    from ..signature_flow import SignatureFlow

    return SignatureFlow(Naskah(settings_from_args(args)))


def _actor(args):
    from ..lifecycle import Actor

    name = args.by or getpass.getuser()
    return Actor(user_id=args.user_id or name, name=name, title=args.title)


def _print_draft(flow, draft) -> None:
    # result lines are a stable format for scripts (like `issued ... -> PDF`): codes, not words
    print(f"draft {draft.id} {draft.state}")
    _print_waiting(flow, draft)


def _print_waiting(flow, draft) -> None:
    waiting = flow.waiting_for(draft)
    if waiting:
        print(f"waiting for: {waiting}")


def cmd_draft(args) -> int:
    flow = _flow(args)
    draft = flow.draft(read_payload(args.payload), _actor(args), host="cli", mapping=args.mapping,
                       source=args.payload, supersedes=args.supersedes)
    _print_draft(flow, draft)
    _print_preview(flow, draft)
    return 0


def _print_preview(flow, draft) -> None:
    print(_("preview: {pdf}").format(pdf=flow.preview(draft).pdf_path), file=sys.stderr)


def cmd_paraf(args) -> int:
    flow = _flow(args)
    step = None if args.step is None else args.step - 1  # people count steps from 1
    _print_draft(flow, flow.paraf(args.draft_id, _actor(args), step, note=args.note))
    return 0


def cmd_return(args) -> int:
    flow = _flow(args)
    _print_draft(flow, flow.return_(args.draft_id, _actor(args), args.note))
    return 0


def cmd_revise(args) -> int:
    flow = _flow(args)
    draft = flow.revise(args.draft_id, _actor(args), read_payload(args.payload), source=args.payload)
    _print_draft(flow, draft)
    _print_preview(flow, draft)
    return 0


def cmd_withdraw(args) -> int:
    flow = _flow(args)
    _print_draft(flow, flow.withdraw(args.draft_id, _actor(args), note=args.note))
    return 0


def cmd_sign(args) -> int:
    from ..sign.credentials import Credential

    flow = _flow(args)
    kinds = [kind for kind in ("passphrase", "totp", "pin") if getattr(args, f"{kind}_stdin")]
    if len(kinds) > 1:
        print(_("naskah sign: give one credential on standard input"), file=sys.stderr)
        return 2
    credential = Credential(**{kinds[0]: _read_secret_line()}) if kinds else None
    issued = flow.sign(args.draft_id, _actor(args), credential, nomor=args.nomor)
    del credential
    print_issued(issued)
    return 1 if issued.delivery_state == "failed" else 0


def cmd_revoke(args) -> int:
    flow = _flow(args)
    draft = flow.revoke(args.letter_id, _actor(args), args.reason)
    print(_("letter {letter_id} {state}: {reason}").format(letter_id=draft.letter_id, state=state_label(draft.state),
                                                           reason=draft.revocation_reason))
    return 0


def cmd_show(args) -> int:
    flow = _flow(args)
    draft = flow.get(args.draft_id)
    print(_("draft {draft_id} {state}, version {version}, mapping {mapping}").format(
        draft_id=draft.id, state=state_label(draft.state), version=draft.version, mapping=draft.mapping))
    if draft.letter_id:
        print(_("letter {letter_id} number {number} dated {date}").format(
            letter_id=draft.letter_id, number=draft.number or "-", date=draft.signed_date))
    if draft.revocation_reason:
        print(_("revoked: {reason}").format(reason=draft.revocation_reason))
    if draft.superseded_by:
        print(_("superseded by letter {letter_id}").format(letter_id=draft.superseded_by))
    for entry in flow.trail(draft.id):
        who = entry.actor_name + (f" ({entry.actor_title})" if entry.actor_title else "")
        note = f": {entry.note}" if entry.note else ""
        print(f"  {entry.at}  {entry.action:<9} v{entry.version}  {who} -> {entry.state}{note}")
    _print_waiting(flow, draft)
    return 0


def _read_secret_line() -> str:
    line = sys.stdin.readline()
    return line[:-1] if line.endswith("\n") else line


def _who(parser) -> None:
    parser.add_argument("--by", help="the name of who acts (default: the login name)")
    parser.add_argument("--user-id", help="their user id in the e-office (default: the name)")
    parser.add_argument("--title", help="their position, e.g. 'Kepala Sub Bagian Umum'")


def _step(commands, name: str, summary: str, run, description: str | None = None):
    """A command that takes one step on a draft named by its id, done by someone (--by, --user-id, --title)."""
    parser = commands.add_parser(name, help=summary, description=description)
    parser.add_argument("draft_id")
    _who(parser)
    parser.set_defaults(run=run)
    return parser


def add_flow(commands) -> None:
    draft = commands.add_parser("draft", help="draft a letter (konsep) from a payload; prints its id and preview",
                                description="Validate the payload and keep it as a draft, previewed with DRAFT "
                                            "on every page; the officials review it (naskah paraf) and sign it "
                                            "(naskah sign).")
    draft.add_argument("payload", help="payload JSON file, or - for standard input")
    draft.add_argument("--mapping", help="the mapping to use (default: the one whose match rule fits)")
    draft.add_argument("--supersedes", metavar="LETTER_ID", help="this draft corrects that signed letter")
    _who(draft)
    draft.set_defaults(run=cmd_draft)

    paraf = _step(commands, "paraf", "approve (paraf) a draft's pending review step", cmd_paraf)
    paraf.add_argument("--step", type=int, help="the step (1 = the first reviewer); default: the pending one")
    paraf.add_argument("--note")
    _step(commands, "return", "return a draft for revision, with a note", cmd_return).add_argument(
        "--note", required=True, help="what must be changed")
    _step(commands, "revise", "give a returned draft its revised payload (reviews start again)",
          cmd_revise).add_argument("payload", help="payload JSON file, or - for standard input")
    _step(commands, "withdraw", "withdraw a draft that will not be signed", cmd_withdraw).add_argument("--note")
    sign = _step(commands, "sign", "sign a reviewed draft: numbered and dated now, prints the PDF's path", cmd_sign,
                 "The signing official signs with their own credential, read from standard input and never kept. "
                 "The letter gets today's date (WIB) and its number (--nomor, else the numbering register).")
    sign.add_argument("--nomor", help="the letter's number as the host assigned it (checked against the register)")
    sign.add_argument("--passphrase-stdin", action="store_true",
                      help="read the BSrE passphrase or the PKCS#12 file's password from standard input")
    sign.add_argument("--totp-stdin", action="store_true", help="read a BSrE one-time code from standard input")
    sign.add_argument("--pin-stdin", action="store_true", help="read the token's PIN (PKCS#11) from standard input")

    revoke = commands.add_parser("revoke", help="revoke (cabut) a signed letter, with the reason")
    revoke.add_argument("letter_id")
    revoke.add_argument("--reason", required=True, help="why the letter is revoked (shown on its verification page)")
    _who(revoke)
    revoke.set_defaults(run=cmd_revoke)

    show = commands.add_parser("show", help="a draft's state, its trail and what it waits for")
    show.add_argument("draft_id")
    show.set_defaults(run=cmd_show)
