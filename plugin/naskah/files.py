"""Writing files that only naskah's user can read: folders 0700, files 0600, whatever the umask; and writing a
file so that a reader sees either the old content or the whole new one, never half."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

#: what a process that writes letters, keys and payloads should create with: nothing for the group or others
PRIVATE_UMASK = 0o077


def private_folder(path: Path) -> Path:
    """Make ``path`` and its missing parents as folders 0700 (existing ones are left as they are)."""
    path = Path(path)
    missing = []
    for folder in [path, *path.parents]:
        if folder.is_dir():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            if not folder.is_dir():
                raise
            continue
        os.chmod(folder, 0o700)  # mkdir's mode is cut by the umask; 0700 is what we mean
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty and 0600 (in private folders) when it does not exist yet; an existing file is kept."""
    path = Path(path)
    if path.exists():
        return path
    private_folder(path.parent)
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path
    try:
        os.fchmod(handle, 0o600)
    finally:
        os.close(handle)
    return path


def private_opener(path: str, flags: int) -> int:
    """An ``opener`` for ``open()``: a file it creates is 0600 (``open(path, "w", opener=private_opener)``)."""
    return os.open(path, flags, 0o600)


def write_atomically(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write ``data`` to a temporary file beside ``path``, flush it to disk, then rename it into place.

    The temporary file is created 0600 (mkstemp), and stays so unless ``mode`` says otherwise."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
