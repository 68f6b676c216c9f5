"""Reading a refusal in a rule's test: the problems by payload field, and the one problem a mistake should cause."""
from __future__ import annotations

import pytest

from naskah.errors import PayloadError, Problem


def problems(naskah, payload) -> dict[str, Problem]:
    """The refusal's problems by payload field (the payload must be refused)."""
    with pytest.raises(PayloadError) as caught:
        naskah.prepare(payload)
    return {problem.field: problem for problem in caught.value.problems}


def refused_only(naskah, payload, field: str, citation: str | None = None) -> str:
    """The message of the one problem ``payload`` has, at ``field``, citing ``citation`` (in the message too)."""
    found = problems(naskah, payload)
    assert set(found) == {field}, found
    if citation is not None:
        assert found[field].citation == citation, found[field]
        assert citation in found[field].message, found[field]
    return found[field].message
