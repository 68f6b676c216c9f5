"""A verification report as ``naskah verify`` prints it, in the language of the moment (:mod:`naskah.i18n`).

The report itself keeps its findings in English (:class:`~naskah.i18n.Text`): the API's JSON, the verification
page and the log read them as they are; only what a person reads here is translated.
"""
from __future__ import annotations

from datetime import datetime

from ..i18n import _, say


def report_text(report) -> str:
    """Every signature and document timestamp of a :class:`~.report.VerificationReport`, then the verdict."""
    lines: list[str] = []
    count = len(report.signatures)
    for number, sig in enumerate(report.signatures, 1):
        lines.append(_("Signature {number} of {count}: field {field}").format(number=number, count=count,
                                                                               field=sig.field_name))
        dn = f" ({sig.signer_dn})" if sig.signer_dn else ""
        level = _("PAdES {level}").format(level=sig.level) if sig.level else _("not PAdES")
        if sig.level_missing:
            level += _(" (not higher: {missing})").format(missing="; ".join(say(m) for m in sig.level_missing))
        kind = "PAdES" if sig.pades else _("not PAdES")
        fields = [
            (_("signer:"), (sig.signer or _("unknown")) + dn),
            (_("signing time:"), _("{time} (as claimed by the signer)").format(
                time=_when(sig.signing_time, _("not stated")))),
            (_("level:"), level),
            (_("timestamp:"), timestamp_text(sig.timestamp) if sig.timestamp else _("none")),
            (_("sub-filter:"), f"{sig.subfilter or _('none')} ({kind})"),
            (_("intact:"), _yes(sig.intact)),
            (_("valid:"), _yes(sig.valid)),
            (_("trusted:"), _("not checked (no trust roots given)") if sig.trusted is None else _yes(sig.trusted)),
        ]
        if sig.trust_path:
            fields.append((_("trust path:"), " > ".join(sig.trust_path)))
        fields += [(_("revocation:"), say(sig.revocation)), (_("coverage:"), say(sig.coverage))]
        if sig.certifies:
            fields.append((_("certifies:"), _("yes, later changes allowed: {permission}").format(
                permission=sig.certifies)))
        lines += _aligned(fields)
        lines.append("  " + _("modified after signing: {modification}").format(
            modification=say(sig.modification) if sig.modification else _("unknown")))
        lines += ["  " + _("note: {note}").format(note=say(note)) for note in sig.notes]
        lines += ["  " + _("PROBLEM: {problem}").format(problem=say(problem)) for problem in sig.problems]
        lines.append("")
    for number, ts in enumerate(report.timestamps, 1):
        lines.append(_("Document timestamp {number} of {count}: field {field}").format(
            number=number, count=len(report.timestamps), field=ts.field_name))
        lines += _aligned([(_("time:"), timestamp_text(ts)), (_("coverage:"), say(ts.coverage))])
        lines.append("  " + _("modified after: {modification}").format(
            modification=say(ts.modification) if ts.modification else _("unknown")))
        lines += ["  " + _("PROBLEM: {problem}").format(problem=say(problem)) for problem in ts.problems]
        lines.append("")
    lines += [_("PROBLEM: {problem}").format(problem=say(problem)) for problem in report.problems]
    if any(sig.level in ("B-B", "B-T") for sig in report.signatures):
        lines.append(_("Revocation was not checked for signatures below PAdES B-LT (they embed no revocation data, "
                       "and none is fetched)."))
    if not report.trust_checked:
        lines.append(_("Trust was not checked: no trust roots were given."))
    if not report.ok:
        lines.append(_("Result: NOT OK"))
    elif report.trust_checked:
        lines.append(_("Result: OK, every signature is intact and valid and trusted"))
    else:
        lines.append(_("Result: OK, every signature is intact and valid"))
    return "\n".join(lines)


def timestamp_text(ts) -> str:
    """A timestamp (:class:`~.report.TimestampReport`) on one line: when, by whom, whether it holds."""
    sound = _("intact, valid") if ts.intact and ts.valid else _("NOT intact or NOT valid")
    trusted = "" if ts.trusted is None else (_(", trusted") if ts.trusted else _(", NOT trusted"))
    return _("{time} by {authority}: {soundness}{trust}").format(
        time=_when(ts.time, _("unknown")), authority=ts.authority or _("unknown TSA"), soundness=sound, trust=trusted)


def _aligned(fields: list[tuple[str, str]]) -> list[str]:
    """``  label:   value`` lines, the values in one column (15 characters, wider for a longer label)."""
    width = max([15] + [len(label) + 2 for label, _value in fields])
    return [f"  {label.ljust(width)}{value}" for label, value in fields]


def _when(moment: datetime | None, default: str) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z").strip() if moment else default


def _yes(value: bool) -> str:
    return _("yes") if value else _("NO")
