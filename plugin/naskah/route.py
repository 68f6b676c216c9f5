"""The route stage: which mapping turns this payload into a letter."""
from __future__ import annotations

from .errors import PayloadError, Problem
from .i18n import _
from .mapping import Mapping


def route(payload: dict, mappings: dict[str, Mapping], name: str | None = None) -> Mapping:
    """The mapping named, or else the one mapping whose match rule accepts the payload."""
    if name is not None:
        if name not in mappings:
            raise PayloadError([Problem("", _("no mapping named {name}; available: {available}").format(
                name=repr(name), available=", ".join(sorted(mappings))))])
        return mappings[name]
    matching = [mapping for mapping in mappings.values() if mapping.matches(payload)]
    if len(matching) == 1:
        return matching[0]
    if not matching:
        rules = "; ".join(f"{m.name}: {m.match.source}" for m in mappings.values() if m.match)
        raise PayloadError([Problem("", _("no mapping matches this payload (rules tried: {rules}); name one with "
                                          "--mapping").format(rules=rules or _("none")))])
    names = ", ".join(m.name for m in matching)
    raise PayloadError([Problem("", _("more than one mapping matches this payload ({names}); name one with --mapping "
                                      "or make the match rules exclusive").format(names=names))])
