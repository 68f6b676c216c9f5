"""``naskah dms setup``: create in the DMS what the mappings' ``dms:`` sections name and it lacks."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from ..errors import ConfigError
from .api import Connector
from .options import MayanOptions

if TYPE_CHECKING:
    from ..mapping import Mapping


@dataclass
class Requirements:
    """What the DMS must have for every mapping's letters: document types (each with the metadata names
    it carries), tags and cabinets."""

    document_types: dict[str, set[str]] = field(default_factory=dict)
    tags: set[str] = field(default_factory=set)
    cabinets: set[str] = field(default_factory=set)


def requirements(mappings: Iterable["Mapping"], default_document_type: str | None = None) -> Requirements:
    """What ``mappings`` need in the DMS; a mapping without a document type uses
    ``default_document_type``, and one without a ``dms:`` section needs nothing."""
    needed = Requirements()
    for mapping in mappings:
        spec = mapping.dms
        if spec is None:
            continue
        document_type = spec.document_type or default_document_type
        if document_type:
            needed.document_types.setdefault(document_type, set()).update(spec.metadata)
        needed.tags.update(spec.tags)
        if spec.cabinet:
            needed.cabinets.add(spec.cabinet)
    return needed


def set_up(connector: Connector, mappings_dir: Path) -> tuple[list[str], Requirements]:
    """Create what the mappings in ``mappings_dir`` need and the DMS lacks; returns what was created and
    what was needed."""
    from ..mapping import load_mappings

    if not connector.can_prepare:
        raise ConfigError(f"{connector.describe()}: naskah cannot set this kind of DMS up; do it in the DMS")
    options = connector.options
    default = options.default_document_type if isinstance(options, MayanOptions) else None
    needed = requirements(load_mappings(mappings_dir).values(), default)
    return connector.prepare(needed.document_types, needed.tags, needed.cabinets), needed
