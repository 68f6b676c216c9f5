"""Reading a payload: JSON that is malformed, not an object or not UTF-8 is refused saying where."""
from __future__ import annotations

import pytest

from naskah.errors import PayloadError
from naskah.payload import parse_payload


@pytest.mark.parametrize("text, message", [
    ('{"workflow": {"jenis": "surat_tugas_tim"', "malformed JSON at line 1 column"),
    ("[1, 2]", "payload must be a JSON object, got list"),
    (b"\xff\xfe{}", "not UTF-8"),
    ("", "malformed JSON at line 1 column 1"),
])
def test_malformed_json_is_refused(text, message):
    with pytest.raises(PayloadError, match=message):
        parse_payload(text, "payload.json")
