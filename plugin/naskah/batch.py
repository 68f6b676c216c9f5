"""Issuing many letters at once (a new team structure, a city-wide event): in parallel on warm
LibreOffice processes, past bad payloads, with every failure reported at the end."""
from __future__ import annotations

import contextvars
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .errors import NaskahError, PayloadError, Problem
from .i18n import _
from .payload import parse_payload, read_payload
from .pipeline import IssuedLetter, Naskah

#: (where the payload came from, the payload or the error reading it)
BatchItem = tuple[str, "dict | NaskahError"]


@dataclass(frozen=True)
class BatchFailure:
    source: str
    error: NaskahError

    def __str__(self) -> str:
        text = str(self.error)
        return text if isinstance(self.error, PayloadError) and self.error.source else f"{self.source}: {text}"


@dataclass
class BatchResult:
    issued: list[IssuedLetter] = field(default_factory=list)
    failures: list[BatchFailure] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures


def read_batch(path: str | Path) -> list[BatchItem]:
    """A folder of ``*.json`` payloads (sorted by name), or a JSON Lines file of one payload per line."""
    path = Path(path)
    if path.is_dir():
        return [(str(file), payload_or_error(file)) for file in sorted(path.glob("*.json"))]
    items: list[BatchItem] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return [(str(path), PayloadError([Problem("", _("cannot read batch file: {error}").format(error=exc))],
                                         str(path)))]
    for number, line in enumerate(lines, start=1):
        if line.strip():
            source = f"{path}:{number}"
            try:
                items.append((source, parse_payload(line, source)))
            except PayloadError as exc:
                items.append((source, exc))
    return items


def payload_or_error(file: str | Path) -> "dict | NaskahError":
    """The payload in ``file``, or the error reading it, so that one bad file never stops a batch."""
    try:
        return read_payload(file)
    except PayloadError as exc:
        return exc


def issue_batch(naskah: Naskah, items: Iterable[BatchItem], *, workers: int = 2,
                progress: Callable[[IssuedLetter | BatchFailure], None] | None = None) -> BatchResult:
    """Issue every payload; one refused payload never stops the others. Results keep the input order."""
    started = time.monotonic()
    items = list(items)
    outcomes: dict[int, IssuedLetter | BatchFailure] = {}

    def issue_one(index: int) -> IssuedLetter | BatchFailure:
        source, payload = items[index]
        if isinstance(payload, NaskahError):
            return BatchFailure(source, payload)
        try:
            return naskah.issue(payload, source=source)
        except NaskahError as exc:
            return BatchFailure(source, exc)

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="naskah-batch") as executor:
        # each worker speaks the caller's language (naskah.i18n)
        futures = {executor.submit(contextvars.copy_context().run, issue_one, index): index
                   for index in range(len(items))}
        for future in as_completed(futures):
            outcome = future.result()
            outcomes[futures[future]] = outcome
            if progress:
                progress(outcome)
    result = BatchResult(seconds=time.monotonic() - started)
    for index in sorted(outcomes):
        outcome = outcomes[index]
        (result.failures if isinstance(outcome, BatchFailure) else result.issued).append(outcome)
    return result


def iter_payload_lines(items: Iterable[dict]) -> Iterator[BatchItem]:
    """Payloads already in memory (from Python) as batch items."""
    for number, payload in enumerate(items, start=1):
        yield f"payload {number}", payload
