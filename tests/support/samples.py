"""Where the tests find their payloads: the sample host's examples shipped with naskah, and the second
host's mappings and payloads kept under tests/hosts."""
from __future__ import annotations

import copy
import json
from pathlib import Path

from naskah.config import SOURCE_ROOT

EXAMPLES = SOURCE_ROOT / "mappings" / "examples" / "host-eoffice"
#: "Kotaku e-Office", a host with English keys and other nesting (tests/hosts/kotaku)
KOTAKU = Path(__file__).resolve().parents[1] / "hosts" / "kotaku"


def load_sample(name: str) -> dict:
    """A fresh copy of a sample payload by name, e.g. ``load_sample("surat-tugas-tim")``."""
    return copy.deepcopy(json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8")))
